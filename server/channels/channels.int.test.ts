import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newMasterKey } from "@/server/channels/credentials";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { startSmtpSink } from "@/server/test/smtp-sink";

// The app's own policy and key, as a deployment with a local SMTP server would set them.
process.env.JUNCTION_SECRET_KEY = newMasterKey();
process.env.JUNCTION_ALLOW_PRIVATE_NETWORK = "1";

const createCaller = createCallerFactory(appRouter);
const PLANTED = "planted-secret-value-7781";

describe("connecting an email channel", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let port: number;

  const callerAs = (role: "viewer" | "marketer" | "admin") => {
    const user = role === "admin" ? ws.admin : ws.members.find((m) => m.role === role)!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, role), headers: new Headers() };
    return createCaller(ctx);
  };

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer", "marketer"]);
    sink = await startSmtpSink({ user: "junction", password: PLANTED });
    port = sink.port;
  });
  afterAll(() => sink.close());

  const settings = () => ({ host: "127.0.0.1", port, security: "none" as const, user: "junction", pool: true, senders: [{ name: "Acme Fitness", address: "hello@acme.test" }] });
  const email = () => ({ kind: "email" as const, settings: settings() });

  it("an admin tests before saving, saves, tests again and sends a test email; no answer, page data or audit entry holds the password", async () => {
    const admin = callerAs("admin");
    const outputs: unknown[] = [];
    const keep = <T>(value: T) => (outputs.push(value), value);

    expect(keep(await admin.channels.test({ config: email(), secrets: { password: "wrong-password" } }))).toMatchObject({ ok: false, message: expect.stringMatching(/^535/) });
    expect(keep(await admin.channels.test({ config: email(), secrets: { password: PLANTED } }))).toEqual({ ok: true, message: "Connected and signed in as junction." });

    const saved = keep(await admin.channels.save({ name: "Marketing email", config: email(), secrets: { password: PLANTED } }));
    expect(saved.secrets).toEqual([{ name: "password", set: true, hint: "81", updatedAt: expect.any(Date) }]);
    // Saved: the stored password is used when none is given.
    expect(keep(await admin.channels.test({ id: saved.id, config: email() }))).toMatchObject({ ok: true });
    const sent = keep(await admin.channels.sendTest({ id: saved.id, to: "ada@example.com" }));
    expect(sent).toMatchObject({ ok: true, message: expect.stringMatching(/^250/) });
    expect(sink.received.at(-1)!.raw).toContain("Subject: Test email from Junction (Marketing email)");

    // Renaming without a password keeps the stored one.
    keep(await admin.channels.save({ id: saved.id, name: "Newsletter", config: email() }));
    const [listed] = keep(await callerAs("viewer").channels.list());
    expect(listed).toMatchObject({ name: "Newsletter", lastTest: { ok: true }, secrets: [{ name: "password", hint: "81" }] });
    expect(keep(await admin.channels.test({ id: saved.id, config: email() }))).toMatchObject({ ok: true });

    const audit = keep(await admin.audit.list({}));
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(["channel.created", "channel.updated"]));
    expect(audit.entries.find((e) => e.action === "channel.created")!.diff).toMatchObject({ sign_in: { to: "password replaced" } });

    for (const output of outputs) expect(JSON.stringify(output)).not.toContain(PLANTED);
    const rows = await t.db.$queryRaw<{ all: string }[]>`SELECT (SELECT json_agg(c)::text FROM channels c) || (SELECT json_agg(s)::text FROM secrets s) || (SELECT json_agg(a)::text FROM audit_log a) AS all`;
    expect(rows[0]!.all).not.toContain(PLANTED);
  });

  it("refuses what it must: viewers and marketers change nothing, a metadata host is refused with nothing saved, bad settings name the field", async () => {
    await expect(callerAs("marketer").channels.save({ name: "x", config: email(), secrets: { password: "p" } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerAs("viewer").channels.test({ config: email(), secrets: { password: "p" } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const before = await t.db.channel.count();
    await expect(callerAs("admin").channels.save({ name: "Metadata", config: { kind: "email", settings: { ...settings(), host: "169.254.169.254" } }, secrets: { password: "p" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/Host: 169\.254\.169\.254 resolves to .*cloud metadata/),
    });
    expect(await t.db.channel.count()).toBe(before);
    const bad = await callerAs("admin")
      .channels.save({ name: "Bad", config: { kind: "email", settings: { ...settings(), port: 70_000, senders: [] } } })
      .catch((error: { code: string; cause: { issues: { path: PropertyKey[]; message: string }[] } }) => error);
    expect(bad).toMatchObject({ code: "BAD_REQUEST" });
    const issues = (bad as { cause: { issues: { path: PropertyKey[] }[] } }).cause.issues;
    expect(issues.map((i) => i.path.join("."))).toEqual(["config.settings.port", "config.settings.senders"]);
    expect(await t.db.channel.count()).toBe(before);
  });

  it("no query anywhere in the API answers with a channel's secret (every procedure walked, as each role)", async () => {
    const admin = callerAs("admin");
    await admin.channels.save({ name: "Walked", config: email(), secrets: { password: PLANTED } });
    // A secret of every kind, each with the planted value in it.
    const vapid = await admin.channels.vapidKeys();
    await admin.channels.save({
      name: "Walked SMS",
      config: { kind: "sms", settings: { accountSid: "AC" + "1".repeat(32), from: "+4915100000001", baseUrl: "http://127.0.0.1:9" } },
      secrets: { authToken: `sms-${PLANTED}` },
    });
    await admin.channels.save({ name: "Walked hook", config: { kind: "webhook", settings: { url: "http://127.0.0.1:9/hook", method: "POST", headers: {}, body: "", timeoutMs: 5_000 } }, secrets: { signingSecret: `whsec_${PLANTED}` } });
    await admin.channels.save({ name: "Walked push", config: { kind: "push", settings: { webPush: { publicKey: vapid.publicKey, subject: "mailto:ops@acme.test" } } }, secrets: { vapidPrivateKey: vapid.privateKey } });
    const procedures = (appRouter._def as unknown as { procedures: Record<string, { _def: { type: string } }> }).procedures;
    const queries = Object.entries(procedures).filter(([, p]) => p._def.type === "query").map(([path]) => path);
    const answered = new Set<string>();
    for (const role of ["admin", "marketer", "viewer"] as const) {
      const caller = callerAs(role) as unknown as Record<string, Record<string, (input?: unknown) => Promise<unknown>>>;
      for (const path of queries) {
        const [area, name] = path.split(".") as [string, string];
        // Procedures that need input we cannot guess refuse it (a 400): what they would answer is covered beside them.
        const output = await caller[area]![name]!({}).catch(() => undefined);
        if (output === undefined) continue;
        answered.add(path);
        expect(JSON.stringify(output), `${role} ${path}`).not.toContain(PLANTED);
        expect(JSON.stringify(output), `${role} ${path}`).not.toContain(vapid.privateKey);
      }
    }
    expect(queries).toContain("channels.list");
    // The ones that list channels, settings and history answered (about a dozen answer without input today).
    expect([...answered]).toEqual(expect.arrayContaining(["channels.list", "workspace.current", "workspace.stats", "audit.list", "keys.list", "members.list"]));
    expect(answered.size).toBeGreaterThanOrEqual(10);
  });
});
