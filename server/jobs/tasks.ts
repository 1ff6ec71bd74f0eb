import type { Task, TaskList } from "graphile-worker";
import { z } from "zod";
import { sql, type Db } from "@/server/db/client";
import { reconcileProfileCount } from "@/server/workspaces/data-version";
import { refreshSegment, refreshWorkspaceSegments } from "@/server/segments/membership";

/**
 * The job handlers (graphile-worker). Each takes the Prisma client explicitly, so tests can
 * run them against their own database.
 */

const ZRefresh = z.object({ workspaceId: z.string(), segmentId: z.string() });

export function taskList(db: Db): TaskList {
  const refreshOne: Task = async (payload) => {
    const { workspaceId, segmentId } = ZRefresh.parse(payload);
    const exists = await db.segment.count({ where: { id: segmentId, workspaceId, archivedAt: null } });
    if (exists) await refreshSegment(db, { workspaceId, segmentId, now: new Date() });
  };
  /**
   * Time moves people in and out of segments ("inactive for 7 days"): recompute all of
   * them. And check every workspace's profile count, saying what was repaired.
   */
  const refreshAll: Task = async () => {
    const workspaces = await db.workspace.findMany({ where: { segments: { some: { archivedAt: null } } }, select: { id: true } });
    for (const w of workspaces) await refreshWorkspaceSegments(db, { workspaceId: w.id });
    for (const { id } of await db.workspace.findMany({ select: { id: true } })) {
      const repaired = await reconcileProfileCount(sql(db), id);
      if (repaired !== 0) console.warn(`workspace ${id}: the profile count was off by ${repaired}; repaired`);
    }
  };
  return { "segments:refresh": refreshOne, "segments:refresh-all": refreshAll };
}

/** Every 10 minutes; a missed run is not caught up (the next one recomputes everything anyway). */
export const CRONTAB = "*/10 * * * * segments:refresh-all ?max=1";
