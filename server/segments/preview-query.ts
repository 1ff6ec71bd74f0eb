import { randomUUID } from "node:crypto";
import { Cancelled } from "@/server/errors";
import type pg from "pg";
import { poolOf, withConnection, type Db } from "@/server/db/client";
import { dataVersionSql } from "@/server/workspaces/data-version";
import type { SegmentDefinition } from "@/lib/segments/schema";
import type { SqlQuery } from "./compile-sql";

/**
 * How previews run their queries: each on a connection of its own, read-only, with a
 * statement timeout, cancelled in Postgres (pg_cancel_backend) when the caller goes away or
 * a newer preview of the same stream starts — abandoned queries never pile up.
 */

export class PreviewCancelled extends Cancelled {
  constructor() {
    super("The preview was cancelled.");
  }
}

/** A preview in progress under a key (a builder tab's stream): what it counts and how to stop it. */
export interface RunningPreview {
  definition?: string;
  cancel: () => Promise<void> | void;
}

// Per process, not per module instance (Next.js may load this module once per bundle).
const globalForPreview = globalThis as unknown as { junctionPreviews?: Map<string, RunningPreview> };
const running = (globalForPreview.junctionPreviews ??= new Map());

/**
 * Cancels the statement tagged `tag` if backend `pid` is still running it: the connection
 * may have gone back to the pool and be running someone else's query by the time the
 * cancel gets a connection of its own.
 */
async function cancelBackend(db: Db, pid: number, tag: string) {
  await withConnection(db, (c) =>
    c.query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE $2", [pid, `%/* preview ${tag} */`]),
  ).catch(() => {});
}

/** Cancels the preview running under `key` if it is for another definition than `definition` (the marketer changed it). */
export async function cancelPreview(key: string, definition: SegmentDefinition) {
  const current = running.get(key);
  if (!current || current.definition === JSON.stringify(definition)) return;
  running.delete(key); // so the cancelled run knows it was superseded, not too slow
  await current.cancel();
}

/**
 * Makes `preview` the one running under `key`, cancelling the one before it. Returns
 * whether it is still the current one (false once superseded) and a way to sign off.
 */
export async function registerPreview(key: string, preview: RunningPreview): Promise<{ current: () => boolean; done: () => void }> {
  const previous = running.get(key);
  running.set(key, preview);
  if (previous) await previous.cancel();
  return {
    current: () => running.get(key) === preview,
    done: () => {
      if (running.get(key) === preview) running.delete(key);
    },
  };
}

/**
 * Runs `query` on a connection of its own with a statement timeout. `key` identifies the
 * caller's preview stream (a builder tab): a newer run with the same key cancels this one.
 */
export async function runPreviewQuery<T extends pg.QueryResultRow>(
  db: Db,
  query: SqlQuery,
  options: {
    timeoutMs: number;
    key?: string;
    signal?: AbortSignal;
    jit?: boolean;
    workMem?: string;
    definition?: SegmentDefinition;
    /** Read the data as of this exported snapshot (`openMoment`), so that queries on several connections describe one moment. */
    snapshot?: string;
  },
): Promise<T[]> {
  if (options.signal?.aborted) throw new PreviewCancelled();
  return withConnection(db, async (client) => {
    // Waiting for a connection may have taken a while: maybe nobody wants the answer any more.
    if (options.signal?.aborted) throw new PreviewCancelled();
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    const pid = rows[0]!.pid;
    const tag = randomUUID();
    let cancelled = false;
    const cancel = () => {
      cancelled = true; // in case the statement has not started yet
      return cancelBackend(db, pid, tag);
    };
    const registration = options.key ? await registerPreview(options.key, { definition: options.definition && JSON.stringify(options.definition), cancel }) : null;
    const onAbort = () => void cancel();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (options.signal?.aborted) throw new PreviewCancelled();
      if (options.snapshot) {
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        await client.query(`SET TRANSACTION SNAPSHOT '${options.snapshot.replace(/[^0-9A-F-]/gi, "")}'`);
      } else await client.query("BEGIN READ ONLY");
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(options.timeoutMs))}`);
      // JIT compilation costs ~35 ms per query: worth it for exact counts over everyone
      // (8.0 s vs 10.5 s for bench definition 5), not for a sample that should take milliseconds.
      if (options.jit === false) await client.query("SET LOCAL jit = off");
      if (options.workMem) await client.query(`SET LOCAL work_mem = '${options.workMem}'`);
      if (cancelled) throw new PreviewCancelled();
      const result = await client.query<T>(`${query.sql}\n/* preview ${tag} */`, query.params);
      await client.query("COMMIT");
      return result.rows;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      if (error && typeof error === "object" && "code" in error && error.code === "57014") {
        // query_canceled: superseded, abandoned, or over the time limit
        if (options.signal?.aborted || (registration && !registration.current())) throw new PreviewCancelled();
        throw new Error("The count took too long and was stopped.");
      }
      throw error;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      registration?.done();
    }
  });
}

/**
 * One moment of a workspace's data, to read from several connections at once: a read-only
 * repeatable-read transaction that exports its snapshot (`pg_export_snapshot`) and reads
 * the workspace's data version and profile count in it. Queries that run with
 * `snapshot` see exactly that data; `release` ends the transaction (every query that
 * imports the snapshot must have started by then).
 */
export interface Moment {
  snapshot: string;
  version: number;
  profiles: number;
  release: () => void;
}

export async function openMoment(db: Db, workspaceId: string): Promise<Moment> {
  const pool = poolOf(db);
  const client = await pool.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const version = dataVersionSql("$1");
    const { rows } = await client.query<{ snapshot: string; version: number; profiles: number }>(
      `SELECT pg_export_snapshot() AS snapshot, ${version.version} AS version, ${version.profiles} AS profiles`,
      [workspaceId],
    );
    let released = false;
    return {
      ...rows[0]!,
      release: () => {
        if (released) return;
        released = true;
        client.query("COMMIT").then(
          () => client.release(),
          () => client.release(true),
        );
      },
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    client.release(true);
    throw error;
  }
}
