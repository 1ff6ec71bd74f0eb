import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Prisma } from "@/server/generated/prisma/client";
import { REFERENCE_DEFINITIONS, REFERENCED } from "@/bench/segments/reference";
import { BUCKETS, sampleBuckets } from "@/lib/profiles/bucket";
import { compileEventCounter } from "@/lib/segments/evaluate";
import { emptyDefinition, type EventCondition, type SegmentDefinition } from "@/lib/segments/schema";
import { sql } from "@/server/db/client";
import { loadDemoData } from "@/server/demo/load";
import { useTestDatabase } from "@/server/test/database";
import pg from "pg";
import { conditionCountsQuery, countQuery, eventHistogramQuery, matchingQuery } from "./compile-sql";
import { CANCEL_GRACE_MS, countFromSets, dropSets, SET_TTL_MS } from "./exact-sets";
import { refreshSegment } from "./membership";
import { estimateCount, eventHistogram, exactCount, PreviewCancelled, segmentMembers } from "./preview";
import { countSample, dropSample, loadSample, sampleOf } from "./sample";

vi.mock("@/server/jobs/worker", () => ({ queueSegmentRefresh: vi.fn(async () => {}) }));

const now = new Date("2026-11-25T00:00:00.000Z");

describe("the estimate's in-memory sample", () => {
  const t = useTestDatabase();
  let workspaceId: string;

  beforeAll(async () => {
    // A fixed id: the generator derives its people from it, so every run sees the same data.
    workspaceId = (await t.db.workspace.create({ data: { id: "ws_sample_test", name: "Sample", slug: "sample" } })).id;
    await loadDemoData(t.url, { workspaceId, profiles: 2_000, events: 40_000, seed: 1, now, days: 120 });
    // The reference definitions 11 and 12 refer to these saved segments by id.
    for (const [id, { name, definition }] of Object.entries(REFERENCED)) {
      await t.db.segment.create({ data: { id, workspaceId, name, definition: definition as unknown as Prisma.InputJsonValue } });
      await refreshSegment(t.db, { workspaceId, segmentId: id, now });
    }
  }, 60_000);

  afterEach(() => {
    dropSample(workspaceId);
    dropSets();
  });

  it("counts exactly the people the SQL counts among the sampled buckets, per definition and per condition", async () => {
    const buckets = sampleBuckets(2_500);
    const inSample = new Set(buckets);
    const sample = await loadSample(t.db, workspaceId, buckets);
    const bucketOf = new Map((await sql(t.db).query<{ id: string; bucket: number }>`SELECT id, bucket FROM profiles WHERE workspace_id = ${workspaceId}`).map((r) => [r.id, r.bucket]));
    expect(sample.people.length).toBe([...bucketOf.values()].filter((b) => inSample.has(b)).length);
    expect(sample.people.length).toBeGreaterThan(300);

    let splitting = 0;
    for (const { name, definition } of REFERENCE_DEFINITIONS) {
      const counted = countSample(sample, definition, now, Number.POSITIVE_INFINITY);
      expect(counted.sample, name).toBe(sample.people.length);
      const matching = await sql(t.db).raw<{ id: string }>(matchingQuery(definition, { workspaceId, now }));
      expect(counted.matched, name).toBe(matching.filter((r) => inSample.has(bucketOf.get(r.id)!)).length);
      if (counted.matched > 0 && counted.matched < counted.sample) splitting++;
      // Each top-level condition alone, as the SQL counts it, restricted to the sample.
      for (const [i, child] of definition.root.children.entries()) {
        const alone = { ...definition, root: { type: "group" as const, op: "and" as const, children: [child] } };
        const rows = await sql(t.db).raw<{ id: string }>(matchingQuery(alone, { workspaceId, now }));
        expect(counted.conditions[i], `${name}, condition ${i}`).toBe(rows.filter((r) => inSample.has(bucketOf.get(r.id)!)).length);
      }
    }
    // The data gives most reference definitions some members and some non-members.
    expect(splitting).toBeGreaterThanOrEqual(8);
  });

  it("keeps people bucket by bucket in sample order and stops at whole buckets once enough match", async () => {
    const buckets = sampleBuckets(3_000);
    const sample = await loadSample(t.db, workspaceId, buckets);
    const rank = new Map(buckets.map((b, i) => [b, i]));
    const ranks = sample.people.map((p) => rank.get(p.profile.bucket)!);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(sample.bucketEnds).toHaveLength(buckets.length);
    expect(sample.bucketEnds.at(-1)).toBe(sample.people.length);

    const counted = countSample(sample, emptyDefinition(), now, 50);
    expect(counted.matched).toBeGreaterThanOrEqual(50);
    expect(sample.bucketEnds).toContain(counted.sample);
    expect(counted.sample).toBeLessThan(sample.people.length);
  });

  it("estimates big workspaces from the sample, with intervals that hold the exact count", async () => {
    const misses: string[] = [];
    for (const { name, definition } of REFERENCE_DEFINITIONS) {
      const estimate = await estimateCount(t.db, { workspaceId, definition, now, exactBelow: 0, sampleProfiles: 600 });
      const { exact } = await exactCount(t.db, { workspaceId, definition, now });
      expect(estimate.total, name).toBe(2_000);
      expect(estimate.exact, name).toBeUndefined();
      expect(estimate.sampled, name).toBeGreaterThan(0.2);
      expect(estimate.sampled, name).toBeLessThan(0.5);
      expect(estimate.low, name).toBeLessThanOrEqual(estimate.estimate);
      expect(estimate.high, name).toBeGreaterThanOrEqual(estimate.estimate);
      expect(estimate.conditions, name).toHaveLength(definition.root.children.length);
      if (exact < estimate.low || exact > estimate.high) misses.push(`${name}: exact ${exact}, interval ${estimate.low}–${estimate.high}`);
    }
    // 95 % intervals over twelve definitions: a calibrated estimator misses at most two of
    // them 98 % of the time (binomial, p = 0.05), three or more would mean a bias. The data
    // is fixed, so this is the same on every run. All twelve share one sample, so their misses
    // come together: a sample that happens to hold a few too many of a small persona misses
    // every definition about it. Seed 7 did (two misses, then three once the demo also spoke
    // the journey templates' events: 99 vs 104–172, 61 vs 22–60, 61 vs 63–119); seeds 1–6
    // and 8–13 miss 0–2 of the first ten definitions each (0–1 before). Seed 1 misses none.
    expect(misses.length, misses.join("\n")).toBeLessThanOrEqual(2);
  });

  it("counts small workspaces exactly in SQL, per condition too", async () => {
    const definition = REFERENCE_DEFINITIONS[7]!.definition;
    const estimate = await estimateCount(t.db, { workspaceId, definition, now });
    const [row] = await sql(t.db).raw<{ matched: number; c0: number }>(conditionCountsQuery(definition, { workspaceId, now }));
    expect(estimate).toMatchObject({ estimate: row!.matched, exact: row!.matched, low: row!.matched, high: row!.matched, sampled: 1 });
    expect(estimate.conditions[0]).toEqual({ estimate: row!.c0, exact: row!.c0 });
  });

  it("answers the first estimates while the sample is still loading, from the part already in", async () => {
    const options = { total: 2_000, profiles: 1_500, chunkProfiles: 200 };
    const first = await sampleOf(t.db, workspaceId, options);
    expect(first.buckets).toBe(7_500);
    expect(first.bucketEnds.length).toBeGreaterThanOrEqual(1_000);
    expect(first.bucketEnds.length).toBeLessThan(7_500);
    const early = countSample(first, emptyDefinition(), now, Number.POSITIVE_INFINITY);
    expect(early.sample).toBe(first.bucketEnds.at(-1));
    expect(early.sample).toBeLessThan(1_500 * 0.9);

    // The same sample grows until complete; the next callers get it, not a second load.
    expect(await sampleOf(t.db, workspaceId, options)).toBe(first);
    await vi.waitFor(() => expect(first.bucketEnds.length).toBe(7_500), { timeout: 10_000 });
    expect(first.people.length).toBeGreaterThan(1_300);
    expect(await sampleOf(t.db, workspaceId, options)).toBe(first);
  });

  it("the threshold histogram: SQL and the in-memory counter agree on every bar, and big workspaces scale the sample", async () => {
    const everyone = await loadSample(t.db, workspaceId, sampleBuckets(BUCKETS));
    expect(everyone.people.length).toBe(2_000);
    const conditions = REFERENCE_DEFINITIONS.flatMap((d) => d.definition.root.children).filter((c): c is EventCondition => c.type === "event");
    expect(conditions.length).toBeGreaterThanOrEqual(8);
    for (const condition of conditions) {
      const rows = await sql(t.db).raw<{ k: number; profiles: number }>(eventHistogramQuery(condition, { workspaceId, now, max: 10 }));
      const fromSql = Array.from({ length: 11 }, (_, k) => rows.find((r) => r.k === k)?.profiles ?? 0);
      const count = compileEventCounter(condition, now, 10);
      const inMemory = Array.from({ length: 11 }, () => 0);
      for (const person of everyone.people) inMemory[count(person)]!++;
      expect(inMemory, condition.event).toEqual(fromSql);
    }
    const condition = conditions[0]!;
    const definition = { schemaVersion: 1 as const, root: { type: "group" as const, op: "and" as const, children: [condition] } };
    const exact = await eventHistogram(t.db, { workspaceId, definition, now, max: 10 });
    expect(exact).toMatchObject({ estimated: false, total: 2_000 });
    const estimated = await eventHistogram(t.db, { workspaceId, definition, now, max: 10, exactBelow: 0, sampleProfiles: 600 });
    expect(estimated.estimated).toBe(true);
    expect(Math.abs(estimated.profiles.reduce((a, b) => a + b, 0) - 2_000)).toBeLessThanOrEqual(11);
    // Asked for exactly, a big workspace is counted in SQL: the same bins as the small-workspace path.
    const exactBig = await eventHistogram(t.db, { workspaceId, definition, now, max: 10, exact: true, exactBelow: 0, sampleProfiles: 600 });
    expect(exactBig).toMatchObject({ estimated: false, total: 2_000, profiles: exact.profiles });
    expect(() => eventHistogramQuery(condition, { workspaceId, now, max: 0 })).toThrow(/max/);
  });

  it("sample members come from the in-memory sample in big workspaces, and from SQL when the sample has too few", async () => {
    const common = REFERENCE_DEFINITIONS[0]!.definition;
    const members = new Set((await sql(t.db).raw<{ id: string }>(matchingQuery(common, { workspaceId, now }))).map((r) => r.id));
    const page = await segmentMembers(t.db, { workspaceId, definition: common, now, limit: 5, exactBelow: 0 });
    expect(page.source).toBe("sample");
    expect(page.items).toHaveLength(5);
    for (const item of page.items) expect(members.has(item.id)).toBe(true);
    // Listed people carry their name from traits (the demo's identified people all have one).
    expect(page.items.filter((i) => i.userId !== null).every((i) => typeof i.name === "string" && i.name.includes(" "))).toBe(true);
    const nobody = { schemaVersion: 1 as const, root: { type: "group" as const, op: "and" as const, children: [{ type: "bucket" as const, from: 5, to: 5 }] } };
    const rare = await segmentMembers(t.db, { workspaceId, definition: nobody, now, limit: 5, exactBelow: 0 });
    expect(rare.source).toBe("all");
  });

  it("exact counts from sets, combined in memory, equal the SQL count, per condition too, whatever the root and whichever way round each set is held", async () => {
    const countOf = async (definition: SegmentDefinition) => (await sql(t.db).raw<{ count: number }>(countQuery(definition, { workspaceId, now })))[0]!.count;
    for (const { name, definition } of REFERENCE_DEFINITIONS) {
      const alone = await Promise.all(definition.root.children.map((child) => countOf({ ...definition, root: { type: "group", op: "and", children: [child] } })));
      for (const root of [definition.root, { ...definition.root, not: true }, { ...definition.root, op: "or" as const }]) {
        const variant = { ...definition, root };
        const expected = await countOf(variant);
        // Each set held as its members, as everyone else, and alternately.
        for (const held of [() => false, () => true, (i: number) => i % 2 === 0]) {
          dropSets();
          const mostlyMatch = definition.root.children.map((_, i) => held(i));
          const counted = await countFromSets(t.db, { workspaceId, definition: variant, now, mostlyMatch, timeoutMs: 30_000, workMem: "16MB" });
          const label = `${name} (${root.op}${root.not ? ", not" : ""}; held ${mostlyMatch.join(",")})`;
          expect(counted.exact, label).toBe(expected);
          expect(counted.conditions, label).toEqual(alone);
          expect(counted.reused).toBe(0);
        }
      }
    }
  });

  it("after an edit, an exact count of a big workspace queries only the changed condition and reuses the others' sets", async () => {
    dropSets();
    const definition = REFERENCE_DEFINITIONS[7]!.definition;
    const options = { workspaceId, now, exactBelow: 0, sampleProfiles: 600 };
    const countOf = async (d: SegmentDefinition) => (await sql(t.db).raw<{ count: number }>(countQuery(d, { workspaceId, now })))[0]!.count;
    const first = await exactCount(t.db, { ...options, definition });
    expect(first).toMatchObject({ exact: await countOf(definition), reused: 0 });
    expect(first.conditions).toHaveLength(definition.root.children.length);
    const edited = { ...definition, root: { ...definition.root, children: [...definition.root.children, { type: "bucket" as const, from: 0, to: 4_999 }] } };
    const next = await exactCount(t.db, { ...options, definition: edited, now: new Date(now.getTime() + 5_000) });
    expect(next.reused).toBe(definition.root.children.length);
    // One moment: the new condition is counted at the clock reading of the sets it joins.
    expect(next.asOf).toEqual(now);
    expect(next.exact).toBe(await countOf(edited));
    // A `now` more than a minute away moves relative windows: nothing is reused.
    const later = await exactCount(t.db, { ...options, definition, now: new Date(now.getTime() + SET_TTL_MS + 1) });
    expect(later.reused).toBe(0);
  });

  it("a set being counted is shared, and cancelled in Postgres only when no count has waited for it for a moment", async () => {
    dropSets();
    const definition = REFERENCE_DEFINITIONS[0]!.definition;
    const plan = { workspaceId, definition, now, mostlyMatch: [false, false], timeoutMs: 30_000, workMem: "16MB" };
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    const counting = async () => {
      await blocker.query("SELECT pg_stat_clear_snapshot()");
      const { rows } = await blocker.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT array_send%'");
      return rows[0].n as number;
    };
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE");
      const [a, b] = [new AbortController(), new AbortController()];
      const first = countFromSets(t.db, { ...plan, signal: a.signal });
      const second = countFromSets(t.db, { ...plan, signal: b.signal });
      await vi.waitFor(async () => expect(await counting()).toBe(2)); // one query per condition, not two
      a.abort();
      await expect(first).rejects.toBeInstanceOf(PreviewCancelled);
      await new Promise((r) => setTimeout(r, CANCEL_GRACE_MS + 200));
      expect(await counting()).toBe(2); // the second still needs them
      b.abort();
      await expect(second).rejects.toBeInstanceOf(PreviewCancelled);
      // Nobody waits: within the grace a new count picks the same queries up again…
      await new Promise((r) => setTimeout(r, CANCEL_GRACE_MS / 2));
      const third = new AbortController();
      const picked = countFromSets(t.db, { ...plan, signal: third.signal });
      await new Promise((r) => setTimeout(r, CANCEL_GRACE_MS));
      expect(await counting()).toBe(2);
      // …and once nobody has asked for them for the grace, they are cancelled in Postgres.
      third.abort();
      await expect(picked).rejects.toBeInstanceOf(PreviewCancelled);
      await vi.waitFor(async () => expect(await counting()).toBe(0), { timeout: CANCEL_GRACE_MS + 3_000 });
      await blocker.query("ROLLBACK");
      expect((await countFromSets(t.db, plan)).reused).toBe(0); // nothing half-counted was kept
    } finally {
      await blocker.query("ROLLBACK").catch(() => {});
      await blocker.end();
    }
  });

  it("runs at most three set queries at once, however many conditions a definition has", async () => {
    dropSets();
    const buckets = Array.from({ length: 7 }, (_, i) => ({ type: "bucket" as const, from: i * 100, to: i * 100 + 99 }));
    const definition = { schemaVersion: 1 as const, root: { type: "group" as const, op: "or" as const, children: buckets } };
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    const counting = async () => {
      await blocker.query("SELECT pg_stat_clear_snapshot()");
      const { rows } = await blocker.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT array_send%'");
      return rows[0].n as number;
    };
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE");
      const counted = countFromSets(t.db, { workspaceId, definition, now, mostlyMatch: buckets.map(() => false), timeoutMs: 30_000, workMem: "16MB" });
      await vi.waitFor(async () => expect(await counting()).toBe(3));
      await new Promise((r) => setTimeout(r, 300));
      expect(await counting()).toBe(3);
      await blocker.query("ROLLBACK");
      const countOf = (await sql(t.db).raw<{ count: number }>(countQuery(definition, { workspaceId, now })))[0]!.count;
      expect((await counted).exact).toBe(countOf);
    } finally {
      await blocker.query("ROLLBACK").catch(() => {});
      await blocker.end();
    }
  });

  it("a count over its own time limit says so, while the sets it waited for go on for others", async () => {
    dropSets();
    const definition = REFERENCE_DEFINITIONS[0]!.definition;
    const plan = { workspaceId, definition, now, mostlyMatch: [false, false], workMem: "16MB" };
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE");
      const patient = countFromSets(t.db, { ...plan, timeoutMs: 30_000 });
      // Its two set queries are running (waiting for the lock) before the impatient count joins them.
      await vi.waitFor(async () => {
        await blocker.query("SELECT pg_stat_clear_snapshot()"); // the blocker is in a transaction: read fresh statistics
        const { rows } = await blocker.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT array_send%'");
        expect(rows[0].n).toBe(2);
      });
      await expect(countFromSets(t.db, { ...plan, timeoutMs: 300 })).rejects.toThrow(/took too long/);
      await blocker.query("ROLLBACK");
      expect((await patient).reused).toBe(0);
      expect((await countFromSets(t.db, { ...plan, timeoutMs: 30_000 })).reused).toBe(2);
    } finally {
      await blocker.query("ROLLBACK").catch(() => {});
      await blocker.end();
    }
  });

  it("shares one load between concurrent estimates and reloads a stale sample in the background", async () => {
    const [a, b] = await Promise.all([sampleOf(t.db, workspaceId, { total: 2_000, profiles: 200 }), sampleOf(t.db, workspaceId, { total: 2_000, profiles: 200 })]);
    expect(a).toBe(b);
    const person = a.people[0]!.profile;
    await t.db.profile.update({ where: { id: person.id }, data: { country: "XX" } });

    // Fresh enough: the same sample. Stale: the old one now, the reloaded one next time.
    expect(await sampleOf(t.db, workspaceId, { total: 2_000, profiles: 200 })).toBe(a);
    expect(await sampleOf(t.db, workspaceId, { total: 2_000, profiles: 200, ttlMs: 0 })).toBe(a);
    await vi.waitFor(async () => {
      const next = await sampleOf(t.db, workspaceId, { total: 2_000, profiles: 200 });
      expect(next).not.toBe(a);
      expect(next.people.find((p) => p.profile.id === person.id)?.profile.country).toBe("XX");
    });
  });
});
