import type { Db } from "@/server/db/client";
import { recoverSending, sendDue } from "./sender";
import { runSchedules } from "./schedules";
import { STEP_BATCH, stepDue } from "./steps";

/**
 * Keeps the journey runtime going in a worker process: the stepper (due enrollments) and
 * the sender (queued sends), each polling every `pollMs` and going on at once while there is
 * more; schedule triggers and the recovery of sends a stopped worker left `sending`, every
 * few seconds. Any number of processes may run it against one database: every piece takes
 * its rows with FOR UPDATE SKIP LOCKED. Errors (the database away) are logged and retried
 * with a growing pause.
 */

export interface JourneyRuntime {
  stop(): Promise<void>;
  /** Something was queued or became due in this process: look now. */
  nudge(): void;
}

export function startJourneyRuntime(db: Db, options: { pollMs?: number; housekeepingMs?: number; recoverAfterMs?: number } = {}): JourneyRuntime {
  const pollMs = options.pollMs ?? 200;
  let stopped = false;
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  const nudge = () => {
    for (const wake of [...sleepers]) wake();
  };

  const loop = async (name: string, work: () => Promise<boolean>, idleMs: number) => {
    let failures = 0;
    while (!stopped) {
      let more = false;
      try {
        more = await work();
        failures = 0;
      } catch (error) {
        failures++;
        console.error(`journey runtime (${name}):`, error instanceof Error ? error.message : error);
      }
      if (stopped) break;
      if (!more || failures > 0) await sleep(failures > 0 ? Math.min(30_000, idleMs * 2 ** Math.min(failures, 7)) : idleMs);
    }
  };

  const loops = [
    loop(
      "steps",
      async () => {
        const batch = await stepDue(db);
        if (batch.queued > 0) nudge();
        return batch.taken >= STEP_BATCH;
      },
      pollMs,
    ),
    loop("sends", async () => (await sendDue(db)) > 0, pollMs),
    loop(
      "housekeeping",
      async () => {
        await recoverSending(db, { olderThanMs: options.recoverAfterMs });
        await runSchedules(db);
        return false;
      },
      options.housekeepingMs ?? 5_000,
    ),
  ];

  return {
    nudge,
    async stop() {
      stopped = true;
      nudge();
      await Promise.all(loops);
    },
  };
}
