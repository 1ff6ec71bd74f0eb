import "server-only";
import { makeWorkerUtils, type WorkerUtils } from "graphile-worker";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { onShutdown } from "@/server/shutdown";
import { startBackground, type Background } from "./run";

/**
 * The job runner and the change feed's consumers live in the app process (started from
 * instrumentation.ts): one command runs everything, and more app instances simply mean
 * more workers on the same queue (a feed consumer works in one process at a time).
 */

const globalForJobs = globalThis as unknown as { junctionBackground?: Promise<Background>; junctionWorkerUtils?: Promise<WorkerUtils> };

export function startWorker(): Promise<Background> {
  if (!globalForJobs.junctionBackground) {
    const background = startBackground(db(), env().DATABASE_URL);
    globalForJobs.junctionBackground = background;
    // scripts/serve.ts stops the web server first, then us (server/shutdown.ts), then the database.
    onShutdown("the job worker and feed consumers", async () => (await background).stop());
  }
  return globalForJobs.junctionBackground;
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
