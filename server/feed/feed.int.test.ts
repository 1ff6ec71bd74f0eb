import pg from "pg";
import { describe, expect, it } from "vitest";
import { createDb, pgSql, sql, type Db, type Sql } from "@/server/db/client";
import { parseMessage } from "@/lib/ingest/schema";
import { ingestBatch } from "@/server/ingest/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { announceFeed, appendFeed, feedLag, pruneFeed, type FeedRow } from "./feed";
import { consume, drain, startFeedConsumers, type FeedConsumer } from "./consumer";

/** A consumer that records what it was handed, and writes one effect row per feed row in its transaction. */
function recorder(name: string, seen: FeedRow[] = []): FeedConsumer & { seen: FeedRow[] } {
  return {
    name,
    seen,
    async handle(tx: Sql, rows: FeedRow[]) {
      seen.push(...rows);
      await tx.execute`INSERT INTO feed_test_effects (consumer, feed_id) SELECT ${name}::text, unnest(${rows.map((r) => r.id)}::bigint[])`;
    },
  };
}

async function until(check: () => Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("the change feed", () => {
  const t = useTestDatabase();
  let n = 0;

  async function ingest(db: Db, workspaceId: string, count: number) {
    const items = Array.from({ length: count }, () => {
      const parsed = parseMessage({ type: "track", userId: `u-${n % 7}`, event: "feed_test", messageId: `feed-${++n}` });
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: new Date() };
    });
    return ingestBatch(db, { workspaceId, items });
  }

  it("a reader never passes a transaction that is still open, even when later ones have committed", async () => {
    await sql(t.db).execute`CREATE TABLE IF NOT EXISTS feed_test_effects (consumer text, feed_id bigint)`;
    const { workspace } = await createWorkspaceWith(t.db);
    const consumer = recorder("out-of-order");
    await drain(t.db, consumer);
    consumer.seen.length = 0;

    // Transaction A writes to the feed first (so its row gets the lower sequence number) and stays open.
    const held = new pg.Client({ connectionString: t.url });
    await held.connect();
    await held.query("BEGIN");
    await appendFeed(pgSql(held), [{ workspaceId: workspace.id, kind: "events", profileIds: ["held-person"] }]);
    // Later ingest transactions commit meanwhile.
    await ingest(t.db, workspace.id, 3);
    await ingest(t.db, workspace.id, 2);
    const committed = await sql(t.db).query<{ id: string }>`SELECT id::text FROM change_feed WHERE workspace_id = ${workspace.id} ORDER BY id`;
    expect(committed).toHaveLength(2);
    // (A cursor on the sequence number alone would now read both and move past A's lower number.)

    await drain(t.db, consumer);
    expect(consumer.seen).toEqual([]);

    await held.query("COMMIT");
    await held.end();
    await drain(t.db, consumer);
    expect(consumer.seen.map((r) => r.profileIds[0] === "held-person" ? "A" : "later")).toEqual(["A", "later", "later"]);
    const ids = consumer.seen.map((r) => BigInt(r.id));
    expect(ids[0]! < ids[1]!).toBe(true);

    // A rolled-back transaction's rows never appear, and do not hold anyone up.
    const rolledBack = new pg.Client({ connectionString: t.url });
    await rolledBack.connect();
    await rolledBack.query("BEGIN");
    await appendFeed(pgSql(rolledBack), [{ workspaceId: workspace.id, kind: "events", profileIds: ["never"] }]);
    await ingest(t.db, workspace.id, 1);
    await rolledBack.query("ROLLBACK");
    await rolledBack.end();
    consumer.seen.length = 0;
    await drain(t.db, consumer);
    expect(consumer.seen.map((r) => r.profileIds.includes("never"))).toEqual([false]);
  });

  it("a long transaction in another database of the same server does not hold the feed up", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const consumer = recorder("other-database");
    await drain(t.db, consumer);
    consumer.seen.length = 0;
    const admin = new URL(t.url);
    admin.pathname = "/postgres";
    const elsewhere = new pg.Client({ connectionString: admin.toString() });
    await elsewhere.connect();
    await elsewhere.query("BEGIN");
    await elsewhere.query("SELECT pg_current_xact_id()"); // holds a transaction id, as a bulk load would
    try {
      await ingest(t.db, workspace.id, 2);
      await drain(t.db, consumer);
      expect(consumer.seen).toHaveLength(1);
    } finally {
      await elsewhere.query("ROLLBACK");
      await elsewhere.end();
    }
  });

  it("the CSV import's path (one message at a time) reaches the feed too, with the stored people", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const { ingestMessage } = await import("@/server/ingest/service");
    const parsed = parseMessage({ type: "identify", userId: "csv-person", traits: { plan: "pro" }, messageId: "csv-1" });
    if (!parsed.ok) throw new Error(parsed.error);
    expect(await ingestMessage(t.db, { workspaceId: workspace.id, message: parsed.message, receivedAt: new Date() })).toBe("stored");
    const profile = await t.db.profile.findFirstOrThrow({ where: { workspaceId: workspace.id, userId: "csv-person" } });
    const rows = await sql(t.db).query<{ kind: string; profile_ids: string[]; payload: { eventIds: string[] } }>`
      SELECT kind, profile_ids, payload FROM change_feed WHERE workspace_id = ${workspace.id}`;
    expect(rows).toEqual([{ kind: "events", profile_ids: [profile.id], payload: { eventIds: [expect.any(String)] } }]);
    // A duplicate stores nothing and writes nothing to the feed.
    expect(await ingestMessage(t.db, { workspaceId: workspace.id, message: parsed.message, receivedAt: new Date() })).toBe("duplicate");
    expect(await sql(t.db).query`SELECT 1 FROM change_feed WHERE workspace_id = ${workspace.id}`).toHaveLength(1);
  });

  it("two processes consuming at once: every row's effect happens exactly once, in order", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const name = "two-processes";
    await drain(t.db, recorder(name));
    await sql(t.db).execute`DELETE FROM feed_test_effects WHERE consumer = ${name}`;
    const [{ start }] = (await sql(t.db).query<{ start: string }>`SELECT COALESCE(max(id), 0)::text AS start FROM change_feed`) as [{ start: string }];

    // Two pools, as two app processes would have, each with its own listener and loop.
    const dbs = [createDb(t.url), createDb(t.url)];
    const seen: FeedRow[][] = [[], []];
    const runners = dbs.map((db, i) => startFeedConsumers(db, t.url, [{ ...recorder(name, seen[i]), batch: 7 }], { pollMs: 200 }));
    // Steady ingest from several connections at once.
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let k = 0; k < 15; k++) await ingest(t.db, workspace.id, 3);
    }));
    const written = await sql(t.db).query<{ id: string }>`SELECT id::text FROM change_feed WHERE id > ${start}::bigint AND workspace_id = ${workspace.id}`;
    expect(written).toHaveLength(60);
    await until(async () => (await sql(t.db).query`SELECT 1 FROM feed_test_effects WHERE consumer = ${name} AND feed_id > ${start}::bigint`).length >= 60);
    await Promise.all(runners.map((r) => r.stop()));
    await Promise.all(dbs.map((db) => db.$disconnect()));

    const effects = await sql(t.db).query<{ feed_id: string; times: number }>`
      SELECT feed_id::text, count(*)::int AS times FROM feed_test_effects WHERE consumer = ${name} AND feed_id > ${start}::bigint GROUP BY 1`;
    expect(effects).toHaveLength(60);
    expect(effects.every((e) => e.times === 1)).toBe(true);
    // Both processes did some of the work, and together they saw the rows in feed order.
    expect(seen[0]!.length).toBeGreaterThan(0);
    expect(seen[1]!.length).toBeGreaterThan(0);
    const all = [...seen[0]!, ...seen[1]!].filter((r) => BigInt(r.id) > BigInt(start));
    expect(all).toHaveLength(60);
    const byXid = [...all].sort((a, b) => (BigInt(a.xid) === BigInt(b.xid) ? Number(BigInt(a.id) - BigInt(b.id)) : BigInt(a.xid) < BigInt(b.xid) ? -1 : 1));
    for (const part of seen) {
      const mine = part.filter((r) => BigInt(r.id) > BigInt(start)).map((r) => r.id);
      expect(mine).toEqual(byXid.map((r) => r.id).filter((id) => mine.includes(id)));
    }
  });

  it("consumers are woken by NOTIFY when a writing transaction commits, not by the poll", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const consumer = recorder("woken");
    await drain(t.db, consumer);
    consumer.seen.length = 0;
    const runner = startFeedConsumers(t.db, t.url, [consumer], { pollMs: 60_000 });
    try {
      // Let it settle: after its first looks it waits seconds between polls.
      await new Promise((r) => setTimeout(r, 1_500));
      const started = Date.now();
      await appendFeedCommitted(t.db, workspace.id, ["woken-1"]);
      announceFeed(t.db);
      await until(async () => consumer.seen.some((r) => r.profileIds.includes("woken-1")), 5_000);
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      await runner.stop();
    }
  });

  it("a failing step is retried row by row; a row that fails alone is skipped and its error kept on the cursor", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const name = "poison";
    await drain(t.db, recorder(name));
    await appendFeedCommitted(t.db, workspace.id, ["ok-1"]);
    await appendFeedCommitted(t.db, workspace.id, ["poison"]);
    await appendFeedCommitted(t.db, workspace.id, ["ok-2"]);
    const handled: string[] = [];
    const consumer: FeedConsumer = {
      name,
      async handle(_tx, rows) {
        if (rows.some((r) => r.profileIds.includes("poison"))) throw new Error("cannot digest this row");
        handled.push(...rows.flatMap((r) => r.profileIds));
      },
    };
    const step = await consume(t.db, consumer);
    expect(step.rows).toBe(3);
    expect(handled).toEqual(["ok-1", "ok-2"]);
    const [lag] = (await feedLag(t.db)).filter((l) => l.consumer === name);
    expect(lag).toMatchObject({ behind: 0, seconds: 0, lastError: expect.stringContaining("cannot digest this row") });
  });

  it("an error that says nothing about the row (a deadlock, the database away) never skips it: the step is done again", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const name = "transient";
    await drain(t.db, recorder(name));
    await appendFeedCommitted(t.db, workspace.id, ["t-1"]);
    let failures = 1;
    const handled: string[] = [];
    const consumer: FeedConsumer = {
      name,
      async handle(_tx, rows) {
        if (failures-- > 0) throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
        handled.push(...rows.flatMap((r) => r.profileIds));
      },
    };
    await expect(consume(t.db, consumer)).rejects.toThrow("deadlock detected");
    expect((await feedLag(t.db)).find((l) => l.consumer === name)).toMatchObject({ behind: 1, lastError: null });
    expect((await consume(t.db, consumer)).rows).toBe(1);
    expect(handled).toEqual(["t-1"]);
  });

  it("lag per consumer in rows and seconds; consumed rows are pruned, rows someone still needs are kept", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const fast = recorder("fast");
    const slow = recorder("slow");
    await drain(t.db, fast);
    await drain(t.db, slow);
    await appendFeedCommitted(t.db, workspace.id, ["a"]);
    await appendFeedCommitted(t.db, workspace.id, ["b"]);
    await sql(t.db).execute`UPDATE change_feed SET created_at = now() - interval '90 seconds' WHERE workspace_id = ${workspace.id}`;
    await drain(t.db, fast);
    const lag = await feedLag(t.db);
    expect(lag.find((l) => l.consumer === "fast")).toMatchObject({ behind: 0, seconds: 0 });
    const behind = lag.find((l) => l.consumer === "slow")!;
    expect(behind.behind).toBe(2);
    expect(behind.seconds).toBeGreaterThanOrEqual(89);

    // Every consumer (the segment consumer included) must have passed a row before it goes.
    await sql(t.db).execute`DELETE FROM feed_cursors WHERE consumer NOT IN ('fast', 'slow')`;
    const before = await sql(t.db).query`SELECT 1 FROM change_feed WHERE workspace_id = ${workspace.id}`;
    expect(before).toHaveLength(2);
    await pruneFeed(t.db);
    expect(await sql(t.db).query`SELECT 1 FROM change_feed WHERE workspace_id = ${workspace.id}`).toHaveLength(2);
    await drain(t.db, slow);
    await pruneFeed(t.db, { batch: 1 });
    expect(await sql(t.db).query`SELECT 1 FROM change_feed WHERE workspace_id = ${workspace.id}`).toHaveLength(0);
  });
});

async function appendFeedCommitted(db: Db, workspaceId: string, profileIds: string[]) {
  const { sqlTransaction } = await import("@/server/db/client");
  await sqlTransaction(db, (tx) => appendFeed(tx, [{ workspaceId, kind: "events", profileIds }]));
}
