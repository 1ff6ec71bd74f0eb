import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SmtpSettings } from "@/lib/channels/schema";
import { startSmtpSink } from "@/server/test/smtp-sink";
import { sendSmtp, verifySmtp } from "./smtp";

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
