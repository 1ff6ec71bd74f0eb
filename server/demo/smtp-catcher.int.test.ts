import { mkdtemp, readdir, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZSmtpSettings } from "@/lib/channels/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { sendSmtp } from "@/server/channels/providers/smtp";
import { outboundPolicy } from "@/server/channels/ssrf";
import { DEMO_INBOX_CHANNEL_ID, pointDemoInboxChannel, seedDemoInboxChannel } from "@/server/demo/inbox-channel";
import { startSmtpCatcher, type SmtpCatcher } from "@/server/demo/smtp-catcher";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";

// Demo mode as the start command sets it up for the app (scripts/run.ts).
const dataDir = await mkdtemp(path.join(os.tmpdir(), "junction-catcher-"));
process.env.JUNCTION_DEMO = "1";
process.env.JUNCTION_DATA_DIR = dataDir;
process.env.JUNCTION_ALLOW_PRIVATE_NETWORK = "1";

const createCaller = createCallerFactory(appRouter);

describe("demo mode's mail catcher", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let catcher: SmtpCatcher;
  const viewer = () => {
    const ctx: Context = { db: t.db, viewer: viewerFor(ws.members[0]!.user, ws.workspace, "viewer"), headers: new Headers() };
    return createCaller(ctx);
  };

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer"]);
    catcher = await startSmtpCatcher({ dir: path.join(dataDir, "inbox"), preferredPort: 0 });
  });
  afterAll(async () => {
    await catcher?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("catches what the demo channel sends through nodemailer, and any member reads it: rendered HTML, text, List-Unsubscribe and Message-ID", async () => {
    await seedDemoInboxChannel(t.db, ws.workspace.id, { userId: ws.admin.id, label: "seed" });
    expect(await pointDemoInboxChannel(t.db, catcher.port)).toBe("updated");
    const row = await t.db.channel.findUniqueOrThrow({ where: { id: DEMO_INBOX_CHANNEL_ID } });
    const settings = ZSmtpSettings.parse(row.settings);
    expect(settings).toMatchObject({ host: "127.0.0.1", port: catcher.port, security: "none" });

    const sender = settings.senders[0]!;
    const sent = await sendSmtp(
      settings,
      null,
      {
        from: sender,
        to: "ada@example.com",
        subject: "Ada, your tariff analysis is ready ✓",
        html: "<p>Hi <strong>Ada</strong>, see <a href=\"https://acme.example/tariffs\">your analysis</a>.</p>",
        text: "Hi Ada, see your analysis: https://acme.example/tariffs",
        headers: { "List-Unsubscribe": "<https://junction.example/api/v1/unsubscribe/t0k3n>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
        messageId: "<delivery-42@junction.local>",
      },
      outboundPolicy(),
    );
    expect(sent).toMatchObject({ ok: true, message: expect.stringMatching(/^250 .*Caught .*Demo inbox/) });

    const list = await viewer().demoInbox.list({});
    expect(list.total).toBe(1);
    const [caught] = list.items;
    expect(caught).toMatchObject({ from: "Acme Fitness <hello@acme.example>", to: "ada@example.com", subject: "Ada, your tariff analysis is ready ✓", messageId: "<delivery-42@junction.local>" });
    expect(caught!.envelope).toEqual({ from: "hello@acme.example", to: ["ada@example.com"] });

    const opened = await viewer().demoInbox.get({ id: caught!.id });
    expect(opened.html).toBe("<p>Hi <strong>Ada</strong>, see <a href=\"https://acme.example/tariffs\">your analysis</a>.</p>");
    expect(opened.text).toBe("Hi Ada, see your analysis: https://acme.example/tariffs");
    expect(opened.headers).toEqual(
      expect.arrayContaining([
        { name: "List-Unsubscribe", value: "<https://junction.example/api/v1/unsubscribe/t0k3n>" },
        { name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click" },
        { name: "Message-ID", value: "<delivery-42@junction.local>" },
      ]),
    );
    // Kept on disk under the data directory, as .eml and .json.
    expect((await readdir(path.join(dataDir, "inbox"))).sort()).toEqual([`${caught!.id}.eml`, `${caught!.id}.json`]);
  });

  it("accepts any sign-in, newest first; a message it no longer has and an id that is not one are refused", async () => {
    const settings = { host: "127.0.0.1", port: catcher.port, security: "none" as const, user: "whoever", pool: false, senders: [{ name: "", address: "x@acme.example" }] };
    const sent = await sendSmtp(settings, "any password", { from: settings.senders[0]!, to: "bo@example.com", subject: "Second", text: "Only text." }, outboundPolicy());
    expect(sent.ok).toBe(true);
    const list = await viewer().demoInbox.list({ limit: 1 });
    expect(list.items.map((m) => m.subject)).toEqual(["Second"]);
    expect(list.nextCursor).not.toBeNull();
    const older = await viewer().demoInbox.list({ limit: 1, cursor: list.nextCursor });
    expect(older.items.map((m) => m.subject)).toEqual(["Ada, your tariff analysis is ready ✓"]);
    expect(await viewer().demoInbox.get({ id: list.items[0]!.id })).toMatchObject({ html: null, text: "Only text." });

    await expect(viewer().demoInbox.get({ id: "0000000000001-00000000" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(viewer().demoInbox.get({ id: "../secret-key" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("refuses a message over its size limit with the SMTP answer, and keeps nothing of it", async () => {
    const small = await startSmtpCatcher({ dir: path.join(dataDir, "small"), preferredPort: 0, maxBytes: 4_096 });
    try {
      const settings = { host: "127.0.0.1", port: small.port, security: "none" as const, pool: false, senders: [{ name: "", address: "x@acme.example" }] };
      const sent = await sendSmtp(settings, null, { from: settings.senders[0]!, to: "bo@example.com", subject: "Big", text: "x".repeat(20_000) }, outboundPolicy());
      expect(sent).toMatchObject({ ok: false, message: expect.stringMatching(/^552 /) });
      expect(await readdir(path.join(dataDir, "small")).catch(() => [])).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it("takes another free port when the preferred one is busy", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const taken = (busy.address() as net.AddressInfo).port;
    const other = await startSmtpCatcher({ dir: path.join(dataDir, "other"), preferredPort: taken });
    try {
      expect(other.port).not.toBe(taken);
      expect(other.port).toBeGreaterThan(0);
    } finally {
      await other.close();
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
