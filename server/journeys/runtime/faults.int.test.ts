import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { ZJourneyDefinition } from "@/lib/journeys/schema";
import { newMasterKey } from "@/server/channels/credentials";
import { saveChannel } from "@/server/channels/service";
import { createDb, type Db } from "@/server/db/client";
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from "@/server/db/embedded";
import { migrate } from "@/server/db/migrate";
import { startFeedConsumers } from "@/server/feed/consumer";
import { ingestBatch } from "@/server/ingest/service";
import { createJourney, publishJourney } from "@/server/journeys/service";
import { createTemplate } from "@/server/messages/templates";
import { segmentsConsumer } from "@/server/segments/consumer";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { startSmtpSink } from "@/server/test/smtp-sink";
import { startJourneyRuntime } from "./runner";
import { recoverSending } from "./sender";
import { journeysConsumer } from "./triggers";

// The child workers read these from the environment too: the same key decrypts the channel's password.
process.env.JUNCTION_SECRET_KEY = newMasterKey();
process.env.JUNCTION_ALLOW_PRIVATE_NETWORK = "1";

async function until(check: () => Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A workspace with an email channel to the sink, a template, and a live journey: "go" → email → exit. */
async function emailJourney(db: Db, smtpPort: number) {
  const ws = await createWorkspaceWith(db);
  const actor = { userId: ws.admin.id, label: ws.admin.email };
  const workspaceId = ws.workspace.id;
  await saveChannel(db, {
    workspaceId,
    actor,
    name: "Email",
    config: { kind: "email", settings: { host: "127.0.0.1", port: smtpPort, security: "none", user: "junction", pool: true, senders: [{ name: "Acme", address: "hello@acme.test" }] } },
    secrets: { password: "smtp-password-123" },
  });
  const template = await createTemplate(db, {
    workspaceId,
    actor,
    name: "Hello",
    channel: "email",
    content: { channel: "email", subscriptionGroupId: null, subject: "Hello {{ person.user_id }}", preheader: "", html: "<p>Hi</p>", text: "" },
  });
  const draft = ZJourneyDefinition.parse({
    schemaVersion: 1,
    nodes: [
      { id: "trigger", kind: "trigger", trigger: { type: "event", event: "go", filters: [] } },
      { id: "send", kind: "send", channel: "email", templateId: template.id },
      { id: "x", kind: "exit" },
    ],
    edges: [
      { id: "a", from: "trigger", exit: "next", to: "send" },
      { id: "b", from: "send", exit: "next", to: "x" },
    ],
  });
  const { id, revision } = await createJourney(db, { workspaceId, actor, name: "Hello", draft });
  await publishJourney(db, { workspaceId, actor, id, revision });
  const people = async (n: number, prefix: string) => {
    for (let i = 0; i < n; i += 500) {
      const items = Array.from({ length: Math.min(500, n - i) }, (_, k) => {
        const userId = `${prefix}-${i + k}`;
        return [
          { type: "identify", userId, traits: { email: `${userId}@example.com` }, messageId: `${userId}-id` },
          { type: "track", userId, event: "go", messageId: `${userId}-go` },
        ].map((raw) => {
          const parsed = parseMessage(raw);
          if (!parsed.ok) throw new Error(parsed.error);
          return { message: parsed.message, receivedAt: new Date() };
        });
      }).flat();
      await ingestBatch(db, { workspaceId, items });
    }
  };
  return { journeyId: id, workspaceId, people };
}

/** Per address, how many messages the sink received. */
function receivedPer(sink: { received: { to: string[] }[] }): Map<string, number> {
  const per = new Map<string, number>();
  for (const mail of sink.received) for (const to of mail.to) per.set(to, (per.get(to) ?? 0) + 1);
  return per;
}

describe("journey runtime faults", () => {
  const t = useTestDatabase();
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  const children: ChildProcess[] = [];
  const worker = () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.resolve(import.meta.dirname, "../../../scripts/worker.ts")], {
      env: { ...process.env, DATABASE_URL: t.url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", () => {});
    child.stderr?.on("data", () => {});
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    sink = await startSmtpSink({ user: "junction", password: "smtp-password-123" });
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await sink.close();
  });

  it("kill -9 of the worker in the middle of 1,000 sends, then a restart as two workers: nobody gets two emails; all but the few in flight at the kill get one", { timeout: 180_000 }, async () => {
    const { journeyId, people } = await emailJourney(t.db, sink.port);
    await people(1_000, "k");
    const first = worker();
    await until(async () => sink.received.length >= 150, 60_000, "the first emails").catch(async (error) => {
      console.error(await t.db.delivery.groupBy({ by: ["status", "reason"], where: { journeyId }, _count: true }), await t.db.journeyEnrollment.groupBy({ by: ["status", "nodeId"], where: { journeyId }, _count: true }));
      throw error;
    });
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    const atKill = sink.received.length;
    expect(atKill).toBeLessThan(1_000);

    // The sends the dead worker left `sending` (as the worker's recovery would after its wait).
    const recovered = await recoverSending(t.db, { olderThanMs: 0 });
    worker();
    worker();
    const open = () => t.db.delivery.count({ where: { journeyId, status: { in: ["queued", "sending"] } } });
    await until(async () => (await t.db.delivery.count({ where: { journeyId } })) === 1_000 && (await open()) === 0, 120_000, "every send to be decided");

    const deliveries = await t.db.delivery.findMany({ where: { journeyId }, select: { status: true, recipient: true } });
    const per = receivedPer(sink);
    // Exactly one delivery per person, whatever happened.
    expect(new Set(deliveries.map((d) => d.recipient)).size).toBe(1_000);
    // Never two emails to one person.
    expect(Math.max(...per.values())).toBe(1);
    const sent = deliveries.filter((d) => d.status === "sent");
    const unknown = deliveries.filter((d) => d.status === "unknown");
    expect(sent.length + unknown.length).toBe(1_000);
    // Every send recorded as sent arrived exactly once; the unknown ones (in flight at the kill) arrived once or not at all.
    for (const d of sent) expect(per.get(d.recipient)).toBe(1);
    expect(unknown.length).toBe(recovered.unknown);
    // Only sends whose provider call had begun (at most one batch of concurrent calls) are in doubt.
    expect(unknown.length).toBeLessThanOrEqual(16);
    expect(sink.received.length).toBeGreaterThanOrEqual(sent.length);
    console.info(`kill -9 after ${atKill} emails: ${sent.length} sent, ${unknown.length} unknown (of which ${unknown.filter((d) => per.get(d.recipient) === 1).length} had arrived)`);
    // Every enrollment ended, once.
    expect(await t.db.journeyEnrollment.groupBy({ by: ["status"], where: { journeyId }, _count: true })).toEqual([{ status: "completed", _count: 1_000 }]);
  });
});

describe("journey runtime: a Postgres restart in the middle of a run", () => {
  let pg: RunningPostgres;
  let dir: string;
  let url: string;
  let db: Db;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "junction-restart-"));
    pg = await startEmbeddedPostgres({ dir: path.join(dir, "data") });
    url = await ensureDatabase(pg.adminUrl, "junction");
    await migrate(url);
    db = createDb(url);
    // The app's settings want a database address (this file's other test sets it when it runs).
    process.env.DATABASE_URL ??= url;
    sink = await startSmtpSink({ user: "junction", password: "smtp-password-123" });
  }, 120_000);
  afterAll(async () => {
    await db?.$disconnect().catch(() => {});
    await pg?.stop();
    await sink?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is survived: no enrollment lost, nobody emailed twice, the run finishes after the database is back", { timeout: 180_000 }, async () => {
    const { journeyId, people } = await emailJourney(db, sink.port);
    const feed = startFeedConsumers(db, url, [segmentsConsumer(db), journeysConsumer(db)], { pollMs: 200 });
    const runtime = startJourneyRuntime(db, { pollMs: 100, housekeepingMs: 1_000, recoverAfterMs: 5_000 });
    let atStop = 0;
    try {
      await people(400, "r");
      await until(async () => sink.received.length >= 50, 60_000, "the first emails");
      const port = pg.port;
      atStop = sink.received.length;
      await pg.stop();
      // Down for two seconds while the runtime keeps trying; then back on the same port and data.
      await new Promise((r) => setTimeout(r, 2_000));
      pg = await startEmbeddedPostgres({ dir: path.join(dir, "data"), preferredPort: port });
      expect(pg.port).toBe(port);
      const open = async () => db.delivery.count({ where: { journeyId, status: { in: ["queued", "sending"] } } });
      await until(async () => {
        try {
          return (await db.journeyEnrollment.count({ where: { journeyId, status: "active" } })) === 0 && (await db.delivery.count({ where: { journeyId } })) === 400 && (await open()) === 0;
        } catch {
          return false;
        }
      }, 120_000, "the run to finish after the restart");
    } finally {
      await runtime.stop();
      await feed.stop();
    }
    expect(await db.journeyEnrollment.count({ where: { journeyId } })).toBe(400);
    const per = receivedPer(sink);
    expect(Math.max(...per.values())).toBe(1);
    const deliveries = await db.delivery.findMany({ where: { journeyId }, select: { status: true, recipient: true } });
    for (const d of deliveries.filter((x) => x.status === "sent")) expect(per.get(d.recipient)).toBe(1);
    console.info(`Postgres restart after ${atStop} emails: ${deliveries.filter((d) => d.status === "sent").length} sent, ${deliveries.filter((d) => d.status === "unknown").length} unknown`);
    expect(deliveries.filter((d) => d.status !== "sent" && d.status !== "unknown")).toEqual([]);
  });
});
