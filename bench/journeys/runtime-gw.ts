/**
 * Helper of bench/journeys/runtime.ts: graphile-worker's own rate on empty jobs, the baseline
 * the journey stepper is compared with. A runner with the worker's own settings
 * (server/jobs/run.ts JOB_RUNNER: concurrency, poll interval) and one task that does nothing;
 * the jobs are added by the bench before this starts. Prints one JSON line when the runner is
 * up and one when the first job started, then runs until SIGTERM.
 *
 *   DATABASE_URL=… node --import tsx bench/journeys/runtime-gw.ts
 */
import "../feed/server-only";
import { run } from "graphile-worker";

const { JOB_RUNNER } = await import("../../server/jobs/run");
const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL is not set");

let first = 0;
let done = 0;
const runner = await run({
  connectionString: url,
  ...JOB_RUNNER,
  noHandleSignals: true,
  taskList: {
    bench_noop: async () => {
      if (first === 0) {
        first = Date.now();
        console.log(JSON.stringify({ firstJobAt: first }));
      }
      done++;
    },
  },
});
console.log(JSON.stringify({ ready: Date.now(), concurrency: JOB_RUNNER.concurrency }));
process.on("SIGTERM", async () => {
  await runner.stop();
  console.log(JSON.stringify({ done }));
  process.exit(0);
});
