import { run, type Runner } from "graphile-worker";
import type { Db } from "@/server/db/client";
import { startFeedConsumers, type FeedRunner } from "@/server/feed/consumer";
import { startJourneyRuntime, type JourneyRuntime } from "@/server/journeys/runtime/runner";
import { journeysConsumer } from "@/server/journeys/runtime/triggers";
import { segmentsConsumer } from "@/server/segments/consumer";
import { CRONTAB, taskList } from "./tasks";

export interface Background {
  runner: Runner;
  feed: FeedRunner;
  journeys: JourneyRuntime;
  stop(): Promise<void>;
}

/** graphile-worker's settings (bench/journeys/runtime.ts measures an empty-job runner with the same ones). */
export const JOB_RUNNER = { concurrency: 2, pollInterval: 1_000 } as const;

/**
 * Everything that runs in the background: the job queue (graphile-worker), the change
 * feed's consumers (segments, journeys' triggers and waits) and the journey runtime (due
 * steps, sends: server/journeys/runtime). In the app process (server/jobs/worker.ts) or alone (`npm run worker`,
 * scripts/worker.ts) — any number of them against one database: jobs are taken once, and a
 * feed consumer works in one process at a time.
 */
export async function startBackground(db: Db, connectionString: string): Promise<Background> {
  const runner = await run({
    connectionString,
    ...JOB_RUNNER,
    // The caller decides when to stop (scripts/serve.ts stops the web server first).
    noHandleSignals: true,
    taskList: taskList(db),
    crontab: CRONTAB,
  });
  const feed = startFeedConsumers(db, connectionString, [segmentsConsumer(db), journeysConsumer(db)]);
  const journeys = startJourneyRuntime(db, { connectionString });
  return {
    runner,
    feed,
    journeys,
    async stop() {
      await journeys.stop();
      await feed.stop();
      await runner.stop();
    },
  };
}
