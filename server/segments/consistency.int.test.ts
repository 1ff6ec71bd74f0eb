import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import type { SegmentDefinition, SegmentNode } from "@/lib/segments/schema";
import { sql } from "@/server/db/client";
import { ingestBatch } from "@/server/ingest/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { countQuery } from "./compile-sql";
import { dropSets } from "./exact-sets";
import { exactCount } from "./preview";
import { dropSample } from "./sample";

vi.mock("@/server/jobs/worker", () => ({ queueSegmentRefresh: vi.fn(async () => {}) }));

const trait = (field: string, value: string): SegmentNode => ({ type: "trait", field, valueType: "string", operator: { op: "equals", value } });
const has = (field: string): SegmentNode => ({ type: "trait", field, valueType: "any", operator: { op: "exists" } });
const def = (children: SegmentNode[], not = false): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", ...(not ? { not: true } : {}), children } });

/**
 * Exact counts of big workspaces (per-condition sets, held for reuse across edits) describe
 * one moment: people who arrive between two counts are in every set the second count
 * combines, or in none. Each case below is a wrong answer the held sets once gave.
 */
describe("exact counts describe one moment", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  let counter = 0;

  async function arrive(people: { userId: string; traits: Record<string, unknown> }[]) {
    const items = people.map((p) => {
      const parsed = parseMessage({ type: "identify", userId: p.userId, traits: p.traits, messageId: `c-${++counter}` });
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: new Date() };
    });
    await ingestBatch(t.db, { workspaceId, items });
  }

  /** The big-workspace way (sample, then sets), and the truth: one SQL count of the whole definition, now. */
  async function count(definition: SegmentDefinition) {
    const now = new Date();
    const exact = await exactCount(t.db, { workspaceId, definition, now, exactBelow: 0 });
    const [truth] = await sql(t.db).raw<{ count: number }>(countQuery(definition, { workspaceId, now }));
    return { exact: exact.exact, truth: truth!.count };
  }

  beforeAll(async () => {
    ({ workspace: { id: workspaceId } } = await createWorkspaceWith(t.db));
    await arrive(Array.from({ length: 200 }, (_, i) => ({ userId: `old-${i}`, traits: { country: i % 5 === 0 ? "DE" : "FR", plan: "free" } })));
  });

  afterEach(() => {
    dropSample(workspaceId);
    dropSets(workspaceId);
  });

  it("new people arrive between two counts that share a condition: both counts see them", async () => {
    expect(await count(def([trait("traits.country", "DE")]))).toEqual({ exact: 40, truth: 40 }); // the DE set is now held
    await arrive([{ userId: "new-de", traits: { country: "DE", tag: "T1" } }]);
    expect(await count(def([trait("traits.tag", "T1")]))).toEqual({ exact: 1, truth: 1 });
    // Reuses the held DE set: it must know that it was counted before the new person came.
    expect(await count(def([trait("traits.tag", "T1"), trait("traits.country", "DE")]))).toEqual({ exact: 1, truth: 1 });
  });

  it("a condition held as who does NOT match does not count newcomers who do not match", async () => {
    // Everyone so far has a plan: that set is held as its complement (nobody).
    const all = await count(def([has("traits.plan")]));
    expect(all.exact).toBe(all.truth);
    await arrive(Array.from({ length: 30 }, (_, i) => ({ userId: `no-plan-${i}`, traits: { tag: "T2" } })));
    expect(await count(def([has("traits.plan"), trait("traits.tag", "T2")]))).toEqual({ exact: 0, truth: 0 });
  });

  it("a NOT over a condition does not count a newcomer who matches the condition", async () => {
    const german = await count(def([trait("traits.country", "DE")])); // the DE set is now held
    expect(german.exact).toBe(german.truth);
    await arrive([{ userId: "new-de-2", traits: { country: "DE" } }]);
    const notGerman = await count(def([trait("traits.country", "DE")], true));
    expect(notGerman.exact).toBe(notGerman.truth);
  });
});
