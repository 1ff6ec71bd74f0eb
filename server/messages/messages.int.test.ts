import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import type { TemplateContent } from "@/lib/messages/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { newMasterKey } from "@/server/channels/credentials";
import { ingestBatch } from "@/server/ingest/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { startSmtpSink } from "@/server/test/smtp-sink";
import { claimDelivery } from "./deliveries";
import { listInAppMessages } from "@/server/inapp/service";

process.env.JUNCTION_SECRET_KEY = newMasterKey();
process.env.JUNCTION_ALLOW_PRIVATE_NETWORK = "1";

const createCaller = createCallerFactory(appRouter);

describe("message templates, previews, test sends and the delivery log", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let ann: string;

  const callerAs = (role: "viewer" | "marketer" | "admin") => {
    const user = role === "admin" ? ws.admin : ws.members.find((m) => m.role === role)!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, role), headers: new Headers() };
    return createCaller(ctx);
  };

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer", "marketer"]);
    sink = await startSmtpSink({ user: "junction", password: "smtp-password-123" });
    const items = [
      { type: "identify", userId: "ann", traits: { first_name: "Ann", email: "ann@example.com", plan: "pro" }, messageId: "m-1", timestamp: "2026-12-01T10:00:00Z" },
      { type: "track", userId: "ann", event: "tariff_calculator_opened", properties: { tariff: "Flex 12" }, messageId: "m-2", timestamp: "2026-12-01T11:00:00Z" },
    ].map((raw) => {
      const parsed = parseMessage(raw);
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: new Date() };
    });
    await ingestBatch(t.db, { workspaceId: ws.workspace.id, items });
    ann = (await t.db.profile.findFirstOrThrow({ where: { workspaceId: ws.workspace.id, userId: "ann" } })).id;
  });
  afterAll(() => sink.close());

  const email = (over: Partial<Extract<TemplateContent, { channel: "email" }>> = {}): TemplateContent => ({
    channel: "email",
    subscriptionGroupId: null,
    subject: "Your {{ event.properties.tariff }} analysis, {{ person.first_name }}",
    preheader: "",
    html: "<p>Hi {{ person.first_name }}</p>{% render 'footer' %}",
    text: "",
    ...over,
  });

  it("a marketer creates a template that starts working, and every changed save is a new version", async () => {
    const marketer = callerAs("marketer");
    const { id } = await marketer.messages.create({ name: "Tariff reminder", channel: "email" });
    const created = await marketer.messages.get({ id });
    // No footer partial yet: the starter carries its own unsubscribe line.
    expect(created.content).toMatchObject({ channel: "email", html: expect.stringContaining("{{ unsubscribe_url }}") });
    expect(created.versions.map((v) => v.version)).toEqual([1]);

    await marketer.messages.savePartial({ name: "footer", body: '<p>Acme · <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>' });
    expect(await marketer.messages.save({ id, name: "Tariff reminder", content: email() })).toMatchObject({ version: 2, created: true });
    // Saving the same again is not a new version.
    expect(await marketer.messages.save({ id, name: "Tariff reminder", content: email() })).toMatchObject({ version: 2, created: false });

    // The version keeps the partial as it was: changing the partial later changes new versions only.
    const partial = (await marketer.messages.partials()).find((p) => p.name === "footer")!;
    await marketer.messages.savePartial({ id: partial.id, name: "footer", body: "<p>New footer</p>" });
    const frozen = await t.db.messageTemplateVersion.findFirstOrThrow({ where: { templateId: id, version: 2 } });
    expect(frozen.partials).toEqual({ footer: '<p>Acme · <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>' });
    expect(await marketer.messages.save({ id, name: "Tariff reminder", content: email() })).toMatchObject({ version: 3, created: true });

    // A partial a template uses cannot be deleted from under it.
    await expect(marketer.messages.deletePartial({ id: partial.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("“Tariff reminder”") });

    const list = await callerAs("viewer").messages.list({});
    expect(list).toEqual([expect.objectContaining({ id, name: "Tariff reminder", channel: "email", version: 3 })]);
    const audit = await callerAs("admin").audit.list({});
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(["template.created", "template.updated", "partial.created", "partial.updated"]));
  });

  it("previews with a chosen person and their latest event; errors carry field, line and column", async () => {
    const viewer = callerAs("viewer");
    const preview = await viewer.messages.preview({ content: email(), profileId: ann });
    expect(preview.person).toMatchObject({ userId: "ann", name: "Ann" });
    expect(preview.event).toMatchObject({ name: "tariff_calculator_opened" });
    expect(preview.result).toMatchObject({ ok: true, output: { subject: "Your Flex 12 analysis, Ann", html: expect.stringContaining("<p>Hi Ann</p><p>New footer</p>") } });

    // Without a person: the example person, and an example event the marketer gives.
    const example = await viewer.messages.preview({ content: email({ subject: "{{ event.properties.tariff }}" }), event: { name: "x", properties: { tariff: "Eco" } } });
    expect(example).toMatchObject({ person: null, result: { ok: true, output: { subject: "Eco" } } });

    const broken = await viewer.messages.preview({ content: email({ subject: "Hi {{ person.nickname }}", html: "<p>\n{% if person.plan %}" }), profileId: ann });
    expect(broken.result).toEqual({
      ok: false,
      errors: [
        { field: "subject", message: "undefined variable: person.nickname", line: 1, column: 7 },
        { field: "html", message: "tag {% if person.plan %} not closed", line: 2, column: 1 },
      ],
    });

    const sms = await viewer.messages.preview({ content: { channel: "sms", subscriptionGroupId: null, text: "Hi {{ person.first_name }} 👋" }, profileId: ann });
    expect(sms.sms).toMatchObject({ encoding: "UCS-2", segments: 1 });
  });

  it("refuses bad input with the field named and nothing saved", async () => {
    const marketer = callerAs("marketer");
    const before = await t.db.messageTemplate.count();
    await expect(marketer.messages.create({ name: "Tariff reminder", channel: "sms" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(marketer.messages.create({ name: "Bad\u0000name", channel: "sms" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const { id } = (await marketer.messages.list({})).find((x) => x.name === "Tariff reminder")!;
    const bad = await marketer.messages
      .save({ id, name: "Tariff reminder", content: email({ html: "a\ud800b", subject: "x".repeat(1_001) }) })
      .catch((error: { code: string; cause: { issues: { path: PropertyKey[] }[] } }) => error);
    expect(bad).toMatchObject({ code: "BAD_REQUEST" });
    expect((bad as { cause: { issues: { path: PropertyKey[] }[] } }).cause.issues.map((i) => i.path.join("."))).toContain("content.html");
    await expect(marketer.messages.save({ id, name: "Tariff reminder", content: email({ subject: "x".repeat(1_001) }) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(marketer.messages.save({ id, name: "Tariff reminder", content: { channel: "sms", subscriptionGroupId: null, text: "x" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("channel cannot change"),
    });
    await expect(callerAs("viewer").messages.save({ id, name: "x", content: email() })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(marketer.messages.preview({ content: email(), event: { name: "x", properties: { deep: JSON.parse("[".repeat(100) + "]".repeat(100)) } } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await t.db.messageTemplate.count()).toBe(before);
  });

  it("a test send renders for the person, carries the unsubscribe headers and a stable Message-ID, and is logged", async () => {
    const admin = callerAs("admin");
    const channel = await admin.channels.save({
      name: "Email",
      config: { kind: "email", settings: { host: "127.0.0.1", port: sink.port, security: "none", user: "junction", pool: false, senders: [{ name: "Acme", address: "hello@acme.test" }] } },
      secrets: { password: "smtp-password-123" },
    });
    const marketer = callerAs("marketer");
    const { id } = (await marketer.messages.list({})).find((x) => x.name === "Tariff reminder")!;
    const sent = await marketer.messages.sendTest({ templateId: id, channelId: channel.id, to: "qa@acme.test", profileId: ann });
    expect(sent).toMatchObject({ status: "sent", message: expect.stringMatching(/^250/) });

    const mail = sink.received.at(-1)!;
    expect(mail.to).toEqual(["qa@acme.test"]);
    expect(mail.raw).toContain("Subject: Your Flex 12 analysis, Ann");
    expect(mail.raw).toMatch(new RegExp(`Message-ID: <${sent.deliveryId}@acme\\.test>`, "i"));
    // One click in the mail client: a POST to a signed address, no sign-in (RFC 8058).
    expect(mail.raw).toMatch(/List-Unsubscribe:\s+<http:\/\/[^>]+\/api\/v1\/unsubscribe\/[^>]+>/);
    expect(mail.raw).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");

    const log = await callerAs("viewer").messages.deliveries({});
    expect(log.items[0]).toMatchObject({ id: sent.deliveryId, channel: "email", status: "sent", recipient: "qa@acme.test", test: true, person: { userId: "ann" }, template: { name: "Tariff reminder", version: 3 } });
    const one = await callerAs("viewer").messages.delivery({ id: sent.deliveryId });
    expect(one.rendered).toMatchObject({ subject: "Your Flex 12 analysis, Ann" });
    expect(one.providerMessageId).toBe(`<${sent.deliveryId}@acme.test>`);

    // A template that does not render for this person is logged as failed, with the reason, and not sent.
    await marketer.messages.save({ id, name: "Tariff reminder", content: email({ subject: "{{ person.nickname }}" }) });
    const count = sink.received.length;
    const failed = await marketer.messages.sendTest({ templateId: id, channelId: channel.id, to: "qa@acme.test", profileId: ann });
    expect(failed).toMatchObject({ status: "failed", message: expect.stringContaining("subject (line 1, column 4): undefined variable: person.nickname") });
    expect(sink.received.length).toBe(count);

    // The log filters by status and pages.
    expect((await marketer.messages.deliveries({ status: "failed" })).items.map((d) => d.id)).toEqual([failed.deliveryId]);
    const page1 = await marketer.messages.deliveries({ limit: 1 });
    const page2 = await marketer.messages.deliveries({ limit: 1, cursor: page1.nextCursor });
    expect([page1.items[0]!.id, page2.items[0]!.id]).toEqual([failed.deliveryId, sent.deliveryId]);
    expect(page2.nextCursor).toBeNull();
  });

  it("consent holds at send: a person who left the message's group is not sent it, and the log says why", async () => {
    const admin = callerAs("admin");
    const marketer = callerAs("marketer");
    const news = await admin.consent.createGroup({ name: "Product news", channel: "email", mode: "opt_out", purpose: "marketing" });
    const sms = await admin.consent.createGroup({ name: "SMS offers", channel: "sms", mode: "opt_in", purpose: "marketing" });
    const { id } = (await marketer.messages.list({})).find((x) => x.name === "Tariff reminder")!;
    // A group of another channel, or of nowhere, is refused with nothing saved.
    await expect(marketer.messages.save({ id, name: "Tariff reminder", content: email({ subscriptionGroupId: sms.id }) })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("is for sms") });
    await expect(marketer.messages.save({ id, name: "Tariff reminder", content: email({ subscriptionGroupId: "nope" }) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await marketer.messages.save({ id, name: "Tariff reminder", content: email({ subscriptionGroupId: news.id }) });
    const channel = (await admin.channels.list())[0]!;

    // Opt-out group, no answer yet: sent.
    expect(await marketer.messages.sendTest({ templateId: id, channelId: channel.id, to: "qa@acme.test", profileId: ann })).toMatchObject({ status: "sent" });
    await marketer.consent.set({ profileId: ann, groupId: news.id, subscribed: false });
    const count = sink.received.length;
    const suppressed = await marketer.messages.sendTest({ templateId: id, channelId: channel.id, to: "qa@acme.test", profileId: ann });
    expect(suppressed).toMatchObject({ status: "suppressed", message: expect.stringContaining("Unsubscribed from “Product news”") });
    expect(sink.received.length).toBe(count);
    const row = await marketer.messages.delivery({ id: suppressed.deliveryId });
    expect(row).toMatchObject({ status: "suppressed", reason: expect.stringContaining("Product news"), sentAt: null });

    // A group deleted after the template was saved: consent cannot be read, so nothing is sent.
    await t.db.subscriptionGroup.delete({ where: { id: news.id } });
    const unreadable = await marketer.messages.sendTest({ templateId: id, channelId: channel.id, to: "qa@acme.test", profileId: ann });
    expect(unreadable).toMatchObject({ status: "suppressed" });
    expect(sink.received.length).toBe(count);
  });

  it("an in-app test send is kept for the person, for their app to fetch", async () => {
    const admin = callerAs("admin");
    const marketer = callerAs("marketer");
    const channel = await admin.channels.save({ name: "In-app", config: { kind: "inapp", settings: { retentionDays: 7 } } });
    const { id } = await marketer.messages.create({ name: "Analysis offer", channel: "inapp" });
    await expect(marketer.messages.sendTest({ templateId: id, channelId: channel.id, to: "ann" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("Choose a person") });
    const sent = await marketer.messages.sendTest({ templateId: id, channelId: channel.id, to: "ann", profileId: ann });
    expect(sent).toMatchObject({ status: "sent" });
    const { messages } = await listInAppMessages(t.db, { workspaceId: ws.workspace.id, profileId: ann, limit: 10 });
    expect(messages).toEqual([expect.objectContaining({ title: "Want a short analysis?", buttonLabel: "Show me" })]);
    expect((await marketer.messages.delivery({ id: sent.deliveryId })).status).toBe("sent");
  });

  it("a delivery is claimed once per key: a retry finds the first claim", async () => {
    const claim = { workspaceId: ws.workspace.id, channel: "email" as const, idempotencyKey: "journey:e1:n1:1", recipient: "a@b.c", status: "sending" as const };
    const [a, b] = await Promise.all([claimDelivery(t.db, claim), claimDelivery(t.db, claim)]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.id).toBe(b.id);
  });
});
