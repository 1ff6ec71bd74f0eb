import { DomainError } from "@/server/errors";
import { memberSummary } from "@/lib/profiles/display";
import { sql, sqlTransaction, type Db, type DbTx, type Sql } from "@/server/db/client";
import { referencedSegments, walk, type SegmentDefinition, parseStoredDefinition } from "@/lib/segments/schema";
import { compileEvaluator, evaluate } from "@/lib/segments/evaluate";
import { compileNextChange } from "@/lib/segments/next-change";
import type { MembershipCause } from "@/lib/segments/causes";
import { appendFeed, type FeedEntry } from "@/server/feed/feed";
import { isRetryable, lockConsumer, savepoint } from "@/server/feed/consumer";
import { loadPeople } from "./people";
import { matchingQuery } from "./compile-sql";
import { bumpDataVersion, MEMBERSHIP_SHARD } from "@/server/workspaces/data-version";

/**
 * Materialised membership of saved segments: who is in, since when (entered_at), who left
 * (exited_at), the current size, a daily size history, and the append-only history of
 * every entry and exit with its cause (segment_membership_history).
 *
 * One writer, applyMembership, used by both ways of deciding:
 * - decideProfiles: the people an event, a merge or a consent answer touched (the change
 *   feed's segment consumer, server/segments/consumer.ts), or whose answers time changes
 *   (segment_rechecks), re-decided for every saved segment in memory with the evaluator;
 * - refreshSegment: one segment recomputed in full with the SQL compiler, after its
 *   definition changed.
 * Both run under the segment consumer's lock, so decisions about a person never interleave.
 */

/** Why someone entered or left a segment (lib/segments/causes.ts: the one list, and its wording). */
export type { MembershipCause };

/** The change feed consumer that keeps saved segments current (and the lock every membership writer takes). */
export const SEGMENTS_CONSUMER = "segments";

/** Membership feed rows carry at most this many people each. */
const FEED_CHUNK = 1_000;

export interface RefreshResult {
  size: number;
  entered: number;
  exited: number;
}

/**
 * The one writer of segment membership: enters `enter` and exits `exit` (those already in,
 * or already out, are left alone), appends who actually changed to the history and the
 * change feed, and keeps size and today's counts. Returns who actually entered and left.
 */
export async function applyMembership(
  tx: Sql,
  input: { workspaceId: string; segmentId: string; enter: string[]; exit: string[]; at: Date; cause: MembershipCause; size?: "recount" },
): Promise<{ entered: string[]; exited: string[] }> {
  const { segmentId, at, cause } = input;
  const entered = input.enter.length
    ? (
        await tx.query<{ profile_id: string }>`
          INSERT INTO segment_memberships (segment_id, profile_id, entered_at)
          SELECT ${segmentId}::text, u.id, ${at}::timestamptz FROM unnest(${input.enter}::text[]) AS u(id)
           -- A person deleted (or merged away) since they were decided on is not entered.
           WHERE EXISTS (SELECT 1 FROM profiles p WHERE p.id = u.id)
          ON CONFLICT (segment_id, profile_id) DO UPDATE SET entered_at = EXCLUDED.entered_at, exited_at = NULL
            WHERE segment_memberships.exited_at IS NOT NULL
          RETURNING profile_id`
      ).map((r) => r.profile_id)
    : [];
  const exited = input.exit.length
    ? (
        await tx.query<{ profile_id: string }>`
          UPDATE segment_memberships SET exited_at = ${at}::timestamptz
           WHERE segment_id = ${segmentId} AND profile_id = ANY(${input.exit}::text[]) AND exited_at IS NULL
          RETURNING profile_id`
      ).map((r) => r.profile_id)
    : [];
  if (entered.length > 0 || exited.length > 0) {
    await tx.execute`
      INSERT INTO segment_membership_history (segment_id, profile_id, entered, cause, at)
      SELECT ${segmentId}::text, u.id, u.entered, ${cause}::text, ${at}::timestamptz
        FROM unnest(${[...entered, ...exited]}::text[], ${[...entered.map(() => true), ...exited.map(() => false)]}::boolean[]) AS u(id, entered)`;
    const feed: FeedEntry[] = [];
    for (const [change, ids] of [["entered", entered], ["exited", exited]] as const) {
      for (let i = 0; i < ids.length; i += FEED_CHUNK) {
        feed.push({ workspaceId: input.workspaceId, kind: "membership", profileIds: ids.slice(i, i + FEED_CHUNK), payload: { segmentId, change, cause } });
      }
    }
    await appendFeed(tx, feed);
  }
  await recordSize(tx, segmentId, at, { entered: entered.length, exited: exited.length, recount: input.size === "recount" });
  return { entered, exited };
}

/**
 * Size (counted again, or moved by the change) and today's entries and exits. The caller
 * adds the change to the workspace's data version once (definitions that refer to this
 * segment now have other answers): one shard row locked per transaction, last.
 */
async function recordSize(tx: Sql, segmentId: string, now: Date, change: { entered: number; exited: number; recount: boolean }) {
  if (!change.recount && change.entered === 0 && change.exited === 0) return;
  const [row] = change.recount
    ? await tx.query<{ size: number }>`
        UPDATE segments SET refreshed_at = ${now}::timestamptz,
               size = (SELECT count(*)::int FROM segment_memberships WHERE segment_id = ${segmentId} AND exited_at IS NULL)
         WHERE id = ${segmentId} RETURNING size`
    : await tx.query<{ size: number }>`
        UPDATE segments SET size = size + ${change.entered - change.exited}::int WHERE id = ${segmentId} RETURNING size`;
  await tx.execute`
    INSERT INTO segment_size_history (segment_id, day, size, entered, exited)
    VALUES (${segmentId}, (${now}::timestamptz AT TIME ZONE 'UTC')::date, ${row?.size ?? 0}::int, ${change.entered}::int, ${change.exited}::int)
    ON CONFLICT (segment_id, day) DO UPDATE SET size = EXCLUDED.size,
      entered = segment_size_history.entered + EXCLUDED.entered, exited = segment_size_history.exited + EXCLUDED.exited`;
}

/**
 * Who should enter (`enter`: matches, not a member) and who should leave (a member who no
 * longer matches) one saved segment at `now`, by the SQL compiler; `limit` of each at most.
 */
function differenceQuery(definition: SegmentDefinition, input: { workspaceId: string; segmentId: string; now: Date; limit?: number }) {
  const matching = matchingQuery(definition, { workspaceId: input.workspaceId, now: input.now, strategy: "aggregate" });
  const n = matching.params.length;
  const limit = input.limit === undefined ? "" : `LIMIT $${n + 2}::int`;
  return {
    sql: `
      WITH matched AS MATERIALIZED (${matching.sql})
      (SELECT m.id, true AS enter FROM matched m
        WHERE NOT EXISTS (SELECT 1 FROM segment_memberships sm WHERE sm.segment_id = $${n + 1}::text AND sm.profile_id = m.id AND sm.exited_at IS NULL)
        ${limit})
      UNION ALL
      (SELECT sm.profile_id, false FROM segment_memberships sm
        WHERE sm.segment_id = $${n + 1}::text AND sm.exited_at IS NULL AND NOT EXISTS (SELECT 1 FROM matched m WHERE m.id = sm.profile_id)
        ${limit})`,
    params: [...matching.params, input.segmentId, ...(input.limit === undefined ? [] : [input.limit])],
  };
}

/**
 * Recomputes one segment in full with the SQL compiler (after its definition changed, and
 * for new segments), under the segment consumer's lock: entries and exits are recorded
 * with `cause` ("definition" unless told otherwise).
 */
export async function refreshSegment(
  db: Db,
  input: { workspaceId: string; segmentId: string; now: Date; cause?: MembershipCause },
): Promise<RefreshResult> {
  const segment = await db.segment.findFirst({ where: { id: input.segmentId, workspaceId: input.workspaceId } });
  if (!segment) throw new Error(`segment ${input.segmentId} not found`);
  const diff = differenceQuery(parseStoredDefinition(segment.definition), { workspaceId: input.workspaceId, segmentId: segment.id, now: input.now });
  return sqlTransaction(db, async (tx) => {
    await lockConsumer(tx, SEGMENTS_CONSUMER);
    const rows = await tx.raw<{ id: string; enter: boolean }>(diff);
    const { entered, exited } = await applyMembership(tx, {
      workspaceId: input.workspaceId,
      segmentId: segment.id,
      enter: rows.filter((r) => r.enter).map((r) => r.id),
      exit: rows.filter((r) => !r.enter).map((r) => r.id),
      at: input.now,
      cause: input.cause ?? "definition",
      size: "recount",
    });
    await bumpDataVersion(tx, input.workspaceId, { changes: entered.length + exited.length, profiles: 0 }, { shard: MEMBERSHIP_SHARD });
    const [{ size }] = (await tx.query<{ size: number }>`SELECT size FROM segments WHERE id = ${segment.id}`) as [{ size: number }];
    return { size, entered: entered.length, exited: exited.length };
  });
}

/**
 * The people whose saved-segment answers differ from the stored membership now, by the SQL
 * compiler: what the real-time path should have decided but did not (there should be none).
 * Read only; the periodic check hands them to the consumer as re-checks (cause "repair").
 */
export async function membershipDifferences(db: Db, input: { workspaceId: string; segmentId: string; now: Date; limit?: number }) {
  const segment = await db.segment.findFirst({ where: { id: input.segmentId, workspaceId: input.workspaceId } });
  if (!segment) return { enter: [], exit: [] };
  const rows = await sql(db).raw<{ id: string; enter: boolean }>(
    differenceQuery(parseStoredDefinition(segment.definition), { workspaceId: input.workspaceId, segmentId: segment.id, now: input.now, limit: input.limit ?? 10_000 }),
  );
  return { enter: rows.filter((r) => r.enter).map((r) => r.id), exit: rows.filter((r) => !r.enter).map((r) => r.id) };
}

/**
 * Saved, not archived segments of a workspace, referenced ones before those that refer to
 * them. `via`: read in this transaction (the segment consumer).
 */
export async function segmentsInDependencyOrder(db: Db, workspaceId: string, via?: Sql) {
  const rows = via
    ? await via.query<{ id: string; definition: unknown }>`SELECT id, definition FROM segments WHERE workspace_id = ${workspaceId} AND archived_at IS NULL`
    : await db.segment.findMany({ where: { workspaceId, archivedAt: null }, select: { id: true, definition: true } });
  const segments = rows.flatMap((s) => {
    try {
      return [{ id: s.id, definition: parseStoredDefinition(s.definition) }];
    } catch (error) {
      // Saved definitions are validated; one that is not readable (a bad manual edit) is left out, not fatal.
      console.error(`segment ${s.id}: stored definition unreadable, left out:`, error instanceof Error ? error.message : error);
      return [];
    }
  });
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

/** The segment and every saved segment that refers to it (directly or not), referenced ones first. */
export async function segmentAndDependents(db: Db, workspaceId: string, segmentId: string) {
  const ordered = await segmentsInDependencyOrder(db, workspaceId);
  const affected = new Set([segmentId]);
  for (const s of ordered) if (referencedSegments(s.definition).some((r) => affected.has(r))) affected.add(s.id);
  return ordered.filter((s) => affected.has(s.id));
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
 * Re-decides every saved segment of the workspace for these people, in memory, in
 * dependency order (a segment that refers to another sees its new answer), records entries
 * and exits through applyMembership with each person's cause, and schedules each person's
 * next time-based re-check (the earliest moment any answer could change with no new event,
 * lib/segments/next-change.ts). Runs in the caller's transaction, which holds the segment
 * consumer's lock. People who no longer exist are skipped.
 */
export async function decideProfiles(
  tx: Sql,
  db: Db,
  input: { workspaceId: string; causes: Map<string, MembershipCause>; now: Date },
): Promise<{ entered: number; exited: number }> {
  const ids = [...input.causes.keys()];
  if (ids.length === 0) return { entered: 0, exited: 0 };
  const segments = await segmentsInDependencyOrder(db, input.workspaceId, tx);
  if (segments.length === 0) return { entered: 0, exited: 0 };
  const names = new Set(segments.flatMap((s) => [...eventNames(s.definition)]));
  const people = await loadPeople(db, input.workspaceId, { ids }, names, tx);
  const nowMs = input.now.getTime();
  const next = new Map<string, number>();

  let entered = 0;
  let exited = 0;
  for (const segment of segments) {
    let matches: ReturnType<typeof compileEvaluator>;
    let nextChange: ReturnType<typeof compileNextChange>;
    try {
      matches = compileEvaluator(segment.definition, input.now);
      nextChange = compileNextChange(segment.definition, input.now);
    } catch (error) {
      // One segment the evaluator cannot read must not stop every other one (nor the feed).
      console.error(`segment ${segment.id}: cannot be decided:`, error instanceof Error ? error.message : error);
      continue;
    }
    const byCause = new Map<MembershipCause, { enter: string[]; exit: string[] }>();
    for (const [id, person] of people) {
      const current = person.memberships as Set<string>;
      const match = matches(person);
      if (match !== current.has(segment.id)) {
        const cause = input.causes.get(id) ?? "event";
        let lists = byCause.get(cause);
        if (!lists) byCause.set(cause, (lists = { enter: [], exit: [] }));
        (match ? lists.enter : lists.exit).push(id);
      }
      // Later segments may refer to this one: they see the new membership.
      if (match) current.add(segment.id);
      else current.delete(segment.id);
      const at = nextChange(person);
      if (at !== null && at > nowMs && !(next.get(id)! <= at)) next.set(id, at);
    }
    for (const [cause, { enter, exit }] of byCause) {
      const applied = await applyMembership(tx, { workspaceId: input.workspaceId, segmentId: segment.id, enter, exit, at: input.now, cause });
      entered += applied.entered.length;
      exited += applied.exited.length;
    }
  }
  await scheduleRechecks(tx, input.workspaceId, [...people.keys()], next);
  await bumpDataVersion(tx, input.workspaceId, { changes: entered + exited, profiles: 0 }, { shard: MEMBERSHIP_SHARD });
  return { entered, exited };
}

/** Each person's next re-check (or none, when time alone can change none of their answers). */
async function scheduleRechecks(tx: Sql, workspaceId: string, ids: string[], next: Map<string, number>) {
  const due = ids.filter((id) => next.has(id));
  const none = ids.filter((id) => !next.has(id));
  if (due.length > 0) {
    await tx.execute`
      INSERT INTO segment_rechecks (profile_id, workspace_id, due_at, cause)
      SELECT u.id, ${workspaceId}::text, u.due, 'time'
        FROM unnest(${due}::text[], ${due.map((id) => new Date(next.get(id)!).toISOString())}::timestamptz[]) AS u(id, due)
       WHERE EXISTS (SELECT 1 FROM profiles p WHERE p.id = u.id)
      ON CONFLICT (profile_id) DO UPDATE SET due_at = EXCLUDED.due_at, cause = 'time'`;
  }
  if (none.length > 0) await tx.execute`DELETE FROM segment_rechecks WHERE profile_id = ANY(${none}::text[])`;
}

/**
 * Schedules time-based re-checks for everyone in the workspace (after a definition changed,
 * time may matter for people no event will touch soon). Only ever moves a due time earlier:
 * racing the consumer, which sets exact ones, costs at most a re-check that changes nothing.
 * Returns how many people have one now.
 */
export async function scheduleWorkspaceRechecks(db: Db, input: { workspaceId: string; now: Date; batch?: number }): Promise<number> {
  const segments = await segmentsInDependencyOrder(db, input.workspaceId);
  if (segments.length === 0) return 0;
  const names = new Set(segments.flatMap((s) => [...eventNames(s.definition)]));
  const nextChanges = segments.map((s) => compileNextChange(s.definition, input.now));
  const nowMs = input.now.getTime();
  let after = "";
  let scheduled = 0;
  for (;;) {
    const ids = (
      await sql(db).query<{ id: string }>`
        SELECT id FROM profiles WHERE workspace_id = ${input.workspaceId} AND id > ${after} ORDER BY id LIMIT ${input.batch ?? 1_000}::int`
    ).map((r) => r.id);
    if (ids.length === 0) return scheduled;
    after = ids.at(-1)!;
    const people = await loadPeople(db, input.workspaceId, { ids }, names);
    const due: string[] = [];
    const at: string[] = [];
    for (const [id, person] of people) {
      let next = Infinity;
      for (const nextChange of nextChanges) {
        const t = nextChange(person);
        if (t !== null && t > nowMs && t < next) next = t;
      }
      if (next !== Infinity) {
        due.push(id);
        at.push(new Date(next).toISOString());
      }
    }
    if (due.length > 0) {
      await sql(db).execute`
        INSERT INTO segment_rechecks (profile_id, workspace_id, due_at, cause)
        SELECT u.id, ${input.workspaceId}::text, u.due, 'time' FROM unnest(${due}::text[], ${at}::timestamptz[]) AS u(id, due)
         WHERE EXISTS (SELECT 1 FROM profiles p WHERE p.id = u.id)
        ON CONFLICT (profile_id) DO UPDATE SET due_at = LEAST(segment_rechecks.due_at, EXCLUDED.due_at)`;
      scheduled += due.length;
    }
  }
}

/**
 * The periodic safety net: recomputes every saved segment with the SQL compiler and
 * compares with the stored membership. People who differ (there should be none: the feed
 * and the re-checks decide everyone on time) are handed to the consumer as re-checks due
 * now, cause "repair"; the differences are returned per segment, for the log.
 */
export async function checkWorkspaceSegments(db: Db, input: { workspaceId: string; now: Date }) {
  const found: Record<string, { enter: number; exit: number }> = {};
  for (const segment of await segmentsInDependencyOrder(db, input.workspaceId)) {
    const { enter, exit } = await membershipDifferences(db, { workspaceId: input.workspaceId, segmentId: segment.id, now: input.now });
    if (enter.length + exit.length === 0) continue;
    found[segment.id] = { enter: enter.length, exit: exit.length };
    await sql(db).execute`
      INSERT INTO segment_rechecks (profile_id, workspace_id, due_at, cause)
      SELECT u.id, ${input.workspaceId}::text, ${input.now}::timestamptz, 'repair' FROM unnest(${[...enter, ...exit]}::text[]) AS u(id)
       WHERE EXISTS (SELECT 1 FROM profiles p WHERE p.id = u.id)
      ON CONFLICT (profile_id) DO UPDATE SET due_at = EXCLUDED.due_at, cause = 'repair'`;
  }
  return found;
}

/** People due for a re-check per batch. */
const DUE_BATCH = 1_000;

/**
 * Re-decides the people whose re-check is due at `now` (time passed: "no purchase in the
 * last 30 days" turned true; or the periodic check found a difference). Returns how many.
 */
export async function decideDue(tx: Sql, db: Db, now: Date): Promise<number> {
  const due = await tx.query<{ profile_id: string; workspace_id: string; cause: string }>`
    SELECT profile_id, workspace_id, cause FROM segment_rechecks WHERE due_at <= ${now}::timestamptz ORDER BY due_at LIMIT ${DUE_BATCH}::int`;
  if (due.length === 0) return 0;
  const byWorkspace = new Map<string, Map<string, MembershipCause>>();
  for (const d of due) {
    let causes = byWorkspace.get(d.workspace_id);
    if (!causes) byWorkspace.set(d.workspace_id, (causes = new Map()));
    causes.set(d.profile_id, d.cause === "repair" ? "repair" : "time");
  }
  for (const [workspaceId, causes] of byWorkspace) {
    try {
      await savepoint(tx, () => decideProfiles(tx, db, { workspaceId, causes, now }));
    } catch (error) {
      if (isRetryable(error)) throw error;
      // This workspace's people are tried again in five minutes; the others go on.
      console.error(`workspace ${workspaceId}: re-checks failed, postponed:`, error instanceof Error ? error.message : error);
      await tx.execute`
        UPDATE segment_rechecks SET due_at = ${new Date(now.getTime() + 5 * 60_000)}::timestamptz
         WHERE profile_id = ANY(${[...causes.keys()]}::text[]) AND due_at <= ${now}::timestamptz`;
    }
  }
  // Those not rescheduled (no saved segments any more): nothing left to check.
  await tx.execute`
    DELETE FROM segment_rechecks WHERE profile_id = ANY(${due.map((d) => d.profile_id)}::text[]) AND due_at <= ${now}::timestamptz`;
  return due.length;
}

/**
 * Re-decides these people now, in a transaction of its own under the consumer's lock (the
 * consent service after an answer changed, tests). The change feed does this after ingest.
 */
export async function reevaluateProfiles(db: Db, input: { workspaceId: string; profileIds: string[]; now: Date; cause?: MembershipCause }) {
  if (input.profileIds.length === 0) return { entered: 0, exited: 0 };
  return sqlTransaction(db, async (tx) => {
    await lockConsumer(tx, SEGMENTS_CONSUMER);
    return decideProfiles(tx, db, { workspaceId: input.workspaceId, causes: new Map(input.profileIds.map((id) => [id, input.cause ?? "event"])), now: input.now });
  });
}

/**
 * Membership writers other than the consumer (a merge in ingest, a GDPR deletion) take the
 * segment consumer's lock first, so no decision about the same people interleaves with them.
 */
export async function lockMembership(tx: Sql): Promise<void> {
  await lockConsumer(tx, SEGMENTS_CONSUMER);
}

/**
 * Profiles merged (ingest, server/ingest/service.ts; the caller holds lockMembership):
 * `into` takes over `from`'s memberships. Where both were in, `into` keeps the earlier
 * entry and the segment has one member fewer; where only `from` was, `into` enters (cause
 * "merge", on the feed) as a member since `from` entered. `from`'s own history goes with
 * it: the merged person's history stays one alternating line per segment. No decision is
 * made here: the merge's feed row has the consumer decide the merged person (cause "merge").
 */
export async function moveMemberships(tx: Sql, input: { workspaceId: string; from: string; into: string; at: Date }) {
  const { from, into, at } = input;
  const rows = await tx.query<{ segment_id: string; entered_at: Date; into_active: boolean }>`
    SELECT f.segment_id, f.entered_at, (i.profile_id IS NOT NULL AND i.exited_at IS NULL) AS into_active
      FROM segment_memberships f
      LEFT JOIN segment_memberships i ON i.segment_id = f.segment_id AND i.profile_id = ${into}
     WHERE f.profile_id = ${from} AND f.exited_at IS NULL`;
  const both = rows.filter((r) => r.into_active);
  const takeover = rows.filter((r) => !r.into_active);
  if (both.length > 0) {
    await tx.execute`
      UPDATE segment_memberships i SET entered_at = LEAST(i.entered_at, u.entered_at)
        FROM unnest(${both.map((r) => r.segment_id)}::text[], ${both.map((r) => r.entered_at.toISOString())}::timestamptz[]) AS u(segment_id, entered_at)
       WHERE i.profile_id = ${into} AND i.segment_id = u.segment_id`;
    await tx.execute`UPDATE segments SET size = size - 1 WHERE id = ANY(${both.map((r) => r.segment_id)}::text[])`;
  }
  if (takeover.length > 0) {
    const segmentIds = takeover.map((r) => r.segment_id);
    await tx.execute`
      INSERT INTO segment_memberships (segment_id, profile_id, entered_at)
      SELECT u.segment_id, ${into}::text, u.entered_at
        FROM unnest(${segmentIds}::text[], ${takeover.map((r) => r.entered_at.toISOString())}::timestamptz[]) AS u(segment_id, entered_at)
      ON CONFLICT (segment_id, profile_id) DO UPDATE SET entered_at = EXCLUDED.entered_at, exited_at = NULL`;
    await tx.execute`
      INSERT INTO segment_membership_history (segment_id, profile_id, entered, cause, at)
      SELECT u.segment_id, ${into}::text, true, 'merge', ${at}::timestamptz FROM unnest(${segmentIds}::text[]) AS u(segment_id)`;
    await appendFeed(
      tx,
      segmentIds.map((segmentId) => ({ workspaceId: input.workspaceId, kind: "membership" as const, profileIds: [into], payload: { segmentId, change: "entered", cause: "merge" } })),
    );
  }
  await tx.execute`DELETE FROM segment_memberships WHERE profile_id = ${from}`;
  await tx.execute`DELETE FROM segment_membership_history WHERE profile_id = ${from}`;
}

/**
 * A person is deleted (GDPR): their history goes with them, except one exit per segment
 * they were in (cause "deletion", a bare id: no data about them remains), so sizes and the
 * segment's recent exits stay right. In the deletion's transaction, under the consumer's
 * lock. Returns the segments they left.
 */
export async function exitDeletedPerson(tx: DbTx, input: { workspaceId: string; profileId: string; at: Date }): Promise<string[]> {
  // lockMembership, in a Prisma transaction.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`junction:feed:${SEGMENTS_CONSUMER}`}, 0))`;
  const rows = await tx.$queryRaw<{ segment_id: string }[]>`
    WITH active AS (
      SELECT segment_id FROM segment_memberships WHERE profile_id = ${input.profileId} AND exited_at IS NULL),
    forgotten AS (DELETE FROM segment_membership_history WHERE profile_id = ${input.profileId} RETURNING 1),
    exits AS (
      INSERT INTO segment_membership_history (segment_id, profile_id, entered, cause, at)
      SELECT segment_id, ${input.profileId}, false, 'deletion', ${input.at}::timestamptz FROM active RETURNING 1),
    sizes AS (UPDATE segments SET size = size - 1 WHERE id IN (SELECT segment_id FROM active) RETURNING id, size),
    days AS (
      INSERT INTO segment_size_history (segment_id, day, size, entered, exited)
      SELECT id, (${input.at}::timestamptz AT TIME ZONE 'UTC')::date, size, 0, 1 FROM sizes
      ON CONFLICT (segment_id, day) DO UPDATE SET size = EXCLUDED.size, exited = segment_size_history.exited + 1
      RETURNING 1)
    -- (Data-modifying WITH clauses run whether or not the result refers to them.)
    SELECT segment_id FROM active`;
  return rows.map((r) => r.segment_id);
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

/** One entry into or exit from a segment (the history's row), as pages show it. */
export interface MembershipChange {
  /** The row's id: pages go on `before` it (newest first). */
  id: string;
  segmentId: string;
  segmentName: string;
  entered: boolean;
  cause: MembershipCause;
  at: Date;
}

/**
 * A person's entries and exits, newest first, a page at a time (the profile's Segments tab,
 * the read API's `history`). Archived segments included: it happened.
 */
export async function profileMembershipHistory(db: Db, input: { workspaceId: string; profileId: string; before?: string; limit: number }) {
  const rows = await sql(db).query<MembershipChange>`
    SELECT h.id::text, h.segment_id AS "segmentId", s.name AS "segmentName", h.entered, h.cause, h.at
      FROM segment_membership_history h JOIN segments s ON s.id = h.segment_id AND s.workspace_id = ${input.workspaceId}
     WHERE h.profile_id = ${input.profileId} AND (${input.before ?? null}::bigint IS NULL OR h.id < ${input.before ?? null}::bigint)
     ORDER BY h.id DESC
     LIMIT ${input.limit + 1}::int`;
  const items = rows.slice(0, input.limit);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.id : null };
}

/**
 * A segment's latest entries and exits, newest first, with who (null: a person deleted
 * since — their exit stays, nothing about them does), a page at a time. `change` narrows to
 * entries or exits.
 */
export async function segmentMembershipChanges(
  db: Db,
  input: { workspaceId: string; segmentId: string; change?: "entered" | "exited"; before?: string; limit: number },
) {
  const entered = input.change === undefined ? null : input.change === "entered";
  const rows = await sql(db).query<{ id: string; entered: boolean; cause: MembershipCause; at: Date; profile_id: string; user_id: string | null; email: string | null; traits: unknown; exists: boolean }>`
    SELECT h.id::text, h.entered, h.cause, h.at, h.profile_id, p.user_id, p.email, p.traits, p.id IS NOT NULL AS exists
      FROM segment_membership_history h
      JOIN segments s ON s.id = h.segment_id AND s.workspace_id = ${input.workspaceId}
      LEFT JOIN profiles p ON p.id = h.profile_id
     WHERE h.segment_id = ${input.segmentId}
       AND (${entered}::boolean IS NULL OR h.entered = ${entered}::boolean)
       AND (${input.before ?? null}::bigint IS NULL OR h.id < ${input.before ?? null}::bigint)
     ORDER BY h.id DESC
     LIMIT ${input.limit + 1}::int`;
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      entered: r.entered,
      cause: r.cause,
      at: r.at,
      person: r.exists ? memberSummary({ id: r.profile_id, userId: r.user_id, email: r.email, traits: r.traits }) : null,
    })),
    nextCursor: rows.length > input.limit ? page.at(-1)!.id : null,
  };
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
