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
    const pipeline = sendPipeline({} as Db, 4);
    let running = 0;
    let most = 0;
    const calls = Array.from({ length: 10 }, () => deferred());
    for (const c of calls) {
      pipeline.run(async () => {
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
    const pipeline = sendPipeline({} as Db, 1);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      let second = false;
      pipeline.run(async () => {
        throw new Error("database away");
      });
      pipeline.run(async () => {
        second = true;
      });
      await pipeline.idle();
      expect(second).toBe(true);
      expect(JSON.stringify(errors)).toContain("database away");
    } finally {
      console.error = original;
    }
  });
});
