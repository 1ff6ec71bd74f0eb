import { sql, type Db, type DbTx, type Sql } from "@/server/db/client";

/**
 * The change feed (docs/change-feed.md): what happened — stored events, merges, deletions,
 * consent answers, segment entries and exits — as rows of `change_feed`, written in the
 * transaction that made the change, read by consumers in order.
 *
 * Position. Each row carries the id of the transaction that wrote it (xid8) and a sequence
 * number. Transactions commit out of order: a row with a smaller sequence number can become
 * visible after one with a larger. So a consumer reads only rows whose transaction is older
 * than every transaction of this database still running (readFeed): those have all
 * committed or rolled back, nothing can appear below them any more, and reading them in
 * (xid, id) order never passes a row that is still to come.
 *
 * Cursor. Each consumer keeps its position in `feed_cursors` and moves it in the same
 * transaction as its effects (server/feed/consumer.ts), so each effect happens once.
 */

export type FeedKind = "events" | "membership" | "merge" | "delete" | "consent" | "traits";
export const FEED_CHANNEL = "change_feed";

export interface FeedEntry {
  workspaceId: string;
  kind: FeedKind;
  profileIds: string[];
  payload?: Record<string, unknown>;
}

export interface FeedRow {
  /** The row's sequence number (bigint, as text). */
  id: string;
  /** Its transaction (xid8, as text). */
  xid: string;
  workspaceId: string;
  kind: FeedKind;
  profileIds: string[];
  payload: Record<string, unknown> | null;
  createdAt: Date;
}

export interface FeedPosition {
  xid: string;
  id: string;
}

function feedDocument(entries: FeedEntry[]): string | null {
  const rows = entries.filter((e) => e.profileIds.length > 0);
  if (rows.length === 0) return null;
  return JSON.stringify(rows.map((r) => ({ workspace_id: r.workspaceId, kind: r.kind, profile_ids: r.profileIds, payload: r.payload ?? null })));
}

/**
 * Appends rows to the feed in the caller's transaction. Consumers are woken by
 * `announceFeed` once it has committed (a NOTIFY inside the transaction would serialise
 * every writing commit of the server on Postgres's notification queue lock).
 */
export async function appendFeed(tx: Sql, entries: FeedEntry[]): Promise<void> {
  const document = feedDocument(entries);
  if (document === null) return;
  await tx.execute`
    INSERT INTO change_feed (workspace_id, kind, profile_ids, payload)
    SELECT e.workspace_id, e.kind, ARRAY(SELECT jsonb_array_elements_text(e.profile_ids)), e.payload
      FROM jsonb_to_recordset(${document}::jsonb) AS e(workspace_id text, kind text, profile_ids jsonb, payload jsonb)`;
}

/** appendFeed in a Prisma transaction (GDPR deletion, consent answers). */
export async function appendFeedPrisma(tx: DbTx, entries: FeedEntry[]): Promise<void> {
  const document = feedDocument(entries);
  if (document === null) return;
  await tx.$executeRaw`
    INSERT INTO change_feed (workspace_id, kind, profile_ids, payload)
    SELECT e.workspace_id, e.kind, ARRAY(SELECT jsonb_array_elements_text(e.profile_ids)), e.payload
      FROM jsonb_to_recordset(${document}::jsonb) AS e(workspace_id text, kind text, profile_ids jsonb, payload jsonb)`;
}

/** Notifications per process at most this often: one wakes every consumer for everything committed before it. */
const ANNOUNCE_EVERY_MS = 20;
const announcer = globalThis as unknown as { junctionFeedAnnounce?: { timer: ReturnType<typeof setTimeout> | null; last: number } };

/**
 * Wakes the feed's consumers (every process) after a transaction that appended rows has
 * committed: one NOTIFY, at most every 20 ms per process, outside any transaction. A
 * notification lost in a crash costs at most a poll interval (consumers also poll).
 */
export function announceFeed(db: Db): void {
  const state = (announcer.junctionFeedAnnounce ??= { timer: null, last: 0 });
  if (state.timer) return;
  state.timer = setTimeout(
    () => {
      state.timer = null;
      state.last = Date.now();
      sql(db).execute`SELECT pg_notify(${FEED_CHANNEL}, '')`.catch(() => {
        // The database is away: consumers poll.
      });
    },
    Math.max(0, state.last + ANNOUNCE_EVERY_MS - Date.now()),
  );
}

/**
 * The next rows after `after`, oldest first, only as far as every transaction below has
 * ended (see the module comment). `limit` rows at most.
 *
 * The horizon is the oldest transaction still running *in this database*: transaction ids
 * are shared by every database of the server, and a long transaction in another database
 * (a bulk load, a report) can never write to our feed, so it must not hold it up. Of the
 * transactions our snapshot sees running, those that pg_stat_activity shows in another
 * database are left out; every other one — ours, or one whose database we cannot see (it
 * has ended since, or belongs to another user and we may not look) — holds the horizon.
 */
export async function readFeed(tx: Sql, after: FeedPosition, limit: number): Promise<FeedRow[]> {
  return tx.query<FeedRow>`
    WITH elsewhere AS (
      SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
       WHERE backend_xid IS NOT NULL AND datid IS DISTINCT FROM (SELECT oid FROM pg_database WHERE datname = current_database())),
    horizon AS (
      SELECT COALESCE(min(x), pg_snapshot_xmax(pg_current_snapshot())) AS xid
        FROM pg_snapshot_xip(pg_current_snapshot()) AS x
       WHERE (x::text::bigint % 4294967296) NOT IN (SELECT xid FROM elsewhere))
    SELECT f.id::text, f.xid::text, f.workspace_id AS "workspaceId", f.kind, f.profile_ids AS "profileIds", f.payload, f.created_at AS "createdAt"
      FROM change_feed f
     WHERE (f.xid, f.id) > (${after.xid}::xid8, ${after.id}::bigint)
       -- A scalar bound (an init plan): the index scan stops at the horizon instead of
       -- reading every row past the cursor while an old transaction holds it.
       AND f.xid < (SELECT xid FROM horizon)
     ORDER BY f.xid, f.id
     LIMIT ${limit}::int`;
}

export interface ConsumerLag {
  consumer: string;
  /** Rows not yet consumed (counted up to 100,000: "100,000 or more" beyond). */
  behind: number;
  /** Age of the oldest row not yet consumed, in seconds (0 when caught up). */
  seconds: number;
  /** When the consumer last moved its cursor. */
  updatedAt: Date;
  lastError: string | null;
  lastErrorAt: Date | null;
}

export const LAG_COUNT_CAP = 100_000;

/** How far behind each consumer is (the admin status page, /api/v1/health). */
export async function feedLag(db: Db): Promise<ConsumerLag[]> {
  return sql(db).query<ConsumerLag>`
    SELECT c.consumer,
           (SELECT count(*)::int FROM (SELECT 1 FROM change_feed f WHERE (f.xid, f.id) > (c.xid, c.position) LIMIT ${LAG_COUNT_CAP}::int) x) AS behind,
           COALESCE(EXTRACT(EPOCH FROM now() - (
             SELECT f.created_at FROM change_feed f WHERE (f.xid, f.id) > (c.xid, c.position) ORDER BY f.xid, f.id LIMIT 1)), 0)::float8 AS seconds,
           c.updated_at AS "updatedAt", c.last_error AS "lastError", c.last_error_at AS "lastErrorAt"
      FROM feed_cursors c
     ORDER BY c.consumer`;
}

/**
 * Deletes rows every consumer has passed, oldest first, `batch` at a time (short
 * transactions: nothing here holds back vacuum). Returns how many went.
 */
export async function pruneFeed(db: Db, options: { batch?: number } = {}): Promise<number> {
  const batch = options.batch ?? 10_000;
  let total = 0;
  for (;;) {
    const deleted = await sql(db).execute`
      DELETE FROM change_feed WHERE id = ANY(ARRAY(
        SELECT f.id FROM change_feed f
         WHERE (f.xid, f.id) <= (SELECT xid, position FROM feed_cursors ORDER BY xid, position LIMIT 1)
         ORDER BY f.xid, f.id
         LIMIT ${batch}::int))`;
    total += deleted;
    if (deleted < batch) return total;
  }
}
