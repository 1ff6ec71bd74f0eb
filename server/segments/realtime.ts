import type { Db } from "@/server/db/client";
import { reevaluateProfiles } from "./membership";

/**
 * Keeps saved segments current as events arrive: ingestion hands over the ids of the people
 * it just stored events for; within FLUSH_MS they are re-decided in memory for every saved
 * segment of the workspace (membership.reevaluateProfiles). Best effort and in process —
 * the periodic full refresh repairs anything a crash lost.
 */

const FLUSH_MS = 200;
const HAS_SEGMENTS_TTL_MS = 5_000;

interface Pending {
  userIds: Set<string>;
  anonymousIds: Set<string>;
  timer: ReturnType<typeof setTimeout>;
}

const state = globalThis as unknown as {
  junctionRealtime?: { pending: Map<string, Pending>; hasSegments: Map<string, { until: number; value: boolean }> };
};
const realtime = (state.junctionRealtime ??= { pending: new Map(), hasSegments: new Map() });

async function workspaceHasSegments(db: Db, workspaceId: string): Promise<boolean> {
  const cached = realtime.hasSegments.get(workspaceId);
  if (cached && cached.until > Date.now()) return cached.value;
  const value = (await db.segment.count({ where: { workspaceId, archivedAt: null } })) > 0;
  realtime.hasSegments.set(workspaceId, { until: Date.now() + HAS_SEGMENTS_TTL_MS, value });
  return value;
}

/** A segment was saved or archived: stop trusting the cached "has segments". */
export function segmentsChanged(workspaceId: string) {
  realtime.hasSegments.delete(workspaceId);
}

async function flush(db: Db, workspaceId: string, pending: Pending) {
  realtime.pending.delete(workspaceId);
  const rows = await db.profileIdentity.findMany({
    where: {
      workspaceId,
      OR: [
        { kind: "user_id", value: { in: [...pending.userIds] } },
        { kind: "anonymous_id", value: { in: [...pending.anonymousIds] } },
      ],
    },
    select: { profileId: true },
  });
  await reevaluateProfiles(db, { workspaceId, profileIds: rows.map((r) => r.profileId), now: new Date() });
}

export async function queueReevaluation(db: Db, workspaceId: string, people: { userId?: string; anonymousId?: string }[]) {
  if (people.length === 0 || !(await workspaceHasSegments(db, workspaceId))) return;
  let pending = realtime.pending.get(workspaceId);
  if (!pending) {
    const created: Pending = {
      userIds: new Set(),
      anonymousIds: new Set(),
      timer: setTimeout(() => {
        flush(db, workspaceId, created).catch((error) => console.error("segment re-evaluation failed:", error));
      }, FLUSH_MS),
    };
    pending = created;
    realtime.pending.set(workspaceId, pending);
  }
  for (const p of people) {
    if (p.userId) pending.userIds.add(p.userId);
    else if (p.anonymousId) pending.anonymousIds.add(p.anonymousId);
  }
}
