import type { Task, TaskList } from "graphile-worker";
import { z } from "zod";
import { sql, type Db } from "@/server/db/client";
import { reconcileProfileCount } from "@/server/workspaces/data-version";
import { checkWorkspaceSegments, refreshSegment, scheduleWorkspaceRechecks, segmentAndDependents } from "@/server/segments/membership";
import { pruneFeed } from "@/server/feed/feed";

/**
 * The job handlers (graphile-worker). Each takes the Prisma client explicitly, so tests can
 * run them against their own database. (The change feed's consumers run beside the worker,
 * server/jobs/worker.ts.)
 */

const ZRefresh = z.object({ workspaceId: z.string(), segmentId: z.string() });
const ZWorkspace = z.object({ workspaceId: z.string() });

export function taskList(db: Db): TaskList {
  /**
   * A segment was saved: recompute it and every segment that refers to it (cause
   * "definition"), then schedule everyone's time-based re-checks against the new definitions.
   */
  const refreshOne: Task = async (payload, helpers) => {
    const { workspaceId, segmentId } = ZRefresh.parse(payload);
    const exists = await db.segment.count({ where: { id: segmentId, workspaceId, archivedAt: null } });
    if (!exists) return;
    for (const segment of await segmentAndDependents(db, workspaceId, segmentId)) {
      await refreshSegment(db, { workspaceId, segmentId: segment.id, now: new Date(), cause: "definition" });
    }
    await helpers.addJob("segments:schedule-rechecks", { workspaceId }, { jobKey: `segment-rechecks:${workspaceId}` });
  };
  const scheduleRechecks: Task = async (payload) => {
    const { workspaceId } = ZWorkspace.parse(payload);
    await scheduleWorkspaceRechecks(db, { workspaceId, now: new Date() });
  };
  /**
   * The safety net: every saved segment recomputed with SQL and compared with the stored
   * membership; a difference is re-decided by the feed's consumer (cause "repair") and
   * reported here. And every workspace's profile count checked; consumed feed rows deleted.
   */
  const checkAll: Task = async () => {
    const workspaces = await db.workspace.findMany({ where: { segments: { some: { archivedAt: null } } }, select: { id: true } });
    for (const w of workspaces) {
      try {
        const found = await checkWorkspaceSegments(db, { workspaceId: w.id, now: new Date() });
        for (const [segmentId, d] of Object.entries(found)) {
          console.warn(`workspace ${w.id}, segment ${segmentId}: ${d.enter} should be in and ${d.exit} should be out; re-checking them (cause "repair")`);
        }
      } catch (error) {
        // One workspace's failure must not stop the others, nor the feed's clean-up below.
        console.error(`workspace ${w.id}: the periodic segment check failed:`, error instanceof Error ? error.message : error);
      }
    }
    for (const { id } of await db.workspace.findMany({ select: { id: true } })) {
      const repaired = await reconcileProfileCount(sql(db), id);
      if (repaired !== 0) console.warn(`workspace ${id}: the profile count was off by ${repaired}; repaired`);
    }
    await pruneFeed(db);
  };
  return {
    "segments:refresh": refreshOne,
    "segments:schedule-rechecks": scheduleRechecks,
    "segments:refresh-all": checkAll,
  };
}

/** Every 10 minutes; a missed run is not caught up (the next one checks everything anyway). */
export const CRONTAB = "*/10 * * * * segments:refresh-all ?max=1";
