import { DomainError } from "@/server/errors";
import type { DbTx } from "@/server/db/client";
import { Prisma } from "@/server/generated/prisma/client";

import { isTimeZone } from "@/lib/time";

/**
 * The Events explorer: which events a workspace receives, how often, and what their
 * properties look like. Plain functions over Postgres; the clock (`now`) is always an
 * argument. Every user value is a query parameter.
 *
 * The window is rolling and inclusive: `[now - days × 24 h, now]`. An event exactly 30 days
 * before `now` is in the 30-day window, one a millisecond older is not, and so is anything
 * timestamped after `now`. The same window is used by all three functions, so the daily
 * counts of a name add up to its count in `listEventNames`.
 */

export const DEFAULT_WINDOW_DAYS = 30;
export const MAX_WINDOW_DAYS = 366;
/** How many names `listEventNames` returns at most (the most frequent first). */
export const EVENT_NAMES_LIMIT = 200;
/** How many of the most recent matching events `eventProperties` looks at. */
export const PROPERTY_SAMPLE_LIMIT = 50_000;
/** Most common values returned per property. */
export const TOP_VALUES_LIMIT = 10;
/** Properties returned per event at most (the most common first). */
export const PROPERTY_KEYS_LIMIT = 200;
/** Strings longer than this are counted in `types` but never listed as a top value. */
export const TOP_VALUE_MAX_LENGTH = 256;

const DAY_MS = 24 * 60 * 60 * 1000;
/** How many of a name's latest events `listEventNames` reads its call types from. */
const TYPE_SAMPLE = 100;

/** What `jsonb_typeof` says about a property value. */
export type JsonType = "string" | "number" | "boolean" | "object" | "array" | "null";
export const JSON_TYPES: readonly JsonType[] = ["string", "number", "boolean", "object", "array", "null"];
export type ScalarValue = string | number | boolean;

export interface EventWindow {
  days: number;
  /** `now - days`, inclusive. */
  from: Date;
  /** `now`, inclusive. */
  to: Date;
}

export interface EventNameSummary {
  name: string;
  /**
   * The call types sending this name ("track"; "page" / "screen" for named pages and
   * screens), as seen in its latest 100 events.
   */
  types: string[];
  /** Events with this name in the window. */
  recentCount: number;
  /** Events with this name ever. */
  totalCount: number;
  /** The newest event's timestamp, ever. */
  lastSeenAt: Date;
}

export interface EventNameList {
  window: EventWindow;
  /** Busiest in the window first, then by count ever, then by name. */
  events: EventNameSummary[];
  limit: number;
  /** More names exist than `limit`; the least frequent were left out. */
  truncated: boolean;
}

export interface DailyCount {
  /** The calendar day in `timeZone`, "YYYY-MM-DD". */
  date: string;
  count: number;
}

export interface EventDailyCounts {
  name: string;
  timeZone: string;
  window: EventWindow;
  /**
   * One row per calendar day (in `timeZone`) that overlaps the window, oldest first, zero
   * for quiet days: `days + 1` rows, since the first and the last (today) are partial days.
   */
  days: DailyCount[];
  /** The sum of `days`: the events with this name in the window. */
  total: number;
}

export interface PropertyTypeCount {
  type: JsonType;
  /** Sampled events where the property has this type. */
  count: number;
}

export interface PropertyValueCount {
  value: ScalarValue;
  count: number;
}

export interface EventProperty {
  /** A top-level key of `properties` (nested objects are reported as type "object"). */
  key: string;
  /** Sampled events that have this key. */
  count: number;
  /** Most common type first. More than one type means senders disagree. */
  types: PropertyTypeCount[];
  /**
   * The most common string, number and boolean values, most common first (ties by value),
   * at most `TOP_VALUES_LIMIT`. Strings over `TOP_VALUE_MAX_LENGTH` characters are left out.
   */
  topValues: PropertyValueCount[];
  /** How many different values `topValues` was chosen from: all of them are listed when ≤ its length. */
  distinctValues: number;
}

export interface EventPropertiesResult {
  name: string;
  window: EventWindow;
  /** Events with this name in the window. */
  matched: number;
  /** Events actually examined: the most recent `sampleSize` of `matched`. */
  sampleSize: number;
  /** True when only the most recent `sampleLimit` events were examined. */
  sampled: boolean;
  sampleLimit: number;
  /** Most common key first, then by key. */
  properties: EventProperty[];
  /** More keys exist than `PROPERTY_KEYS_LIMIT`; the rarest were left out. */
  keysTruncated: boolean;
}

function windowOf(now: Date, days: number): EventWindow {
  if (!Number.isInteger(days) || days < 1 || days > MAX_WINDOW_DAYS) {
    throw new DomainError("BAD_REQUEST", `The window must be 1 to ${MAX_WINDOW_DAYS} whole days.`);
  }
  if (Number.isNaN(now.getTime())) throw new DomainError("BAD_REQUEST", "Invalid reference time.");
  return { days, from: new Date(now.getTime() - days * DAY_MS), to: now };
}

const toNumber = (value: bigint | number): number => (typeof value === "bigint" ? Number(value) : value);

/** Event names with their counts in the window and ever, busiest first. */
export async function listEventNames(
  db: DbTx,
  input: { workspaceId: string; now: Date; days?: number; limit?: number; name?: string },
): Promise<EventNameList> {
  const window = windowOf(input.now, input.days ?? DEFAULT_WINDOW_DAYS);
  const limit = Math.min(Math.max(Math.trunc(input.limit ?? EVENT_NAMES_LIMIT), 1), 1000);
  // Counts come from one index-only pass over (workspace_id, name, timestamp); identify,
  // group and alias calls have no name and are not listed. `type` is not in that index, so
  // the call types are read from each listed name's latest events only.
  const rows = await db.$queryRaw<
    { name: string; types: string[]; recent: bigint; total: bigint; last_seen: Date }[]
  >`
    WITH counts AS (
      SELECT name,
             count(*) FILTER (WHERE timestamp >= ${window.from}::timestamptz AND timestamp <= ${window.to}::timestamptz) AS recent,
             count(*) AS total,
             max(timestamp) AS last_seen
        FROM events
       WHERE workspace_id = ${input.workspaceId}
         AND name IS NOT NULL
         ${input.name === undefined ? Prisma.empty : Prisma.sql`AND name = ${input.name}`}
       GROUP BY name
       ORDER BY recent DESC, total DESC, name ASC
       LIMIT ${limit + 1}::int
    )
    SELECT counts.name, latest.types, counts.recent, counts.total, counts.last_seen
      FROM counts
     CROSS JOIN LATERAL (
       SELECT array_agg(DISTINCT type ORDER BY type) AS types
         FROM (SELECT e.type
                 FROM events e
                WHERE e.workspace_id = ${input.workspaceId} AND e.name = counts.name
                ORDER BY e.timestamp DESC
                LIMIT ${TYPE_SAMPLE}::int) AS recent_types
     ) AS latest
     ORDER BY counts.recent DESC, counts.total DESC, counts.name ASC`;
  return {
    window,
    limit,
    truncated: rows.length > limit,
    events: rows.slice(0, limit).map((r) => ({
      name: r.name,
      types: r.types,
      recentCount: toNumber(r.recent),
      totalCount: toNumber(r.total),
      lastSeenAt: r.last_seen,
    })),
  };
}

/** Counts per calendar day in `timeZone` (default: the workspace's) for one event name, zero-filled. */
export async function eventDailyCounts(
  db: DbTx,
  input: { workspaceId: string; name: string; now: Date; days?: number; timeZone?: string },
): Promise<EventDailyCounts> {
  const window = windowOf(input.now, input.days ?? DEFAULT_WINDOW_DAYS);
  const timeZone =
    input.timeZone ?? (await db.workspace.findUniqueOrThrow({ where: { id: input.workspaceId }, select: { defaultTimezone: true } })).defaultTimezone;
  if (!isTimeZone(timeZone)) throw new DomainError("BAD_REQUEST", `Not a known time zone: ${timeZone}`);
  let rows: { date: string; count: number }[];
  try {
    rows = await db.$queryRaw<{ date: string; count: number }[]>`
      WITH series AS (
        SELECT d::date AS day
          FROM generate_series(
                 (${window.from}::timestamptz AT TIME ZONE ${timeZone}::text)::date::timestamp,
                 (${window.to}::timestamptz AT TIME ZONE ${timeZone}::text)::date::timestamp,
                 interval '1 day') AS d
      ), counts AS (
        SELECT (timestamp AT TIME ZONE ${timeZone}::text)::date AS day, count(*) AS n
          FROM events
         WHERE workspace_id = ${input.workspaceId}
           AND name = ${input.name}
           AND timestamp >= ${window.from}::timestamptz
           AND timestamp <= ${window.to}::timestamptz
         GROUP BY 1
      )
      SELECT to_char(series.day::timestamp, 'YYYY-MM-DD') AS date, COALESCE(counts.n, 0)::int AS count
        FROM series LEFT JOIN counts USING (day)
       ORDER BY series.day`;
  } catch (error) {
    // Intl and Postgres ship their own tz databases; a name only one of them knows.
    if (error instanceof Error && /time zone/i.test(error.message)) {
      throw new DomainError("BAD_REQUEST", `The database does not know the time zone ${timeZone}.`);
    }
    throw error;
  }
  return { name: input.name, timeZone, window, days: rows, total: rows.reduce((sum, r) => sum + r.count, 0) };
}

/**
 * What the properties of one event look like in the window: per top-level key, the JSON
 * types seen and the most common scalar values. Looks at the most recent `sampleLimit`
 * events only (and says so), so it stays fast on busy events.
 */
export async function eventProperties(
  db: DbTx,
  input: { workspaceId: string; name: string; now: Date; days?: number; sampleLimit?: number },
): Promise<EventPropertiesResult> {
  const window = windowOf(input.now, input.days ?? DEFAULT_WINDOW_DAYS);
  const sampleLimit = Math.max(1, Math.trunc(input.sampleLimit ?? PROPERTY_SAMPLE_LIMIT));
  const [{ matched }] = (await db.$queryRaw<{ matched: bigint }[]>`
    SELECT count(*) AS matched
      FROM events
     WHERE workspace_id = ${input.workspaceId}
       AND name = ${input.name}
       AND timestamp >= ${window.from}::timestamptz
       AND timestamp <= ${window.to}::timestamptz`) as [{ matched: bigint }];
  const matchedCount = toNumber(matched);
  const sampleSize = Math.min(matchedCount, sampleLimit);
  const base = { name: input.name, window, matched: matchedCount, sampleSize, sampled: matchedCount > sampleLimit, sampleLimit };
  if (matchedCount === 0) return { ...base, properties: [], keysTruncated: false };

  const rows = await db.$queryRaw<
    { key: string; count: number; types: PropertyTypeCount[]; top_values: PropertyValueCount[]; distinct_values: number }[]
  >`
    WITH sample AS (
      SELECT properties
        FROM events
       WHERE workspace_id = ${input.workspaceId}
         AND name = ${input.name}
         AND timestamp >= ${window.from}::timestamptz
         AND timestamp <= ${window.to}::timestamptz
       ORDER BY timestamp DESC -- the index, backwards: no sort of every match
       LIMIT ${sampleLimit}::int
    ), kv AS (
      SELECT e.key, e.value, jsonb_typeof(e.value) AS type
        FROM sample s
       CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(s.properties) = 'object' THEN s.properties ELSE '{}'::jsonb END) AS e
    ), keys AS (
      SELECT key, count(*) AS n
        FROM kv
       GROUP BY key
       ORDER BY n DESC, key
       LIMIT ${PROPERTY_KEYS_LIMIT + 1}::int
    ), type_counts AS (
      SELECT key, jsonb_agg(jsonb_build_object('type', type, 'count', n) ORDER BY n DESC, type) AS types
        FROM (SELECT key, type, count(*) AS n FROM kv WHERE key IN (SELECT key FROM keys) GROUP BY key, type) t
       GROUP BY key
    ), value_counts AS (
      SELECT key, value, count(*) AS n
        FROM kv
       WHERE key IN (SELECT key FROM keys)
         AND (type IN ('number', 'boolean') OR (type = 'string' AND length(value #>> '{}') <= ${TOP_VALUE_MAX_LENGTH}::int))
       GROUP BY key, value
    ), ranked AS (
      SELECT key, value, n, row_number() OVER (PARTITION BY key ORDER BY n DESC, value) AS rank
        FROM value_counts
    ), top AS (
      SELECT key, jsonb_agg(jsonb_build_object('value', value, 'count', n) ORDER BY rank) AS top_values
        FROM ranked
       WHERE rank <= ${TOP_VALUES_LIMIT}::int
       GROUP BY key
    ), distinct_counts AS (
      SELECT key, count(*) AS n FROM value_counts GROUP BY key
    )
    SELECT keys.key,
           keys.n::int AS count,
           type_counts.types,
           COALESCE(top.top_values, '[]'::jsonb) AS top_values,
           COALESCE(distinct_counts.n, 0)::int AS distinct_values
      FROM keys
      JOIN type_counts USING (key)
      LEFT JOIN top USING (key)
      LEFT JOIN distinct_counts USING (key)
     ORDER BY keys.n DESC, keys.key`;

  return {
    ...base,
    keysTruncated: rows.length > PROPERTY_KEYS_LIMIT,
    properties: rows.slice(0, PROPERTY_KEYS_LIMIT).map((r) => ({
      key: r.key,
      count: r.count,
      types: r.types,
      topValues: r.top_values,
      distinctValues: r.distinct_values,
    })),
  };
}
