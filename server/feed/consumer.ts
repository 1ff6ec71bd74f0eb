import pg from "pg";
import { sqlTransaction, type Db, type Sql } from "@/server/db/client";
import { isDatabaseUnavailable, isTransientConflict } from "@/server/db/errors";
import { announceFeed, FEED_CHANNEL, readFeed, type FeedPosition, type FeedRow } from "./feed";

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

/**
 * Errors that say nothing about the row: the database away, a deadlock or serialisation
 * failure, a row deleted under us (a foreign key), a statement cancelled or timed out.
 * The step is rolled back and done again later; such an error never skips a row.
 */
export function isRetryable(error: unknown): boolean {
  if (isDatabaseUnavailable(error) || isTransientConflict(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23503" || code === "57014" || code === "55P03";
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Runs `fn` inside a savepoint: on an error, the transaction is as it was before, and the error is thrown. */
export async function savepoint<T>(tx: Sql, fn: () => Promise<T>): Promise<T> {
  await tx.raw({ sql: "SAVEPOINT feed_step", params: [] });
  try {
    const result = await fn();
    await tx.raw({ sql: "RELEASE SAVEPOINT feed_step", params: [] });
    return result;
  } catch (error) {
    await tx.raw({ sql: "ROLLBACK TO SAVEPOINT feed_step", params: [] });
    throw error;
  }
}

/**
 * Applies the rows' effects. If the batch fails for a reason of its own (not retryable), the
 * rows are taken one at a time, each tried twice, each in a savepoint; a row that still
 * fails is skipped and its error kept on the cursor (Settings → Status). All of it in the
 * step's transaction, under the consumer's lock: no other process can move the cursor
 * meanwhile. A retryable error ends the step: what was done so far is kept, or, when
 * nothing was, the error is thrown (the step is done again later). Returns the last row
 * done and the last error.
 */
async function applyRows(tx: Sql, consumer: FeedConsumer, rows: FeedRow[]): Promise<{ through: FeedRow | null; error?: string }> {
  try {
    await savepoint(tx, () => consumer.handle(tx, rows));
    return { through: rows.at(-1)! };
  } catch (error) {
    if (isRetryable(error)) throw error;
    console.error(`feed consumer ${consumer.name}: a step failed, going row by row:`, messageOf(error));
  }
  let through: FeedRow | null = null;
  let lastError: string | undefined;
  for (const row of rows) {
    let failure: unknown = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await savepoint(tx, () => consumer.handle(tx, [row]));
        failure = null;
        break;
      } catch (error) {
        if (isRetryable(error)) {
          if (through) return { through, error: lastError };
          throw error;
        }
        failure = error;
      }
    }
    if (failure) {
      lastError = `row ${row.id} (${row.kind}) skipped: ${messageOf(failure)}`.slice(0, 2000);
      console.error(`feed consumer ${consumer.name}: ${lastError}`);
    }
    through = row;
  }
  return { through, error: lastError };
}

/** One step of a consumer: at most `batch` rows (and its due work), in one transaction. */
export async function consume(db: Db, consumer: FeedConsumer, batch = consumer.batch ?? 500): Promise<StepResult> {
  const result = await sqlTransaction(db, async (tx): Promise<StepResult> => {
    if (!(await tryLock(tx, consumer.name))) return { locked: true, rows: 0, due: 0 };
    const rows = await readFeed(tx, await cursorOf(tx, consumer.name), batch);
    let done = 0;
    if (rows.length > 0) {
      const { through, error } = await applyRows(tx, consumer, rows);
      if (through) {
        await moveCursor(tx, consumer.name, through, error);
        done = rows.indexOf(through) + 1;
      }
    }
    let due = 0;
    if (consumer.due) {
      try {
        due = await savepoint(tx, () => consumer.due!(tx));
      } catch (error) {
        // The rows' effects stay; the due work is tried again on the next step.
        console.error(`feed consumer ${consumer.name}: due work failed:`, messageOf(error));
      }
    }
    return { locked: false, rows: done, due };
  });
  // Its effects may have added rows (segment entries and exits) other consumers read.
  if (result.rows > 0 || result.due > 0) announceFeed(db);
  return result;
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
 * Keeps consumers running: woken by NOTIFY (server/feed/feed.ts announceFeed) and by a poll
 * every `pollMs` (a lost notification, work falling due with time, a transaction below the
 * horizon that wrote nothing to the feed). After a wake-up that found nothing readable yet
 * (a lower transaction still running), it looks again soon, backing off to the poll. A
 * notification that arrives during a step is kept for the next wait. A step that fails
 * (the database away, a deadlock) is done again after a pause that doubles up to 30 s.
 */
export function startFeedConsumers(db: Db, connectionString: string, consumers: FeedConsumer[], options: { pollMs?: number } = {}): FeedRunner {
  const pollMs = options.pollMs ?? 1_000;
  let stopped = false;
  let listener: pg.Client | null = null;

  interface Loop {
    notified: boolean;
    wake: (() => void) | null;
  }
  const loopsState: Loop[] = consumers.map(() => ({ notified: false, wake: null }));
  const wakeAll = () => {
    for (const loop of loopsState) {
      loop.notified = true;
      loop.wake?.();
    }
  };

  const listen = async () => {
    while (!stopped) {
      const client = new pg.Client({ connectionString, keepAlive: true });
      const ended = new Promise<void>((resolve) => {
        client.on("error", () => resolve());
        client.on("end", () => resolve());
      });
      try {
        await client.connect();
        client.on("notification", wakeAll);
        await client.query(`LISTEN ${FEED_CHANNEL}`);
        listener = client;
        // Whatever was committed while we were not listening.
        wakeAll();
        if (!stopped) await ended;
      } catch {
        // The database is away: the poll keeps the consumers going; listen again shortly.
      }
      listener = null;
      await client.end().catch(() => {});
      if (!stopped) await new Promise((r) => setTimeout(r, 1_000));
    }
  };

  /** Waits `ms` or until a notification (also one that came during the step); true when notified. */
  const wait = (loop: Loop, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (loop.notified || stopped) {
        loop.notified = false;
        resolve(!stopped);
        return;
      }
      const timer = setTimeout(() => done(false), ms);
      function done(notified: boolean) {
        clearTimeout(timer);
        loop.wake = null;
        loop.notified = false;
        resolve(notified);
      }
      loop.wake = () => done(true);
    });

  const loops = consumers.map(async (consumer, i) => {
    const loop = loopsState[i]!;
    const batch = consumer.batch ?? 500;
    let pending = false;
    let backoff = 10;
    let failures = 0;
    while (!stopped) {
      let step: StepResult | null = null;
      try {
        step = await consume(db, consumer);
        failures = 0;
      } catch (error) {
        failures += 1;
        console.error(`feed consumer ${consumer.name}:`, messageOf(error));
      }
      if (stopped) break;
      if (step && !step.locked && (step.rows >= batch || step.due > 0)) continue;
      let timeout = pollMs;
      if (!step) timeout = Math.min(30_000, pollMs * 2 ** Math.min(failures - 1, 5));
      else if (step.rows > 0) pending = false;
      else if (pending) {
        // Notified, yet nothing readable: a lower transaction is still running. Look again soon.
        timeout = backoff;
        backoff *= 2;
        if (backoff >= pollMs) pending = false;
      }
      if ((await wait(loop, timeout)) && step) {
        if (!pending) backoff = 10;
        pending = true;
      }
    }
  });
  void listen();

  return {
    async stop() {
      stopped = true;
      for (const loop of loopsState) loop.wake?.();
      await listener?.end().catch(() => {});
      await Promise.all(loops);
    },
  };
}
