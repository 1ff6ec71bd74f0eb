import { sql, type Db } from "@/server/db/client";

/** How many profiles the trait summary looks at (the most recently created ones). */
const TRAIT_SAMPLE = 2_000;

export interface TraitKey {
  /** Top-level trait key (`plan`, `goal`). */
  key: string;
  /** JSON types seen, most common first. */
  types: string[];
  /** Most common scalar values, most common first. */
  topValues: (string | number | boolean)[];
}

/**
 * The trait keys people have, with their types and most common values — the segment
 * builder's autocomplete. Reads a bounded sample of profiles, so it stays fast at any size.
 */
export async function traitKeys(db: Db, workspaceId: string): Promise<TraitKey[]> {
  const rows = await sql(db).query<{ key: string; types: string[]; top_values: (string | number | boolean)[] }>`
    WITH sample AS (
      SELECT traits FROM profiles WHERE workspace_id = ${workspaceId} ORDER BY created_at DESC LIMIT ${TRAIT_SAMPLE}::int),
    pairs AS (
      SELECT kv.key, kv.value FROM sample, jsonb_each(sample.traits) AS kv),
    types AS (
      SELECT key, jsonb_typeof(value) AS type, count(*) AS n FROM pairs GROUP BY 1, 2),
    tops AS (
      SELECT key, value, count(*) AS n,
             row_number() OVER (PARTITION BY key ORDER BY count(*) DESC, value::text) AS rank
        FROM pairs WHERE jsonb_typeof(value) IN ('string', 'number', 'boolean') GROUP BY 1, 2)
    SELECT t.key,
           array_agg(t.type ORDER BY t.n DESC, t.type) AS types,
           coalesce((SELECT jsonb_agg(value ORDER BY rank) FROM tops WHERE tops.key = t.key AND rank <= 20), '[]'::jsonb) AS top_values
      FROM types t
     GROUP BY t.key
     ORDER BY sum(t.n) DESC, t.key
     LIMIT 200`;
  return rows.map((r) => ({ key: r.key, types: r.types, topValues: r.top_values }));
}

/** The profile fields with values worth suggesting (codes people type: DE, Europe/Berlin, de-DE). */
export const SUGGESTED_FIELDS = ["country", "timezone", "locale"] as const;

/**
 * The most common values of the built-in profile fields (country, time zone, locale) in the
 * same bounded sample as `traitKeys`, most common first: the builder suggests "DE" for
 * `country` as it suggests "pro" for `plan`.
 */
export async function fieldValues(db: Db, workspaceId: string): Promise<Record<(typeof SUGGESTED_FIELDS)[number], string[]>> {
  const rows = await sql(db).query<{ field: string; value: string }>`
    WITH sample AS (
      SELECT country, timezone, locale FROM profiles WHERE workspace_id = ${workspaceId} ORDER BY created_at DESC LIMIT ${TRAIT_SAMPLE}::int),
    pairs AS (
      SELECT 'country' AS field, country AS value FROM sample WHERE country IS NOT NULL
      UNION ALL SELECT 'timezone', timezone FROM sample WHERE timezone IS NOT NULL
      UNION ALL SELECT 'locale', locale FROM sample WHERE locale IS NOT NULL),
    ranked AS (
      SELECT field, value, row_number() OVER (PARTITION BY field ORDER BY count(*) DESC, value) AS rank FROM pairs GROUP BY 1, 2)
    SELECT field, value FROM ranked WHERE rank <= 30 ORDER BY field, rank`;
  const out = { country: [] as string[], timezone: [] as string[], locale: [] as string[] };
  for (const r of rows) out[r.field as keyof typeof out].push(r.value);
  return out;
}
