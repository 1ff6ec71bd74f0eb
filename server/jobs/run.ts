import { run, type Runner } from "graphile-worker";
import type { Db } from "@/server/db/client";
import { startFeedConsumers, type FeedRunner } from "@/server/feed/consumer";
import { segmentsConsumer } from "@/server/segments/consumer";
import { CRONTAB, taskList } from "./tasks";

export interface Background {
  runner: Runner;
  feed: FeedRunner;
  stop(): Promise<void>;
}

/**
 * Everything that runs in the background: the job queue (graphile-worker) and the change
 * feed's consumers. In the app process (server/jobs/worker.ts) or alone (`npm run worker`,
 * scripts/worker.ts) — any number of them against one database: jobs are taken once, and a
 * feed consumer works in one process at a time.
 */
export async function startBackground(db: Db, connectionString: string): Promise<Background> {
  const runner = await run({
    connectionString,
    concurrency: 2,
    // The caller decides when to stop (scripts/serve.ts stops the web server first).
    noHandleSignals: true,
    pollInterval: 1_000,
    taskList: taskList(db),
    crontab: CRONTAB,
  });
  const feed = startFeedConsumers(db, connectionString, [segmentsConsumer(db)]);
  return {
    runner,
    feed,
    async stop() {
      await feed.stop();
      await runner.stop();
    },
  };
}
