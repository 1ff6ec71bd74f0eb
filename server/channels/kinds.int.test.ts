import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { newMasterKey } from "@/server/channels/credentials";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { startHttpSink, type HttpSink } from "@/server/test/http-sink";
import { verifyWebhookSignature } from "./providers/webhook";

process.env.JUNCTION_SECRET_KEY = newMasterKey();
process.env.JUNCTION_ALLOW_PRIVATE_NETWORK = "1";

const createCaller = createCallerFactory(appRouter);
const ACCOUNT = "AC" + "a1b2c3d4".repeat(4);
const TOKEN = "planted-twilio-token-5521";

/** SMS, webhook, push and in-app channels through the API an admin's browser uses, against local stand-ins. */
describe("connecting SMS, webhook, push and in-app channels", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let twilio: HttpSink;
  let receiver: HttpSink;
  const callerAs = (role: "marketer" | "admin") => {
    const user = role === "admin" ? ws.admin : ws.members.find((m) => m.role === role)!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, role), headers: new Headers() };
    return createCaller(ctx);
  };

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["marketer"]);
    twilio = await startHttpSink();
    twilio.handle((request) => {
      const auth = Buffer.from(String(request.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      if (auth !== `${ACCOUNT}:${TOKEN}`) return { status: 401, body: { code: 20003, message: "Authenticate", status: 401 } };
      if (request.method === "GET") return { status: 200, body: { sid: ACCOUNT, status: "active" } };
      return { status: 201, body: { sid: "SM" + "5".repeat(32), status: "queued" } };
    });
    receiver = await startHttpSink();
  });
  afterAll(async () => {
    await twilio.close();
    await receiver.close();
  });

  it("SMS: tests the account with the auth token, saves it write-only, sends a test text", async () => {
    const admin = callerAs("admin");
    const config = { kind: "sms" as const, settings: { accountSid: ACCOUNT, from: "+4915100000001", baseUrl: twilio.url } };
    expect(await admin.channels.test({ config, secrets: { authToken: "wrong-token" } })).toMatchObject({ ok: false, message: expect.stringMatching(/Authenticate/) });
    expect(await admin.channels.test({ config })).toEqual({ ok: false, message: "The auth token is not set." });
    const saved = await admin.channels.save({ name: "Twilio", config, secrets: { authToken: TOKEN } });
    expect(saved).toMatchObject({ kind: "sms", secrets: [{ name: "authToken", hint: "21" }], revealed: null });
    expect(await admin.channels.test({ id: saved.id, config })).toMatchObject({ ok: true });
    const sent = await admin.channels.sendTest({ id: saved.id, to: "+4915123456789" });
    expect(sent).toMatchObject({ ok: true });
    const post = twilio.requests.at(-1)!;
    expect(post.method).toBe("POST");
    expect(new URLSearchParams(post.text).get("To")).toBe("+4915123456789");
    expect(JSON.stringify(await admin.channels.list())).not.toContain(TOKEN);
  });

  it("webhook: Junction makes the signing secret and shows it once; every request is signed with it", async () => {
    const admin = callerAs("admin");
    const config = { kind: "webhook" as const, settings: { url: `${receiver.url}/hook`, method: "POST" as const, headers: { Authorization: "Bearer receiver-token" }, body: "", timeoutMs: 5_000 } };
    const saved = await admin.channels.save({ name: "CRM", config });
    const secret = saved.revealed?.signingSecret;
    expect(secret).toMatch(/^whsec_/);
    // Never again: not in the list, not in a later save's answer.
    expect(JSON.stringify(await admin.channels.list())).not.toContain(secret!);
    expect((await admin.channels.save({ id: saved.id, name: "CRM", config })).revealed).toBeNull();

    expect(await admin.channels.sendTest({ id: saved.id, to: config.settings.url })).toMatchObject({ ok: true });
    const request = receiver.requests.at(-1)!;
    expect(request.headers.authorization).toBe("Bearer receiver-token");
    expect(request.headers["idempotency-key"]).toMatch(/^settings-test:/);
    expect(verifyWebhookSignature(secret!, String(request.headers["junction-signature"]), request.text)).toMatchObject({ ok: true });
    // The scheme a receiver implements by hand: HMAC-SHA256 over "<t>.<body>".
    const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(String(request.headers["junction-signature"]))!;
    expect(createHmac("sha256", secret!).update(`${ts}.${request.text}`).digest("hex")).toBe(v1);
  });

  it("push: VAPID keys are made in the app; a malformed service-account JSON names the field, and nothing is saved", async () => {
    const admin = callerAs("admin");
    const keys = await admin.channels.vapidKeys();
    expect(keys.publicKey).toMatch(/^B[A-Za-z0-9_-]{86}$/);
    const before = await t.db.channel.count();
    const config = {
      kind: "push" as const,
      settings: { webPush: { publicKey: keys.publicKey, subject: "mailto:ops@acme.test" }, fcm: { projectId: "acme-app-1234", baseUrl: receiver.url } },
    };
    await expect(admin.channels.save({ name: "Push", config, secrets: { serviceAccount: JSON.stringify({ type: "service_account", project_id: "acme-app-1234", client_email: "not-an-email" }) } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/private_key is missing.*client_email must be an email|client_email must be an email.*private_key is missing/),
    });
    await expect(admin.channels.save({ name: "Push", config, secrets: { serviceAccount: "{ not json" } })).rejects.toMatchObject({ message: expect.stringContaining("not valid JSON") });
    expect(await t.db.channel.count()).toBe(before);

    const saved = await admin.channels.save({ name: "Push", config: { kind: "push", settings: { webPush: config.settings.webPush } }, secrets: { vapidPrivateKey: keys.privateKey } });
    expect(await admin.channels.test({ id: saved.id, config: { kind: "push", settings: { webPush: config.settings.webPush } } })).toMatchObject({ ok: true });
    expect(JSON.stringify(await admin.channels.list())).not.toContain(keys.privateKey);
  });

  it("in-app needs no credentials; a marketer changes no channel; a secret of another kind is refused", async () => {
    const admin = callerAs("admin");
    expect(await admin.channels.save({ name: "In-app", config: { kind: "inapp", settings: { retentionDays: 30 } } })).toMatchObject({ kind: "inapp", secrets: [] });
    await expect(admin.channels.save({ name: "x", config: { kind: "inapp", settings: { retentionDays: 30 } }, secrets: { password: "p" } })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("no secret called “password”") });
    await expect(callerAs("marketer").channels.vapidKeys()).rejects.toMatchObject({ code: "FORBIDDEN" });
    const sms = (await admin.channels.list()).find((c) => c.kind === "sms")!;
    await expect(admin.channels.save({ id: sms.id, name: "x", config: { kind: "inapp", settings: { retentionDays: 30 } } })).rejects.toMatchObject({ message: expect.stringContaining("kind cannot change") });
  });
});
