import tls from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SmtpSettings } from "@/lib/channels/schema";
import { selfSignedCertificate, startSmtpSink } from "@/server/test/smtp-sink";
import { closeSmtpPools, sendSmtp, sendSmtpPooled, verifySmtp } from "./smtp";

/** A real SMTP server on this machine: takes one account, keeps what it receives. */
describe("email over SMTP, against a local SMTP server", () => {
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let port: number;
  const local = { allowPrivate: true };

  beforeAll(async () => {
    sink = await startSmtpSink({ user: "junction", password: "right-password-42" });
    port = sink.port;
  });
  afterAll(() => sink.close());

  const settings = (over: Partial<SmtpSettings> = {}): SmtpSettings => ({
    host: "127.0.0.1",
    port,
    security: "none",
    user: "junction",
    pool: false,
    senders: [{ name: "Acme Fitness", address: "hello@acme.test" }],
    ...over,
  });

  it("tests the connection: signs in, or shows the server's own refusal", async () => {
    expect(await verifySmtp(settings(), "right-password-42", local)).toEqual({ ok: true, message: "Connected and signed in as junction." });
    const wrong = await verifySmtp(settings(), "wrong-password", local);
    expect(wrong.ok).toBe(false);
    expect(wrong.message).toMatch(/^535 .*Authentication failed/);
  });

  it("says why it could not connect", async () => {
    const closed = await verifySmtp(settings({ port: 1 }), null, local, 2_000);
    expect(closed).toEqual({ ok: false, message: expect.stringMatching(/refused the connection/) });
    // Without the private-network allowance, this machine is not a place to send to.
    expect(await verifySmtp(settings(), "right-password-42")).toEqual({ ok: false, message: expect.stringMatching(/127\.0\.0\.1, a loopback address/) });
  });

  it("sends a message the server receives, with our Message-ID and headers", async () => {
    const sent = await sendSmtp(
      settings(),
      "right-password-42",
      {
        from: { name: "Acme Fitness", address: "hello@acme.test" },
        to: "ada@example.com",
        subject: "Your tariff analysis",
        html: "<p>Hello Ada</p>",
        text: "Hello Ada",
        messageId: "<delivery-123@junction.local>",
        headers: { "List-Unsubscribe": "<https://junction.example/u/abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      },
      local,
    );
    expect(sent).toMatchObject({ ok: true, messageId: "<delivery-123@junction.local>" });
    expect(sent.message).toMatch(/^250/);
    const mail = sink.received.at(-1)!;
    expect(mail.from).toBe("hello@acme.test");
    expect(mail.to).toEqual(["ada@example.com"]);
    expect(mail.raw).toContain("Message-ID: <delivery-123@junction.local>");
    expect(mail.raw).toContain("List-Unsubscribe: <https://junction.example/u/abc>");
    expect(mail.raw).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(mail.raw).toContain("Subject: Your tariff analysis");
  });
});

/**
 * TLS with a self-signed certificate, as a company's own mail server may have. Junction
 * verifies certificates: such a server is refused, with the reason, until its CA is trusted
 * the way Node trusts any extra CA (NODE_EXTRA_CA_CERTS=ca.pem, or the system store with
 * --use-system-ca). The tests trust it in-process with tls.setDefaultCACertificates.
 */
describe("pooled email over SMTP (what journeys send through)", () => {
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  beforeAll(async () => {
    sink = await startSmtpSink({ user: "junction", password: "pool-password-1" });
  });
  afterAll(async () => {
    closeSmtpPools();
    await sink.close();
  });
  const settings = (): SmtpSettings => ({ host: "127.0.0.1", port: sink.port, security: "none", user: "junction", pool: true, senders: [{ name: "Acme", address: "hello@acme.test" }] });
  const message = (i: number) => ({ from: { name: "Acme", address: "hello@acme.test" }, to: `p${i}@example.com`, subject: `Message ${i}`, text: "Hi", messageId: `<m${i}@acme.test>` });

  it("sends many messages at once over a few open connections; each arrives once", async () => {
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => sendSmtpPooled(settings(), "pool-password-1", message(i), { allowPrivate: true })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(sink.received.map((m) => m.to[0]).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `p${i}@example.com`).sort());
  });

  it("a refused sign-in closes the pool and says why; the right password works again", async () => {
    const wrong = await sendSmtpPooled(settings(), "wrong", message(99), { allowPrivate: true });
    expect(wrong).toMatchObject({ ok: false, message: expect.stringMatching(/^535/) });
    expect(await sendSmtpPooled(settings(), "pool-password-1", message(100), { allowPrivate: true })).toMatchObject({ ok: true });
  });
});

describe("email over SMTP with TLS, against a local SMTP server with a self-signed certificate", () => {
  const account = { user: "junction", password: "right-password-42" };
  const local = { allowPrivate: true };
  /** "localhost" is this machine's IPv4 address here, whatever the resolver would say. */
  const localhost = { allowPrivate: true, resolve: async () => [{ address: "127.0.0.1", family: 4 }] };
  let starttls: Awaited<ReturnType<typeof startSmtpSink>>;
  let implicit: Awaited<ReturnType<typeof startSmtpSink>>;
  const defaults = tls.getCACertificates("default");

  const settings = (over: Partial<SmtpSettings>): SmtpSettings => ({
    host: "127.0.0.1",
    port: starttls.port,
    security: "starttls",
    user: "junction",
    pool: false,
    senders: [{ name: "Acme Fitness", address: "hello@acme.test" }],
    ...over,
  });
  const trust = (...pems: (string | undefined)[]) => tls.setDefaultCACertificates([...defaults, ...pems.filter((p): p is string => !!p)]);

  beforeAll(async () => {
    const certificate = await selfSignedCertificate(["localhost", "127.0.0.1"]);
    starttls = await startSmtpSink(account, { tls: "starttls", certificate });
    implicit = await startSmtpSink(account, { tls: "tls", certificate });
  });
  afterEach(() => tls.setDefaultCACertificates(defaults));
  afterAll(async () => {
    await starttls.close();
    await implicit.close();
  });

  it("refuses a self-signed certificate by default, and says so", async () => {
    // Node adds a hint of its own after the reason ("…; if the root CA is installed locally, try --use-system-ca").
    const refused = { ok: false, message: expect.stringMatching(/^The server's TLS certificate was not accepted: self-signed certificate\b/) };
    expect(await verifySmtp(settings({}), account.password, local, 5_000)).toEqual(refused);
    expect(await verifySmtp(settings({ port: implicit.port, security: "tls" }), account.password, local, 5_000)).toEqual(refused);
    const sent = await sendSmtp(settings({}), account.password, { from: { name: "Acme", address: "hello@acme.test" }, to: "ada@example.com", subject: "Hi", text: "Hi" }, local, 5_000);
    expect(sent).toMatchObject({ ok: false, message: expect.stringMatching(/certificate was not accepted/) });
    expect(starttls.received).toHaveLength(0);
  });

  it("works over STARTTLS once the certificate is trusted, and the message travels encrypted", async () => {
    trust(starttls.ca);
    expect(await verifySmtp(settings({}), account.password, local, 5_000)).toEqual({ ok: true, message: "Connected and signed in as junction." });
    expect(await verifySmtp(settings({}), "wrong-password", local, 5_000)).toMatchObject({ ok: false, message: expect.stringMatching(/^535 /) });
    const sent = await sendSmtp(
      settings({ host: "localhost" }),
      account.password,
      { from: { name: "Acme Fitness", address: "hello@acme.test" }, to: "ada@example.com", subject: "Over TLS", text: "Hello", messageId: "<tls-1@junction.local>" },
      localhost,
      5_000,
    );
    expect(sent).toMatchObject({ ok: true, messageId: "<tls-1@junction.local>" });
    const mail = starttls.received.at(-1)!;
    expect(mail.secure).toBe(true);
    expect(mail.raw).toContain("Subject: Over TLS");
  });

  it("works with TLS from the start (port 465 style) once trusted", async () => {
    trust(implicit.ca);
    expect(await verifySmtp(settings({ port: implicit.port, security: "tls" }), account.password, local, 5_000)).toEqual({ ok: true, message: "Connected and signed in as junction." });
    const sent = await sendSmtp(
      settings({ port: implicit.port, security: "tls", host: "localhost" }),
      account.password,
      { from: { name: "Acme", address: "hello@acme.test" }, to: "ada@example.com", subject: "Implicit", text: "Hello" },
      localhost,
      5_000,
    );
    expect(sent.ok).toBe(true);
    expect(implicit.received.at(-1)).toMatchObject({ secure: true, to: ["ada@example.com"] });
  });

  it("still checks the name on a trusted certificate", async () => {
    trust(starttls.ca);
    const elsewhere = { allowPrivate: true, resolve: async () => [{ address: "127.0.0.1", family: 4 }] };
    const outcome = await verifySmtp(settings({ host: "mail.acme.test" }), account.password, elsewhere, 5_000);
    expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(/^The server's TLS certificate was not accepted: Hostname\/IP does not match certificate's altnames: Host: mail\.acme\.test/) });
  });

  it("says when the security setting does not fit the port", async () => {
    trust(starttls.ca, implicit.ca);
    // TLS from the start against a server that waits for STARTTLS.
    expect(await verifySmtp(settings({ security: "tls" }), account.password, local, 3_000)).toEqual({
      ok: false,
      message: "TLS did not start: the port may expect another security setting (465: TLS, 587: STARTTLS).",
    });
    // No TLS at all against a server that wants it before a password is sent: its own words.
    expect(await verifySmtp(settings({ security: "none" }), account.password, local, 3_000)).toEqual({ ok: false, message: expect.stringMatching(/^538 .*STARTTLS/) });
  });

  it("never shows the password", async () => {
    const planted = "planted-smtp-password-91";
    for (const over of [{}, { security: "none" as const }, { port: implicit.port, security: "tls" as const }]) {
      const outcome = await verifySmtp(settings(over), planted, local, 3_000);
      expect(outcome.ok).toBe(false);
      expect(outcome.message).not.toContain(planted);
    }
  });
});
