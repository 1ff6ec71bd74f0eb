import pg from "pg";
import { sqlTransaction, type Db, type Sql } from "@/server/db/client";
import { FEED_CHANNEL, readFeed, type FeedPosition, type FeedRow } from "./feed";

/**
 * Runs consumers of the change feed (server/feed/feed.ts). A consumer's step is one
 * transaction: take the consumer's lock (so of several processes exactly one works at a
 * time — the others find it taken and wait for the next wake-up), read its cursor and the
 * next rows, apply their effects, move the cursor. A crash anywhere rolls all of it back,
 * and the rows are read again: each effect happens once.
 */

export interface FeedConsumer {
  name: string;
  /** Rows per transaction (default 500). */
  batch?: number;
  /** Applies the rows' effects in `tx`; the cursor moves in the same transaction. */
  handle(tx: Sql, rows: FeedRow[]): Promise<void>;
  /** Work that falls due with time (segment re-checks), under the same lock, after the rows. Returns how much it did. */
  due?(tx: Sql): Promise<number>;
}

export interface StepResult {
  /** Another process holds the consumer's lock: it is doing the work. */
  locked: boolean;
  rows: number;
  due: number;
}

/**
 * The consumer's lock for the rest of the transaction. Whoever else changes what the
 * consumer writes (the segment consumer's full recompute after a definition changes) takes
 * it too, waiting for the step in progress.
 */
export async function lockConsumer(tx: Sql, name: string): Promise<void> {
  await tx.query`SELECT pg_advisory_xact_lock(hashtextextended(${`junction:feed:${name}`}, 0))`;
}

async function tryLock(tx: Sql, name: string): Promise<boolean> {
  const [row] = await tx.query<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(hashtextextended(${`junction:feed:${name}`}, 0)) AS ok`;
  return row!.ok;
}

async function cursorOf(tx: Sql, name: string): Promise<FeedPosition> {
  await tx.execute`INSERT INTO feed_cursors (consumer) VALUES (${name}) ON CONFLICT (consumer) DO NOTHING`;
  const [row] = await tx.query<FeedPosition>`SELECT xid::text, position::text AS id FROM feed_cursors WHERE consumer = ${name}`;
  return row!;
}

async function moveCursor(tx: Sql, name: string, to: FeedRow, error?: string) {
  await tx.execute`
    UPDATE feed_cursors SET xid = ${to.xid}::xid8, position = ${to.id}::bigint, updated_at = now(),
           last_error = COALESCE(${error ?? null}::text, last_error),
           last_error_at = CASE WHEN ${error ?? null}::text IS NULL THEN last_error_at ELSE now() END
     WHERE consumer = ${name}`;
}

/** One step of a consumer: at most `batch` rows (and its due work), in one transaction. */
export async function consumeStep(db: Db, consumer: FeedConsumer, batch = consumer.batch ?? 500): Promise<StepResult> {
  return sqlTransaction(db, async (tx) => {
    if (!(await tryLock(tx, consumer.name))) return { locked: true, rows: 0, due: 0 };
    const rows = await readFeed(tx, await cursorOf(tx, consumer.name), batch);
    if (rows.length > 0) {
      await consumer.handle(tx, rows);
      await moveCursor(tx, consumer.name, rows.at(-1)!);
    }
    const due = consumer.due ? await consumer.due(tx) : 0;
    return { locked: false, rows: rows.length, due };
  });
}

/**
 * A step that fails is taken again row by row; a row that fails on its own is skipped with
 * the error kept on the cursor (the admin status page shows it) — one bad row never stops
 * the feed. Returns what the step did.
 */
export async function consume(db: Db, consumer: FeedConsumer): Promise<StepResult> {
  try {
    return await consumeStep(db, consumer);
  } catch (error) {
    console.error(`feed consumer ${consumer.name}: a step failed, going row by row:`, error instanceof Error ? error.message : error);
  }
  let rows = 0;
  for (let i = 0; i < (consumer.batch ?? 500); i++) {
    try {
      const step = await consumeStep(db, { ...consumer, due: undefined }, 1);
      if (step.locked || step.rows === 0) break;
      rows += 1;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const skipped = await sqlTransaction(db, async (tx) => {
        if (!(await tryLock(tx, consumer.name))) return false;
        const [row] = await readFeed(tx, await cursorOf(tx, consumer.name), 1);
        if (row) await moveCursor(tx, consumer.name, row, `row ${row.id} (${row.kind}) skipped: ${message}`.slice(0, 2000));
        return Boolean(row);
      });
      console.error(`feed consumer ${consumer.name}: skipped a row it could not process:`, message);
      if (!skipped) break;
      rows += 1;
    }
  }
  return { locked: false, rows, due: 0 };
}

/** Runs every step until there is nothing left to read or due (tests, scripts). */
export async function drain(db: Db, consumer: FeedConsumer): Promise<number> {
  let total = 0;
  for (;;) {
    const step = await consume(db, consumer);
    total += step.rows + step.due;
    if (step.locked || (step.rows === 0 && step.due === 0)) return total;
  }
}

export interface FeedRunner {
  stop(): Promise<void>;
}

/**
 * Keeps consumers running: woken by NOTIFY (server/feed/feed.ts appendFeed) and by a poll
 * every `pollMs` (a lost notification, work falling due with time, a transaction below the
 * horizon that wrote nothing to the feed). After a wake-up that found nothing readable yet
 * (a lower transaction still running), it looks again soon, backing off to the poll.
 */
export function startFeedConsumers(db: Db, connectionString: string, consumers: FeedConsumer[], options: { pollMs?: number } = {}): FeedRunner {
  const pollMs = options.pollMs ?? 1_000;
  let stopped = false;
  const wakers = new Set<() => void>();
  let listener: pg.Client | null = null;

  const wakeAll = () => {
    for (const wake of [...wakers]) wake();
  };

  const listen = async () => {
    while (!stopped) {
      const client = new pg.Client({ connectionString });
      try {
        await client.connect();
        await client.query(`LISTEN ${FEED_CHANNEL}`);
        listener = client;
        client.on("notification", wakeAll);
        await new Promise<void>((resolve) => {
          client.on("error", () => resolve());
          client.on("end", () => resolve());
        });
      } catch {
        // The database is away: the poll keeps the consumers going; listen again shortly.
      }
      listener = null;
      await client.end().catch(() => {});
      if (!stopped) await new Promise((r) => setTimeout(r, 1_000));
    }
  };

  /** Waits `ms` or until a notification; true when woken by one. */
  const wait = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      const wake = () => done(true);
      function done(woken: boolean) {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve(woken);
      }
      wakers.add(wake);
    });

  const loops = consumers.map(async (consumer) => {
    const batch = consumer.batch ?? 500;
    let pending = false;
    let backoff = 10;
    while (!stopped) {
      let step: StepResult | null = null;
      try {
        step = await consume(db, consumer);
      } catch (error) {
        console.error(`feed consumer ${consumer.name}:`, error instanceof Error ? error.message : error);
      }
      if (step && !step.locked && (step.rows >= batch || step.due > 0)) continue;
      if (step && step.rows > 0) pending = false;
      let timeout = pollMs;
      if (pending) {
        // Notified, yet nothing readable: a lower transaction is still running. Look again soon.
        timeout = backoff;
        backoff *= 2;
        if (backoff >= pollMs) pending = false;
      }
      if (await wait(timeout)) {
        pending = true;
        backoff = 10;
      }
    }
  });
  void listen();

  return {
    async stop() {
      stopped = true;
      wakeAll();
      await listener?.end().catch(() => {});
      await Promise.all(loops);
    },
  };
}
