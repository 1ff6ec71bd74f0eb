import { ZJourneyDefinition, type JourneyDefinition } from "@/lib/journeys/schema";
import type { Sql } from "@/server/db/client";

/**
 * Published journey versions, parsed once per process: a version is frozen, so its parsed
 * definition never goes stale. Bounded (the oldest entries go first).
 */
const cache = new Map<string, JourneyDefinition>();
const LIMIT = 2_000;

const keyOf = (journeyId: string, version: number) => `${journeyId}:${version}`;

export async function loadVersions(tx: Sql, wanted: { journeyId: string; version: number }[]): Promise<Map<string, JourneyDefinition>> {
  const out = new Map<string, JourneyDefinition>();
  const missing: { journeyId: string; version: number }[] = [];
  for (const w of wanted) {
    const key = keyOf(w.journeyId, w.version);
    const hit = cache.get(key);
    if (hit) out.set(key, hit);
    else if (!missing.some((m) => m.journeyId === w.journeyId && m.version === w.version)) missing.push(w);
  }
  if (missing.length > 0) {
    const rows = await tx.query<{ journey_id: string; version: number; definition: unknown }>`
      SELECT v.journey_id, v.version, v.definition
        FROM unnest(${missing.map((m) => m.journeyId)}::text[], ${missing.map((m) => m.version)}::int[]) AS w(journey_id, version)
        JOIN journey_versions v ON v.journey_id = w.journey_id AND v.version = w.version`;
    for (const r of rows) {
      const parsed = ZJourneyDefinition.safeParse(r.definition);
      // Publishing validates: a version that does not parse was not written by it. Left out (its people end: "no longer exists").
      if (!parsed.success) continue;
      const def = parsed.data;
      const key = keyOf(r.journey_id, r.version);
      if (cache.size >= LIMIT) cache.delete(cache.keys().next().value!);
      cache.set(key, def);
      out.set(key, def);
    }
  }
  return out;
}

export const versionKey = keyOf;

/** The live journeys of some workspaces, each with its live version's definition. */
export interface LiveJourney {
  id: string;
  workspaceId: string;
  version: number;
  publishedAt: Date;
  def: JourneyDefinition;
}

export async function liveJourneys(tx: Sql, workspaceIds: string[]): Promise<LiveJourney[]> {
  if (workspaceIds.length === 0) return [];
  const rows = await tx.query<{ id: string; workspace_id: string; live_version: number; published_at: Date }>`
    SELECT j.id, j.workspace_id, j.live_version, v.published_at
      FROM journeys j JOIN journey_versions v ON v.journey_id = j.id AND v.version = j.live_version
     WHERE j.workspace_id = ANY(${workspaceIds}::text[]) AND j.status = 'live'`;
  const defs = await loadVersions(tx, rows.map((r) => ({ journeyId: r.id, version: r.live_version })));
  return rows.flatMap((r) => {
    const def = defs.get(keyOf(r.id, r.live_version));
    return def ? [{ id: r.id, workspaceId: r.workspace_id, version: r.live_version, publishedAt: r.published_at, def }] : [];
  });
}
