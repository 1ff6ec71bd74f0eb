import { Prisma } from "@/server/generated/prisma/client";
import { personName } from "@/lib/profiles/display";
import type { DbTx } from "@/server/db/client";
import { encodeKeyset, type Keyset } from "@/server/db/keyset";
import { DomainError } from "@/server/errors";

/**
 * What the runtime's rows say about journeys, for the journey list (people in it now,
 * entered in the last 7 days, conversion rate), the canvas's live overlay (entered, waiting
 * now per node, per-exit counts, conversions) and the list of people waiting at a node.
 *
 * Sources: `journey_enrollments` (one row per person's way through a journey version — who is
 * where now, who entered, ended, converted) and `journey_exit_counts` (how often each exit of
 * each node was taken, summed over shard rows). Until the runtime fills them, everything is 0.
 */

const DAY_MS = 86_400_000;

const toNumber = (value: bigint | number | null): number => (value === null ? 0 : typeof value === "bigint" ? Number(value) : value);

export interface JourneyListStats {
  /** Enrollments active now (waiting at some node). */
  inNow: number;
  /** Enrollments that started in the 7 days before `now`. */
  entered7d: number;
  /** Enrollments that reached the goal (whenever they did). */
  converted: number;
  /** converted ÷ entered, all time; null while nobody entered. */
  conversionRate: number | null;
}

export const EMPTY_LIST_STATS: JourneyListStats = { inNow: 0, entered7d: 0, converted: 0, conversionRate: null };

/**
 * The list's numbers for several journeys of one workspace in one grouped query. Every id
 * asked for is in the map (zeros for a journey nobody entered, or one of another workspace).
 * Holdout enrollments count like the others here (the lift view compares them).
 */
export async function journeyListStats(
  db: DbTx,
  workspaceId: string,
  journeyIds: readonly string[],
  options: { now?: Date } = {},
): Promise<Map<string, JourneyListStats>> {
  const ids = [...new Set(journeyIds)];
  const stats = new Map<string, JourneyListStats>(ids.map((id) => [id, { ...EMPTY_LIST_STATS }]));
  if (ids.length === 0) return stats;
  const since = new Date((options.now ?? new Date()).getTime() - 7 * DAY_MS);
  const rows = await db.$queryRaw<{ journey_id: string; in_now: bigint; entered_7d: bigint; entered: bigint; converted: bigint }[]>`
    SELECT journey_id,
           count(*) FILTER (WHERE status = 'active') AS in_now,
           count(*) FILTER (WHERE entered_at >= ${since}::timestamptz) AS entered_7d,
           count(*) AS entered,
           count(converted_at) AS converted
      FROM journey_enrollments
     WHERE workspace_id = ${workspaceId} AND journey_id = ANY(${ids}::text[])
     GROUP BY journey_id`;
  for (const r of rows) {
    const entered = toNumber(r.entered);
    const converted = toNumber(r.converted);
    stats.set(r.journey_id, {
      inNow: toNumber(r.in_now),
      entered7d: toNumber(r.entered_7d),
      converted,
      conversionRate: entered > 0 ? converted / entered : null,
    });
  }
  return stats;
}

export interface JourneyNodeStats {
  /** The version these numbers are for; null = all versions summed. */
  version: number | null;
  /** Enrollments (the trigger's "entered"). */
  entered: number;
  /** Active now, at any node. */
  inNow: number;
  /** Ended by reaching an exit node. */
  completed: number;
  /** Ended otherwise: exit criteria, no path on, exited on archive, merged away… */
  exited: number;
  /** Reached the goal (status converted, or converted within the window after ending). */
  converted: number;
  /** Per node: people waiting there now, and how often each of its exits was taken (exit id → count). */
  nodes: Record<string, { waiting: number; exits: Record<string, number> }>;
}

async function assertJourney(db: DbTx, workspaceId: string, journeyId: string) {
  const found = await db.journey.findFirst({ where: { id: journeyId, workspaceId }, select: { id: true } });
  if (!found) throw new DomainError("NOT_FOUND", "This journey does not exist (it may have been deleted).");
}

/**
 * The canvas overlay's numbers for one journey. Without `version`, all versions are summed —
 * what the overlay of the live journey shows, since people who entered an older version
 * still wait at (mostly) the same node ids; with it, only that version's enrollments and exits.
 * One statement, so every number comes from the same snapshot.
 */
export async function journeyNodeStats(db: DbTx, input: { workspaceId: string; journeyId: string; version?: number }): Promise<JourneyNodeStats> {
  await assertJourney(db, input.workspaceId, input.journeyId);
  const version = input.version === undefined ? Prisma.empty : Prisma.sql`AND version = ${input.version}::int`;
  const rows = await db.$queryRaw<{ kind: "node" | "exit" | "status"; key: string | null; exit: string | null; n: bigint; converted: bigint | null }[]>`
    SELECT 'node' AS kind, node_id AS key, NULL::text AS exit, count(*) AS n, NULL::bigint AS converted
      FROM journey_enrollments
     WHERE journey_id = ${input.journeyId} AND status = 'active' AND node_id IS NOT NULL ${version}
     GROUP BY node_id
    UNION ALL
    SELECT 'exit', node_id, "exit", sum("count")::bigint, NULL
      FROM journey_exit_counts
     WHERE journey_id = ${input.journeyId} ${version}
     GROUP BY node_id, "exit"
    UNION ALL
    SELECT 'status', status, NULL, count(*), count(converted_at)
      FROM journey_enrollments
     WHERE journey_id = ${input.journeyId} ${version}
     GROUP BY status`;

  const byStatus = new Map<string, number>();
  let converted = 0;
  const waiting = new Map<string, number>();
  const exits = new Map<string, [string, number][]>();
  for (const r of rows) {
    if (r.kind === "status") {
      byStatus.set(r.key ?? "", toNumber(r.n));
      converted += toNumber(r.converted);
    } else if (r.kind === "node" && r.key !== null) {
      waiting.set(r.key, toNumber(r.n));
    } else if (r.kind === "exit" && r.key !== null && r.exit !== null) {
      const list = exits.get(r.key) ?? [];
      list.push([r.exit, toNumber(r.n)]);
      exits.set(r.key, list);
    }
  }
  // Node and exit ids are the author's ("__proto__" is a valid one): built with
  // Object.fromEntries, they become own properties, never the prototype.
  const nodeIds = [...new Set([...waiting.keys(), ...exits.keys()])].sort();
  const nodes = Object.fromEntries(
    nodeIds.map((id) => [id, { waiting: waiting.get(id) ?? 0, exits: Object.fromEntries(exits.get(id) ?? []) }]),
  );
  const count = (status: string) => byStatus.get(status) ?? 0;
  return {
    version: input.version ?? null,
    entered: [...byStatus.values()].reduce((a, b) => a + b, 0),
    inNow: count("active"),
    completed: count("completed"),
    exited: count("exited"),
    converted,
    nodes,
  };
}

export interface PersonAtNode {
  enrollmentId: string;
  profileId: string;
  userId: string | null;
  email: string | null;
  /** From traits, as people lists show it (lib/profiles/display.ts). */
  name: string | null;
  /** '' when the journey has no correlation key. */
  correlationKey: string;
  version: number;
  holdout: boolean;
  enteredAt: Date;
  /** Waiting at this node since (when the enrollment last moved). */
  since: Date;
  /** When the wait ends on its own (a timer, an event wait's timeout); null: no timer. */
  wakeAt: Date | null;
}

/**
 * The people waiting at one node now, newest arrival first, keyset-paginated on
 * (since, enrollment id): pass the `nextCursor` of one page to get the next.
 */
export async function peopleAtNode(
  db: DbTx,
  input: { workspaceId: string; journeyId: string; nodeId: string; cursor?: Keyset | null; limit: number },
): Promise<{ people: PersonAtNode[]; nextCursor: string | null }> {
  await assertJourney(db, input.workspaceId, input.journeyId);
  const limit = Math.min(Math.max(Math.trunc(input.limit), 1), 100);
  const after = input.cursor
    ? Prisma.sql`AND (e.updated_at, e.id) < (${input.cursor.at}::timestamptz, ${input.cursor.id})`
    : Prisma.empty;
  const rows = await db.$queryRaw<
    {
      id: string;
      profile_id: string;
      user_id: string | null;
      email: string | null;
      traits: unknown;
      correlation_key: string;
      version: number;
      holdout: boolean;
      entered_at: Date;
      updated_at: Date;
      wake_at: string | null;
    }[]
  >`
    SELECT e.id, e.profile_id, p.user_id, p.email, p.traits, e.correlation_key, e.version, e.holdout,
           e.entered_at, e.updated_at,
           CASE WHEN jsonb_typeof(e.state -> 'wakeAt') = 'string' THEN e.state ->> 'wakeAt' END AS wake_at
      FROM journey_enrollments e
      JOIN profiles p ON p.id = e.profile_id
     WHERE e.journey_id = ${input.journeyId} AND e.status = 'active' AND e.node_id = ${input.nodeId}
       AND e.workspace_id = ${input.workspaceId}
       ${after}
     ORDER BY e.updated_at DESC, e.id DESC
     LIMIT ${limit + 1}::int`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    people: page.map((r) => {
      const wake = r.wake_at === null ? null : new Date(r.wake_at);
      return {
        enrollmentId: r.id,
        profileId: r.profile_id,
        userId: r.user_id,
        email: r.email,
        name: personName(r.traits),
        correlationKey: r.correlation_key,
        version: r.version,
        holdout: r.holdout,
        enteredAt: r.entered_at,
        since: r.updated_at,
        wakeAt: wake && !Number.isNaN(wake.getTime()) ? wake : null,
      };
    }),
    nextCursor: rows.length > limit && last ? encodeKeyset(last.updated_at, last.id) : null,
  };
}

export interface ProfileJourney {
  enrollmentId: string;
  journeyId: string;
  journeyName: string;
  /** The journey's lifecycle phase, from the version they entered. */
  phase: string | null;
  version: number;
  status: "active" | "completed" | "exited" | "converted";
  nodeId: string | null;
  exitReason: string | null;
  enteredAt: Date;
  endedAt: Date | null;
  convertedAt: Date | null;
}

/** A person's journeys, current first then the latest ended (the profile's Journeys tab). At most `limit`. */
export async function profileJourneys(db: DbTx, input: { workspaceId: string; profileId: string; limit?: number }): Promise<ProfileJourney[]> {
  const rows = await db.journeyEnrollment.findMany({
    where: { workspaceId: input.workspaceId, profileId: input.profileId },
    orderBy: [{ endedAt: { sort: "desc", nulls: "first" } }, { enteredAt: "desc" }],
    take: Math.min(Math.max(input.limit ?? 50, 1), 200),
    include: { journey: { select: { name: true } }, journeyVersion: { select: { definition: true } } },
  });
  return rows.map((r) => {
    const phase = (r.journeyVersion.definition as { settings?: { phase?: unknown } } | null)?.settings?.phase;
    return {
      enrollmentId: r.id,
      journeyId: r.journeyId,
      journeyName: r.journey.name,
      phase: typeof phase === "string" ? phase : null,
      version: r.version,
      status: r.status as ProfileJourney["status"],
      nodeId: r.nodeId,
      exitReason: r.exitReason,
      enteredAt: r.enteredAt,
      endedAt: r.endedAt,
      convertedAt: r.convertedAt,
    };
  });
}
