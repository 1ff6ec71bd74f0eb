import type { Task, TaskList } from "graphile-worker";
import { z } from "zod";
import type { Db } from "../db/client";
import { refreshSegment, refreshWorkspaceSegments } from "../segments/membership";

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
  /** Time moves people in and out of segments ("inactive for 7 days"): recompute all of them. */
  const refreshAll: Task = async () => {
    const workspaces = await db.workspace.findMany({ where: { segments: { some: { archivedAt: null } } }, select: { id: true } });
    for (const w of workspaces) await refreshWorkspaceSegments(db, { workspaceId: w.id, now: new Date() });
  };
  return { "segments:refresh": refreshOne, "segments:refresh-all": refreshAll };
}

/** Every 10 minutes; a missed run is not caught up (the next one recomputes everything anyway). */
export const CRONTAB = "*/10 * * * * segments:refresh-all ?max=1";
