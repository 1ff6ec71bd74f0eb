import { DomainError } from "@/server/errors";
import { memberSummary } from "@/lib/profiles/display";
import { sql, sqlTransaction, type Db, type Sql } from "@/server/db/client";
import { referencedSegments, walk, type SegmentDefinition, parseStoredDefinition } from "@/lib/segments/schema";
import { compileEvaluator, evaluate } from "@/lib/segments/evaluate";
import { loadPeople } from "./people";
import { matchingQuery } from "./compile-sql";
import { bumpDataVersion } from "@/server/workspaces/data-version";

/**
 * Materialised membership of saved segments: who is in, since when (entered_at), who left
 * (exited_at), the current size and a daily size history with entries and exits.
 *
 * - refreshSegment: recompute one segment in full with the SQL compiler (after a save, and
 *   periodically for time-based conditions such as "inactive for 7 days").
 * - reevaluateProfiles: after ingest, re-decide the saved segments for the people whose
 *   events or traits just changed, in memory with the evaluator.
 */

export interface RefreshResult {
  size: number;
  entered: number;
  exited: number;
}

/** Writes entries, exits, size and today's history for one segment, in one transaction. */
export async function refreshSegment(db: Db, input: { workspaceId: string; segmentId: string; now: Date }): Promise<RefreshResult> {
  const segment = await db.segment.findFirst({ where: { id: input.segmentId, workspaceId: input.workspaceId } });
  if (!segment) throw new Error(`segment ${input.segmentId} not found`);
  const definition = parseStoredDefinition(segment.definition);
  const matching = matchingQuery(definition, { workspaceId: input.workspaceId, now: input.now, strategy: "aggregate" });
  const n = matching.params.length;
  const sql = `
    WITH matched AS (${matching.sql}),
    entered AS (
      INSERT INTO segment_memberships (segment_id, profile_id, entered_at)
      SELECT $${n + 1}::text, id, $${n + 2}::timestamptz FROM matched
      ON CONFLICT (segment_id, profile_id) DO UPDATE SET entered_at = EXCLUDED.entered_at, exited_at = NULL
        WHERE segment_memberships.exited_at IS NOT NULL
      RETURNING 1),
    exited AS (
      UPDATE segment_memberships sm SET exited_at = $${n + 2}::timestamptz
       WHERE sm.segment_id = $${n + 1}::text AND sm.exited_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM matched m WHERE m.id = sm.profile_id)
      RETURNING 1)
    SELECT (SELECT count(*) FROM matched)::int AS size, (SELECT count(*) FROM entered)::int AS entered,
           (SELECT count(*) FROM exited)::int AS exited`;
  return sqlTransaction(db, async (tx) => {
    await lockSegment(tx, segment.id);
    const [result] = await tx.raw<RefreshResult>({ sql, params: [...matching.params, segment.id, input.now] });
    await recordSize(tx, input.workspaceId, segment.id, input.now, result!);
    return result!;
  });
}

/** One writer of a segment's membership at a time (full refresh or re-evaluation after ingest). */
async function lockSegment(tx: Sql, segmentId: string) {
  await tx.query`SELECT 1 FROM segments WHERE id = ${segmentId} FOR UPDATE`;
}

async function recordSize(tx: Sql, workspaceId: string, segmentId: string, now: Date, change: RefreshResult) {
  await tx.execute`UPDATE segments SET size = ${change.size}::int, refreshed_at = ${now}::timestamptz WHERE id = ${segmentId}`;
  // Definitions that refer to this segment now have other answers.
  await bumpDataVersion(tx, workspaceId, { changes: change.entered + change.exited, profiles: 0 });
  await tx.execute`
    INSERT INTO segment_size_history (segment_id, day, size, entered, exited)
    VALUES (${segmentId}, (${now}::timestamptz AT TIME ZONE 'UTC')::date, ${change.size}::int, ${change.entered}::int, ${change.exited}::int)
    ON CONFLICT (segment_id, day) DO UPDATE SET size = EXCLUDED.size,
      entered = segment_size_history.entered + EXCLUDED.entered, exited = segment_size_history.exited + EXCLUDED.exited`;
}

/** Saved, not archived segments of a workspace, referenced ones before those that refer to them. */
export async function segmentsInDependencyOrder(db: Db, workspaceId: string) {
  const segments = (await db.segment.findMany({ where: { workspaceId, archivedAt: null }, select: { id: true, definition: true } })).map((s) => ({
    id: s.id,
    definition: parseStoredDefinition(s.definition),
  }));
  const byId = new Map(segments.map((s) => [s.id, s]));
  const ordered: typeof segments = [];
  const done = new Set<string>();
  const visit = (id: string, path: Set<string>) => {
    const segment = byId.get(id);
    if (!segment || done.has(id) || path.has(id)) return;
    path.add(id);
    for (const ref of referencedSegments(segment.definition)) visit(ref, path);
    done.add(id);
    ordered.push(segment);
  };
  for (const s of segments) visit(s.id, new Set());
  return ordered;
}

/** The periodic job: every saved segment of the workspace, in dependency order. */
/**
 * Refreshes every saved segment of a workspace, referenced ones first. Each is evaluated at
 * its own clock reading, taken just before its transaction: with many segments the last one
 * starts minutes after the first, and its entries and exits are stamped with when it ran
 * (the estimate's sample finds changed memberships by those stamps, server/segments/sample.ts).
 */
export async function refreshWorkspaceSegments(db: Db, input: { workspaceId: string; clock?: () => Date }) {
  const results: Record<string, RefreshResult> = {};
  for (const segment of await segmentsInDependencyOrder(db, input.workspaceId)) {
    results[segment.id] = await refreshSegment(db, { workspaceId: input.workspaceId, segmentId: segment.id, now: (input.clock ?? (() => new Date()))() });
  }
  return results;
}

/** The event names a definition counts. */
function eventNames(definition: SegmentDefinition): Set<string> {
  const names = new Set<string>();
  walk(definition.root, (node) => {
    if (node.type === "event") names.add(node.event);
  });
  return names;
}

/** Whether one person matches each of `definitions` now, with the trace of every node ("why"), in order; null if no such person. */
export async function explainProfile(db: Db, input: { workspaceId: string; profileId: string; definitions: SegmentDefinition[]; now: Date }) {
  // One read of the person (with the events any of the definitions looks at) for all of them.
  const names = new Set(input.definitions.flatMap((d) => [...eventNames(d)]));
  const person = (await loadPeople(db, input.workspaceId, { ids: [input.profileId] }, names)).get(input.profileId);
  if (!person) return null;
  return input.definitions.map((definition) => evaluate(definition, person, input.now));
}

/** "Test a profile": whether one person matches a (draft) definition now, with the trace of every node. */
export async function testProfile(db: Db, input: { workspaceId: string; profileId: string; definition: SegmentDefinition; now: Date }) {
  const [result] = (await explainProfile(db, { ...input, definitions: [input.definition] })) ?? [];
  if (!result) throw new DomainError("NOT_FOUND", "This profile does not exist.");
  return result;
}

/** A person's current segments (the profile page's Segments tab), each with why they match now. */
export async function profileSegmentsExplained(db: Db, input: { workspaceId: string; profileId: string; now: Date }) {
  const segments = await profileSegments(db, input);
  const explanations = await explainProfile(db, { ...input, definitions: segments.map((s) => s.definition) });
  return segments.map((s, i) => ({ ...s, explanation: explanations?.[i] ?? null }));
}

/**
 * Re-decides every saved segment for these people, in memory, and records entries and
 * exits. Called after ingest stored their events (and so changed traits and seen times).
 */
export async function reevaluateProfiles(db: Db, input: { workspaceId: string; profileIds: string[]; now: Date }) {
  if (input.profileIds.length === 0) return { entered: 0, exited: 0 };
  const segments = await segmentsInDependencyOrder(db, input.workspaceId);
  if (segments.length === 0) return { entered: 0, exited: 0 };
  const names = new Set(segments.flatMap((s) => [...eventNames(s.definition)]));
  const people = await loadPeople(db, input.workspaceId, { ids: input.profileIds }, names);

  let entered = 0;
  let exited = 0;
  for (const segment of segments) {
    const matches = compileEvaluator(segment.definition, input.now);
    const enter: string[] = [];
    const exit: string[] = [];
    for (const [id, person] of people) {
      const current = person.memberships as Set<string>;
      const match = matches(person);
      if (match && !current.has(segment.id)) enter.push(id);
      if (!match && current.has(segment.id)) exit.push(id);
      // Later segments may refer to this one: they see the new membership.
      if (match) current.add(segment.id);
      else current.delete(segment.id);
    }
    if (enter.length === 0 && exit.length === 0) continue;
    await sqlTransaction(db, async (tx) => {
      await lockSegment(tx, segment.id);
      if (enter.length) {
        await tx.execute`
          INSERT INTO segment_memberships (segment_id, profile_id, entered_at)
          SELECT ${segment.id}::text, unnest(${enter}::text[]), ${input.now}::timestamptz
          ON CONFLICT (segment_id, profile_id) DO UPDATE SET entered_at = EXCLUDED.entered_at, exited_at = NULL
            WHERE segment_memberships.exited_at IS NOT NULL`;
      }
      if (exit.length) {
        await tx.execute`
          UPDATE segment_memberships SET exited_at = ${input.now}::timestamptz
           WHERE segment_id = ${segment.id} AND profile_id = ANY(${exit}::text[]) AND exited_at IS NULL`;
      }
      const [counted] = await tx.query<{ size: number }>`
        SELECT count(*)::int AS size FROM segment_memberships WHERE segment_id = ${segment.id} AND exited_at IS NULL`;
      await recordSize(tx, input.workspaceId, segment.id, input.now, { size: counted!.size, entered: enter.length, exited: exit.length });
    });
    entered += enter.length;
    exited += exit.length;
  }
  return { entered, exited };
}

/** A person's current segments with the time they entered (the profile's Segments tab, the read API). */
export async function profileSegments(db: Db, input: { workspaceId: string; profileId: string }) {
  const rows = await db.segmentMembership.findMany({
    where: { profileId: input.profileId, exitedAt: null, segment: { workspaceId: input.workspaceId, archivedAt: null } },
    select: { enteredAt: true, segment: { select: { id: true, name: true, definition: true } } },
    orderBy: { enteredAt: "desc" },
  });
  return rows.map((r) => ({ id: r.segment.id, name: r.segment.name, enteredAt: r.enteredAt, definition: parseStoredDefinition(r.segment.definition) }));
}

/** Daily size with entries and exits, oldest first. */
export async function segmentHistory(db: Db, input: { workspaceId: string; segmentId: string; days: number }) {
  const segment = await db.segment.findFirst({ where: { id: input.segmentId, workspaceId: input.workspaceId }, select: { id: true } });
  if (!segment) return [];
  const since = new Date(Date.now() - input.days * 86_400_000);
  return db.segmentSizeHistory.findMany({
    where: { segmentId: segment.id, day: { gte: since } },
    orderBy: { day: "asc" },
    select: { day: true, size: true, entered: true, exited: true },
  });
}

export interface Overlap {
  segments: { id: string; name: string; size: number; refreshedAt: Date | null }[];
  /** `pairs[i][j]`: current members of both segments i and j (the diagonal: of segment i). */
  pairs: number[][];
  /** Profiles of the workspace, and how many are in none of the segments. */
  total: number;
  none: number;
}

/**
 * How 2–8 saved segments overlap, from their materialised membership: every pairwise
 * intersection, and the profiles in none of them.
 */
export async function segmentOverlap(db: Db, input: { workspaceId: string; segmentIds: string[] }): Promise<Overlap> {
  const ids = [...new Set(input.segmentIds)];
  const q = sql(db);
  const found = await q.query<{ id: string; name: string; size: number; refreshed_at: Date | null }>`
    SELECT id, name, size, refreshed_at FROM segments WHERE workspace_id = ${input.workspaceId} AND id = ANY(${ids}::text[])`;
  const order = ids.filter((id) => found.some((f) => f.id === id));
  const index = new Map(order.map((id, i) => [id, i]));
  const [pairs, [counts]] = await Promise.all([
    q.query<{ a: string; b: string; n: number }>`
      SELECT a.segment_id AS a, b.segment_id AS b, count(*)::int AS n
        FROM segment_memberships a
        JOIN segment_memberships b ON b.profile_id = a.profile_id AND b.exited_at IS NULL AND b.segment_id = ANY(${order}::text[])
       WHERE a.segment_id = ANY(${order}::text[]) AND a.exited_at IS NULL AND a.segment_id <= b.segment_id
       GROUP BY 1, 2`,
    q.query<{ total: number; any: number }>`
      SELECT (SELECT count(*)::int FROM profiles WHERE workspace_id = ${input.workspaceId}) AS total,
             (SELECT count(DISTINCT profile_id)::int FROM segment_memberships WHERE segment_id = ANY(${order}::text[]) AND exited_at IS NULL) AS any`,
  ]);
  const matrix = order.map(() => order.map(() => 0));
  for (const p of pairs) {
    const i = index.get(p.a)!;
    const j = index.get(p.b)!;
    matrix[i]![j] = p.n;
    matrix[j]![i] = p.n;
  }
  return {
    segments: order.map((id) => {
      const f = found.find((s) => s.id === id)!;
      return { id, name: f.name, size: f.size, refreshedAt: f.refreshed_at };
    }),
    pairs: matrix,
    total: counts!.total,
    none: counts!.total - counts!.any,
  };
}

/** A page of the people in both segments (the overlap view's cells), by profile id. */
export async function overlapMembers(db: Db, input: { workspaceId: string; a: string; b: string; after?: string; limit: number }) {
  const rows = await sql(db).query<{ id: string; user_id: string | null; email: string | null; traits: unknown }>`
    SELECT p.id, p.user_id, p.email, p.traits
      FROM segment_memberships a
      JOIN segment_memberships b ON b.profile_id = a.profile_id AND b.segment_id = ${input.b} AND b.exited_at IS NULL
      JOIN profiles p ON p.id = a.profile_id AND p.workspace_id = ${input.workspaceId}
     WHERE a.segment_id = ${input.a} AND a.exited_at IS NULL AND p.id > ${input.after ?? ""}
     ORDER BY p.id
     LIMIT ${input.limit + 1}::int`;
  const page = rows.slice(0, input.limit);
  return { items: page.map((r) => memberSummary({ id: r.id, userId: r.user_id, email: r.email, traits: r.traits })), nextCursor: rows.length > input.limit ? page.at(-1)!.id : null };
}
