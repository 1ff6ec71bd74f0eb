import pg from "pg";
import type { Db } from "@/server/db/client";
import { DUE_CHANNEL } from "./enroll";
import { recoverSending, sendDue, sendPipeline } from "./sender";
import { runSchedules } from "./schedules";
import { STEP_BATCH, stepDue } from "./steps";

/**
 * Keeps the journey runtime going in a worker process: the stepper (due enrollments) and
 * the sender (queued sends; its provider calls go on while it decides the next batch), each
 * polling every `pollMs` and going on at once while there is more; schedule triggers and the recovery of sends a stopped worker left `sending`, every
 * few seconds. Any number of processes may run it against one database: every piece takes
 * its rows with FOR UPDATE SKIP LOCKED. Errors (the database away) are logged and retried
 * with a growing pause.
 */

/** Stepper loops per worker process (measured in bench/README.md "Journey runtime"). */
const STEPPERS = 2;

export interface JourneyRuntime {
  stop(): Promise<void>;
  /** Something was queued or became due in this process: look now. */
  nudge(): void;
}

export function startJourneyRuntime(
  db: Db,
  options: {
    pollMs?: number;
    housekeepingMs?: number;
    recoverAfterMs?: number;
    /** LISTEN for enrollments due now (another process enrolled or woke them) */
    connectionString?: string;
    /** Stepper loops in this process: one reads and decides a batch while another's writes are under way (they share due work with SKIP LOCKED, like workers). */
    steppers?: number;
  } = {},
): JourneyRuntime {
  const pollMs = options.pollMs ?? 200;
  const steppers = Math.max(1, options.steppers ?? STEPPERS);
  let stopped = false;
  /** Per loop: woken early by a nudge; a nudge while it works makes it look again at once. */
  interface Waker {
    nudged: boolean;
    wake: (() => void) | null;
  }
  const wakers: Record<"sends" | "housekeeping", Waker> & { steps: Waker[] } = {
    steps: Array.from({ length: steppers }, () => ({ nudged: false, wake: null })),
    sends: { nudged: false, wake: null },
    housekeeping: { nudged: false, wake: null },
  };
  /** Every pause in progress (stop ends them all). */
  const pauses = new Set<() => void>();
  const sleep = (waker: Waker | null, ms: number) =>
    new Promise<void>((resolve) => {
      if (waker?.nudged || stopped) {
        if (waker) waker.nudged = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        pauses.delete(done);
        if (waker) {
          waker.wake = null;
          waker.nudged = false;
        }
        resolve();
      }
      pauses.add(done);
      if (waker) waker.wake = done;
    });
  const wake = (waker: Waker) => {
    waker.nudged = true;
    waker.wake?.();
  };
  /** Due steps or sends: the stepper and the sender look now. */
  const nudge = () => {
    for (const w of wakers.steps) wake(w);
    wake(wakers.sends);
  };

  const loop = async (name: string, waker: Waker, work: () => Promise<boolean>, idleMs: number) => {
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
      // After a failure the pause grows, whatever nudges come meanwhile.
      if (failures > 0) await sleep(null, Math.min(30_000, idleMs * 2 ** Math.min(failures, 7)));
      else if (!more) await sleep(waker, idleMs);
    }
  };

  const pipeline = sendPipeline(db);
  const loops = [
    ...wakers.steps.map((waker) =>
      loop(
        "steps",
        waker,
        async () => {
          const batch = await stepDue(db);
          if (batch.queued > 0) wake(wakers.sends);
          return batch.taken >= STEP_BATCH;
        },
        pollMs,
      ),
    ),
    loop(
      "sends",
      wakers.sends,
      async () => {
        // The next batch is decided while the calls of the last are under way, once few of them still wait.
        await pipeline.room();
        if (stopped) return false;
        return (await sendDue(db, { pipeline })) > 0;
      },
      pollMs,
    ),
    loop(
      "housekeeping",
      wakers.housekeeping,
      async () => {
        await recoverSending(db, { olderThanMs: options.recoverAfterMs });
        await runSchedules(db);
        return false;
      },
      options.housekeepingMs ?? 5_000,
    ),
  ];

  // Enrollments due now (an enrollment, an event a wait was for) are announced at their commit: look at once.
  let listener: pg.Client | null = null;
  const listen = async (connectionString: string) => {
    while (!stopped) {
      const client = new pg.Client({ connectionString, keepAlive: true });
      const ended = new Promise<void>((resolve) => {
        client.on("error", () => resolve());
        client.on("end", () => resolve());
      });
      try {
        await client.connect();
        client.on("notification", nudge);
        await client.query(`LISTEN ${DUE_CHANNEL}`);
        listener = client;
        nudge();
        if (!stopped) await ended;
      } catch {
        // The database is away: the poll keeps the runtime going; listen again shortly.
      }
      listener = null;
      await client.end().catch(() => {});
      if (!stopped) await sleep(null, 1_000);
    }
  };
  const listening = options.connectionString ? listen(options.connectionString) : Promise.resolve();

  return {
    nudge,
    async stop() {
      stopped = true;
      for (const done of [...pauses]) done();
      await listener?.end().catch(() => {});
      // Provider calls not started go back to the queue (a sender waiting for room goes on, and stops); those under way finish and record their answers.
      const closing = pipeline.close();
      await Promise.all([...loops, listening, closing]);
      await pipeline.close();
    },
  };
}
