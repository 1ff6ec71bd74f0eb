import { describe, expect, it } from "vitest";
import type { Db } from "@/server/db/client";
import { sendPipeline } from "./sender";

/** A call that finishes when the test says so. */
function deferred() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("the sender's pipeline of provider calls", () => {
  it("runs at most `concurrency` calls at once, across batches, and has room for the next batch once fewer than that wait", async () => {
    const pipeline = sendPipeline({} as Db, { concurrency: 4 });
    let running = 0;
    let most = 0;
    const calls = Array.from({ length: 10 }, () => deferred());
    for (const [i, c] of calls.entries()) {
      pipeline.run(`d-${i}`, async () => {
        running++;
        most = Math.max(most, running);
        await c.done;
        running--;
      });
    }
    await tick();
    expect(running).toBe(4);
    // 6 wait: no room yet.
    let room = false;
    void pipeline.room().then(() => (room = true));
    let idle = false;
    void pipeline.idle().then(() => (idle = true));
    calls[0]!.finish();
    calls[1]!.finish();
    await tick();
    expect(room).toBe(false); // 4 still wait
    calls[2]!.finish();
    await tick();
    expect(room).toBe(true); // 3 wait
    for (const c of calls) c.finish();
    for (let i = 0; i < 5; i++) await tick();
    expect(idle).toBe(true);
    expect(most).toBe(4);
  });

  it("a call that throws is logged and frees its place", async () => {
    const pipeline = sendPipeline({} as Db, { concurrency: 1 });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      let second = false;
      pipeline.run("d-1", async () => {
        throw new Error("database away");
      });
      pipeline.run("d-2", async () => {
        second = true;
      });
      await pipeline.idle();
      expect(second).toBe(true);
      expect(JSON.stringify(errors)).toContain("database away");
    } finally {
      console.error = original;
    }
  });

  it("a claimed send that waited longer than staleMs is queued again, not called", async () => {
    const requeued: string[] = [];
    const pipeline = sendPipeline({} as Db, { concurrency: 1, staleMs: 20, requeue: async (ids) => requeued.push(...ids) });
    const slow = deferred();
    const called: string[] = [];
    pipeline.run("d-slow", async () => {
      called.push("d-slow");
      await slow.done;
    });
    pipeline.run("d-late", async () => {
      called.push("d-late");
    });
    await new Promise((r) => setTimeout(r, 40));
    slow.finish();
    await pipeline.idle();
    expect(called).toEqual(["d-slow"]);
    expect(requeued).toEqual(["d-late"]);
  });

  it("closing hands back the calls not started, waits for those under way, and hands back any given later", async () => {
    const requeued: string[] = [];
    const pipeline = sendPipeline({} as Db, { concurrency: 2, requeue: async (ids) => requeued.push(...ids) });
    const calls = Array.from({ length: 5 }, () => deferred());
    const called: string[] = [];
    for (const [i, c] of calls.entries()) {
      pipeline.run(`d-${i}`, async () => {
        called.push(`d-${i}`);
        await c.done;
      });
    }
    await tick();
    let closed = false;
    const closing = pipeline.close().then(() => (closed = true));
    await tick();
    expect(requeued).toEqual(["d-2", "d-3", "d-4"]);
    expect(closed).toBe(false); // two under way
    // A batch decided while closing: handed back too.
    pipeline.run("d-9", async () => {
      called.push("d-9");
    });
    calls[0]!.finish();
    calls[1]!.finish();
    await closing;
    await pipeline.close();
    expect(called).toEqual(["d-0", "d-1"]);
    expect(requeued).toEqual(["d-2", "d-3", "d-4", "d-9"]);
  });
});
