import pg from "pg";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Prisma } from "@/server/generated/prisma/client";
import { REFERENCE_DEFINITIONS, REFERENCED } from "@/bench/segments/reference";
import { parseMessage } from "@/lib/ingest/schema";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { sql } from "@/server/db/client";
import { loadDemoData } from "@/server/demo/load";
import { ingestBatch } from "@/server/ingest/service";
import { useTestDatabase } from "@/server/test/database";
import { countQuery } from "./compile-sql";
import { dropSets } from "./exact-sets";
import { refreshSegment } from "./membership";
import { estimateCount } from "./preview";
import { CATCH_UP_WAIT_MS, dropSample } from "./sample";

vi.mock("@/server/jobs/worker", () => ({ queueSegmentRefresh: vi.fn(async () => {}) }));
// New profiles get random ids, and their buckets follow from them: seeded here, so every run sees the same people.
vi.mock("node:crypto", async (importOriginal) => {
  const crypto = await importOriginal<typeof import("node:crypto")>();
  let n = 0;
  const randomUUID = () => {
    const h = crypto.createHash("sha256").update(`estimate-age-${++n}`).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  return { ...crypto, default: { ...crypto, randomUUID }, randomUUID };
});

/** Bursts (each into a workspace of its own); BURST_TRIALS=100 for a closer look at the coverage. */
const TRIALS = Number(process.env.BURST_TRIALS ?? 20);

const newcomers: SegmentDefinition = {
  schemaVersion: 1,
  root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.cohort", valueType: "string", operator: { op: "equals", value: "burst" } }] },
};
const newGermanBuyers: SegmentDefinition = {
  schemaVersion: 1,
  root: {
    type: "group",
    op: "and",
    children: [
      { type: "trait", field: "traits.country", valueType: "string", operator: { op: "equals", value: "DE" } },
      { type: "event", event: "purchase", where: [], count: { op: "gte", value: 2 }, window: { kind: "last", amount: 7, unit: "days" } },
    ],
  },
};

/**
 * Estimates stay honest when the data moves under the sample: right after a burst of new
 * people the sample is caught up before it answers, and when it cannot be in time the
 * interval is widened by what it has not seen — the interval holds the exact count.
 */
describe("estimates after the data changed", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  const now = new Date();
  let burst = 0;

  async function arrive(workspace: string, people: number, traits: Record<string, unknown>) {
    const raws: Record<string, unknown>[] = [];
    for (let i = 0; i < people; i++) {
      const userId = `burst-${++burst}`;
      raws.push({ type: "identify", userId, traits, messageId: `${userId}-id` });
      for (let k = 0; k < 3; k++) raws.push({ type: "track", userId, event: "purchase", properties: { price: 199 }, messageId: `${userId}-p${k}` });
    }
    const items = raws.map((raw) => {
      const parsed = parseMessage(raw);
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: new Date() };
    });
    for (let i = 0; i < items.length; i += 400) await ingestBatch(t.db, { workspaceId: workspace, items: items.slice(i, i + 400) });
  }

  const exactOf = async (definition: SegmentDefinition, at: Date) => (await sql(t.db).raw<{ count: number }>(countQuery(definition, { workspaceId, now: at })))[0]!.count;
  const estimate = (definition: SegmentDefinition, at: Date) => estimateCount(t.db, { workspaceId, definition, now: at, exactBelow: 0, sampleProfiles: 600 });

  beforeAll(async () => {
    workspaceId = (await t.db.workspace.create({ data: { id: "ws_estimate_age", name: "Estimate age", slug: "estimate-age" } })).id;
    await loadDemoData(t.url, { workspaceId, profiles: 2_000, events: 30_000, seed: 11, now, days: 120 });
    for (const [id, { name, definition }] of Object.entries(REFERENCED)) {
      await t.db.segment.create({ data: { id, workspaceId, name, definition: definition as unknown as Prisma.InputJsonValue } });
      await refreshSegment(t.db, { workspaceId, segmentId: id, now });
    }
  }, 60_000);

  afterEach(() => dropSets(workspaceId));

  it("right after a burst of new people, the sample is caught up first: over bursts into workspaces of their own, the 95 % intervals hold the exact count", async () => {
    // The 95 % is over the sampling of buckets, so each trial is its own workspace (its own
    // people in its own buckets) with its own burst; ids are seeded, so the run is the same every time.
    const misses: string[] = [];
    let checks = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const id = `ws_burst_${trial}`;
      await t.db.workspace.create({ data: { id, name: id, slug: id.replaceAll("_", "-") } });
      await loadDemoData(t.url, { workspaceId: id, profiles: 1_000, events: 6_000, seed: 100 + trial, now, days: 60 });
      const before = await estimateCount(t.db, { workspaceId: id, definition: newcomers, now: new Date(), exactBelow: 0, sampleProfiles: 300 });
      expect(before).toMatchObject({ estimate: 0, behind: 0 });
      await arrive(id, 200, { cohort: "burst", country: "DE", plan: "pro" });
      const at = new Date();
      for (const { name, definition } of [{ name: "newcomers", definition: newcomers }, { name: "new German buyers", definition: newGermanBuyers }, REFERENCE_DEFINITIONS[0]!]) {
        const answer = await estimateCount(t.db, { workspaceId: id, definition, now: at, exactBelow: 0, sampleProfiles: 300 });
        const exact = (await sql(t.db).raw<{ count: number }>(countQuery(definition, { workspaceId: id, now: at })))[0]!.count;
        expect(answer.total).toBe(1_200);
        checks += 1;
        if (exact < answer.low || exact > answer.high) misses.push(`trial ${trial}, ${name}: exact ${exact}, interval ${answer.low}–${answer.high}, behind ${answer.behind}`);
      }
    }
    console.info(`bursts: ${TRIALS} trials, ${checks - misses.length}/${checks} intervals held the exact count`);
    // Without the catch-up the newcomers are missing from the sample: 0 [0, 2] for 200, every
    // time. Twenty trials cannot tell 95 % from 90 % (the three checks of a trial move
    // together): the bar is set where a sound interval passes and a blind sample never does.
    // BURST_TRIALS=100 measured 95.3 % (bench/README.md).
    expect(misses.length / checks, misses.join("\n")).toBeLessThanOrEqual(0.15);
  }, 600_000);

  it("when the catch-up cannot finish in time, the answer says how far behind it is and widens the interval to hold the truth", async () => {
    dropSample(workspaceId);
    await estimate(newcomers, new Date()); // the sample, up to date
    await arrive(workspaceId, 150, { cohort: "burst", country: "AT" });
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      // The catch-up reads profiles: it waits behind this lock, longer than an estimate waits for it.
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE");
      const started = Date.now();
      const answer = await estimate(newcomers, new Date());
      expect(Date.now() - started).toBeLessThan(CATCH_UP_WAIT_MS + 2_000);
      expect(answer.behind).toBeGreaterThanOrEqual(150);
      await blocker.query("ROLLBACK");
      const exact = await exactOf(newcomers, new Date());
      expect(answer.low).toBeLessThanOrEqual(exact);
      expect(answer.high).toBeGreaterThanOrEqual(exact);
      // Once the catch-up is through, the sample is up to date again.
      await vi.waitFor(async () => expect((await estimate(newcomers, new Date())).behind).toBe(0), { timeout: 10_000 });
    } finally {
      await blocker.query("ROLLBACK").catch(() => {});
      await blocker.end();
    }
  });
});
