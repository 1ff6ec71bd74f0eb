import { parseStoredDefinition } from "@/lib/segments/schema";
import { DomainError } from "@/server/errors";
import type pg from "pg";
import { poolOf, type Db } from "@/server/db/client";
import { runPreviewQuery } from "./preview-query";
import type { SegmentDefinition } from "@/lib/segments/schema";

import { MEMBER_COLUMNS, matchingQuery, membersQuery, type SqlQuery } from "./compile-sql";

/**
 * Member lists out: pages for the members API and a streamed CSV for the export. Who is
 * listed: for a definition, everyone it matches now (the SQL compiler); for a saved
 * segment, its current members (the materialised membership its size and journeys use).
 */

export type MemberSource = { definition: SegmentDefinition } | { segmentId: string };

interface MemberRow {
  id: string;
  user_id: string | null;
  email: string | null;
  phone: string | null;
  country: string | null;
  timezone: string | null;
  locale: string | null;
  first_seen_at: Date;
  last_seen_at: Date;
  traits: Record<string, unknown> | null;
}

export interface Member {
  id: string;
  userId: string | null;
  email: string | null;
  phone: string | null;
  country: string | null;
  timezone: string | null;
  locale: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  traits: Record<string, unknown>;
}

const member = (r: MemberRow): Member => ({
  id: r.id,
  userId: r.user_id,
  email: r.email,
  phone: r.phone,
  country: r.country,
  timezone: r.timezone,
  locale: r.locale,
  firstSeenAt: r.first_seen_at.toISOString(),
  lastSeenAt: r.last_seen_at.toISOString(),
  traits: r.traits ?? {},
});

async function savedSegment(db: Db, workspaceId: string, segmentId: string) {
  const segment = await db.segment.findFirst({ where: { id: segmentId, workspaceId }, select: { id: true, definition: true } });
  if (!segment) throw new DomainError("NOT_FOUND", "segmentId: no saved segment with this id in this workspace");
  parseStoredDefinition(segment.definition);
  return segment.id;
}

/** The query of a member list: everyone the source holds, in profile id order after `after`, at most `limit` (no limit: all, unordered). */
function listQuery(workspaceId: string, source: MemberSource | { saved: string }, now: Date, page?: { after?: string; limit: number }): SqlQuery {
  if ("definition" in source) {
    return page
      ? membersQuery(source.definition, { workspaceId, now, after: page.after, limit: page.limit, columns: "member" })
      : matchingQuery(source.definition, { workspaceId, now, columns: "member" });
  }
  if (!("saved" in source)) throw new Error("a saved segment's id must be checked first");
  const params: unknown[] = [source.saved, workspaceId];
  let sqlText = `SELECT ${MEMBER_COLUMNS} FROM segment_memberships m JOIN profiles p ON p.id = m.profile_id
                  WHERE m.segment_id = $1 AND m.exited_at IS NULL AND p.workspace_id = $2`;
  if (page) {
    // On the membership's own key (segment_id, profile_id): each page starts where the last ended.
    if (page.after !== undefined) {
      params.push(page.after);
      sqlText += ` AND m.profile_id > $${params.length}`;
    }
    params.push(page.limit);
    sqlText += ` ORDER BY m.profile_id LIMIT $${params.length}`;
  }
  return { sql: sqlText, params };
}

const PAGE_TIMEOUT_MS = 30_000;

/** Where a page ends: the last id, and the clock reading every page of the list is evaluated at. */
interface Cursor {
  after: string;
  now: number;
}

export function encodeMembersCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.after, cursor.now])).toString("base64url");
}

export function decodeMembersCursor(raw: string): Cursor | null {
  try {
    const [after, now] = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown[];
    if (typeof after !== "string" || after.length === 0 || after.length > 100 || typeof now !== "number" || !Number.isFinite(now)) return null;
    return { after, now };
  } catch {
    return null;
  }
}

/**
 * One page of members in a stable order (profile id). Every page of one list is evaluated
 * at the clock reading of its first page (the cursor carries it), so relative windows do
 * not move between pages; `asOf` is that reading.
 */
export async function membersPage(
  db: Db,
  input: { workspaceId: string; source: MemberSource; cursor?: Cursor | null; limit: number; now: Date; signal?: AbortSignal },
): Promise<{ members: Member[]; next: string | null; asOf: Date }> {
  const now = input.cursor ? new Date(input.cursor.now) : input.now;
  const source = "segmentId" in input.source ? { saved: await savedSegment(db, input.workspaceId, input.source.segmentId) } : input.source;
  // Like a preview: its own connection, a time limit, stopped in Postgres when the caller goes away.
  const rows = await runPreviewQuery<MemberRow>(db, listQuery(input.workspaceId, source, now, { after: input.cursor?.after, limit: input.limit + 1 }), {
    timeoutMs: PAGE_TIMEOUT_MS,
    signal: input.signal,
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    members: page.map(member),
    next: rows.length > input.limit && last ? encodeMembersCursor({ after: last.id, now: now.getTime() }) : null,
    asOf: now,
  };
}

// ---------------------------------------------------------------------------------------
// The CSV export.

export const CSV_COLUMNS = ["profile_id", "user_id", "email", "phone", "country", "timezone", "locale", "first_seen_at", "last_seen_at", "traits"] as const;
/** Rows fetched per round trip while streaming. */
const FETCH_ROWS = 2_000;

/**
 * A CSV field: quoted when it holds a comma, quote or line break; and a text that a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe
 * — except a plain number or phone number ("+49 30 1234", "-3.5"), which runs nothing.
 */
export function csvField(value: string | null): string {
  if (value === null) return "";
  const safe = /^[=+\-@\t\r]/.test(value) && !/^[+-]?[\d\s().-]+$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvLine(r: MemberRow): string {
  const fields = [r.id, r.user_id, r.email, r.phone, r.country, r.timezone, r.locale, r.first_seen_at.toISOString(), r.last_seen_at.toISOString(), JSON.stringify(r.traits ?? {})];
  return `${fields.map(csvField).join(",")}\r\n`;
}

/**
 * Every member as CSV, streamed: the rows come from one snapshot (a repeatable-read
 * transaction, so the whole file describes one moment) through a cursor, `FETCH_ROWS` at a
 * time, only as fast as the client reads — a million rows never sit in memory here.
 * Cancelling the stream (the client went away) ends the transaction.
 */
export async function membersCsv(db: Db, input: { workspaceId: string; source: MemberSource; now: Date; signal?: AbortSignal }): Promise<ReadableStream<Uint8Array>> {
  const source = "segmentId" in input.source ? { saved: await savedSegment(db, input.workspaceId, input.source.segmentId) } : input.source;
  const query = listQuery(input.workspaceId, source, input.now);
  const client = await poolOf(db).connect();
  let finished = false;
  const finish = async (ok: boolean, c: pg.PoolClient) => {
    if (finished) return;
    finished = true;
    await c.query(ok ? "COMMIT" : "ROLLBACK").then(
      () => c.release(),
      () => c.release(true),
    );
  };
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await client.query("SET LOCAL statement_timeout = 120000");
    // A client that stops reading (and whose going away nobody reports) does not hold the
    // snapshot and the connection for ever: Postgres ends the transaction after a minute idle.
    await client.query("SET LOCAL idle_in_transaction_session_timeout = 60000");
    await client.query(`DECLARE members NO SCROLL CURSOR FOR ${query.sql}`, query.params);
  } catch (error) {
    await finish(false, client);
    throw error;
  }
  input.signal?.addEventListener("abort", () => void finish(false, client), { once: true });
  const encoder = new TextEncoder();
  let header = true;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // Ended meanwhile (the client went away): the connection may already serve someone else.
        if (finished) return controller.error(new Error("The export was stopped."));
        try {
          const prefix = header ? `${CSV_COLUMNS.join(",")}\r\n` : "";
          header = false;
          const { rows } = await client.query<MemberRow>(`FETCH FORWARD ${FETCH_ROWS} FROM members`);
          if (rows.length === 0) {
            if (prefix) controller.enqueue(encoder.encode(prefix));
            await finish(true, client);
            controller.close();
            return;
          }
          controller.enqueue(encoder.encode(prefix + rows.map(csvLine).join("")));
        } catch (error) {
          await finish(false, client);
          controller.error(error);
        }
      },
      async cancel() {
        await finish(false, client);
      },
    },
    { highWaterMark: 1 },
  );
}
