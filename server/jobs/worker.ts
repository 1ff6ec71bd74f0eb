import "server-only";
import { makeWorkerUtils, run, type Runner, type WorkerUtils } from "graphile-worker";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { CRONTAB, taskList } from "./tasks";

/**
 * The job runner lives in the app process (started from instrumentation.ts): one command
 * runs everything, and more app instances simply mean more workers on the same queue.
 */

const globalForJobs = globalThis as unknown as { junctionRunner?: Promise<Runner>; junctionWorkerUtils?: Promise<WorkerUtils> };

export function startWorker(): Promise<Runner> {
  globalForJobs.junctionRunner ??= run({
    connectionString: env().DATABASE_URL,
    concurrency: 2,
    noHandleSignals: false,
    pollInterval: 1_000,
    taskList: taskList(db()),
    crontab: CRONTAB,
  });
  return globalForJobs.junctionRunner;
}

function utils(): Promise<WorkerUtils> {
  globalForJobs.junctionWorkerUtils ??= makeWorkerUtils({ connectionString: env().DATABASE_URL });
  return globalForJobs.junctionWorkerUtils;
}

/** Recompute a saved segment's membership soon (once, however often it is asked for meanwhile). */
export async function queueSegmentRefresh(workspaceId: string, segmentId: string) {
  await (await utils()).addJob("segments:refresh", { workspaceId, segmentId }, { jobKey: `segment-refresh:${segmentId}` });
}
