import "server-only";
import { makeWorkerUtils, run, type Runner, type WorkerUtils } from "graphile-worker";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { onShutdown } from "@/server/shutdown";
import { CRONTAB, taskList } from "./tasks";

/**
 * The job runner lives in the app process (started from instrumentation.ts): one command
 * runs everything, and more app instances simply mean more workers on the same queue.
 */

const globalForJobs = globalThis as unknown as { junctionRunner?: Promise<Runner>; junctionWorkerUtils?: Promise<WorkerUtils> };

export function startWorker(): Promise<Runner> {
  if (!globalForJobs.junctionRunner) {
    const runner = run({
      connectionString: env().DATABASE_URL,
      concurrency: 2,
      // scripts/serve.ts stops the web server first, then us (server/shutdown.ts), then the database.
      noHandleSignals: true,
      pollInterval: 1_000,
      taskList: taskList(db()),
      crontab: CRONTAB,
    });
    globalForJobs.junctionRunner = runner;
    onShutdown("the job worker", async () => (await runner).stop());
  }
  return globalForJobs.junctionRunner;
}

function utils(): Promise<WorkerUtils> {
  if (!globalForJobs.junctionWorkerUtils) {
    const utilities = makeWorkerUtils({ connectionString: env().DATABASE_URL });
    globalForJobs.junctionWorkerUtils = utilities;
    onShutdown("the job queue", async () => (await utilities).release());
  }
  return globalForJobs.junctionWorkerUtils;
}

/** Recompute a saved segment's membership soon (once, however often it is asked for meanwhile). */
export async function queueSegmentRefresh(workspaceId: string, segmentId: string) {
  await (await utils()).addJob("segments:refresh", { workspaceId, segmentId }, { jobKey: `segment-refresh:${segmentId}` });
}
