/**
 * bench/segments: estimate and exact counts of the 12 reference definitions over the
 * generator's 1,000,000 profiles / 20,000,000 events, and in the same run the time of
 * `SELECT count(*)` over the events table.
 *
 *   # once: load the data (bench/README.md, "Demo data generator"), with --now 2026-11-25T00:00:00Z
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/junction_bench_seg node --expose-gc --import tsx bench/segments/run.ts [--runs 7] [--workspace ws_bench]
 *
 * Saves the two referenced segments (and materialises them) first. Reports p50/p95 per
 * definition, whether each estimate's interval held the exact count, and the ratios to the
 * goals (estimate p95 ≤ 50 ms; exact median ≤ 0.5 × count(*)).
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { createDb, withConnection } from "../../server/db/client";
import type { Prisma } from "../../server/generated/prisma/client";
import { refreshSegment } from "../../server/segments/membership";
import { dropSets } from "../../server/segments/exact-sets";
import { estimateCount, exactCount } from "../../server/segments/preview";
import { sampleOf } from "../../server/segments/sample";
import { REFERENCE_DEFINITIONS, REFERENCED } from "./reference";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "7" }, workspace: { type: "string", default: "ws_bench" }, now: { type: "string", default: "2026-11-25T00:00:00Z" } },
});
const RUNS = Number(values.runs);
const workspaceId = values.workspace!;
const now = new Date(values.now!);

const url = process.env.DATABASE_URL;
if (!url) throw new Error("set DATABASE_URL to the database holding the bench data");
const db = createDb(url);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const result = await fn();
  return [performance.now() - t0, result];
}

try {
  const profiles = await db.profile.count({ where: { workspaceId } });
  const events = await db.event.count({ where: { workspaceId } });
  console.log(`bench/segments: ${profiles.toLocaleString("en")} profiles, ${events.toLocaleString("en")} events; ${os.cpus().length} cores, ${os.cpus()[0]?.model}; now = ${now.toISOString()}`);

  for (const [id, { name, definition }] of Object.entries(REFERENCED)) {
    await db.segment.upsert({
      where: { id },
      create: { id, workspaceId, name, definition: definition as unknown as Prisma.InputJsonValue },
      update: { definition: definition as unknown as Prisma.InputJsonValue },
    });
    const [ms, r] = await timed(() => refreshSegment(db, { workspaceId, segmentId: id, now }));
    console.log(`saved and materialised "${name}": ${r.size.toLocaleString("en")} members in ${fmt(ms)}`);
  }

  const countStar: number[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(RUNS / 2)); i++) {
    countStar.push((await timed(() => withConnection(db, (c) => c.query("SELECT count(*) FROM events"))))[0]);
  }
  const countStarMedian = quantile(countStar, 0.5);
  console.log(`SELECT count(*) FROM events: median ${fmt(countStarMedian)} (${countStar.map(fmt).join(", ")})`);

  // The estimate's in-memory sample: the first estimate in a workspace counts its people
  // and starts loading the sample; it answers from the first chunk, and the sample then
  // grows in the background. Timings below are taken once it is complete.
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const [firstMs, first] = await timed(() => estimateCount(db, { workspaceId, definition: REFERENCE_DEFINITIONS[0]!.definition, now }));
  const t0 = performance.now();
  const sample = await sampleOf(db, workspaceId, { total: profiles });
  while (sample.bucketEnds.length < sample.buckets) await new Promise((r) => setTimeout(r, 20));
  const loadMs = performance.now() - t0 + firstMs;
  global.gc?.();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  const sampleEvents = sample.people.reduce((n, p) => n + p.events.length, 0);
  console.log(
    `first estimate in the workspace (cold: population count + first chunk of the sample): ${fmt(firstMs)}, from ${(first.sampled * 100).toFixed(2)} % of the people`,
  );
  console.log(
    `estimate sample: ${sample.people.length.toLocaleString("en")} people, ${sampleEvents.toLocaleString("en")} events, loaded in ${fmt(loadMs)}${global.gc ? `, ${heapMb.toFixed(0)} MB of heap` : ""}`,
  );

  console.log(
    "\n| Definition | exact count | estimate (95 % interval) | estimate p50 | estimate p95 | interval held | sample | exact p50 | exact p95 | exact / count(*) | one condition changed: median, slowest |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
  const estimateP95s: number[] = [];
  const exactRatios: number[] = [];
  const changedTimes: number[] = [];
  let held = 0;
  for (const { name, definition } of REFERENCE_DEFINITIONS) {
    // Exact counts from nothing held (a segment just opened): every condition's set is counted.
    const exactTimes: number[] = [];
    let exact = 0;
    for (let i = 0; i < RUNS; i++) {
      dropSets();
      const [ms, r] = await timed(() => exactCount(db, { workspaceId, definition, now }));
      exactTimes.push(ms);
      exact = r.exact;
    }
    // After an edit of one condition: the others' sets are held, that one is counted again.
    const changed: number[] = [];
    for (const child of definition.root.children) {
      await exactCount(db, { workspaceId, definition, now });
      dropSets(workspaceId, child);
      const [ms, r] = await timed(() => exactCount(db, { workspaceId, definition, now }));
      if (r.exact !== exact || r.reused !== definition.root.children.length - 1) throw new Error(`${name}: the recount after a change went wrong`);
      changed.push(ms);
    }
    changedTimes.push(...changed);
    const estimateTimes: number[] = [];
    let covered = true;
    let sampled = 0;
    let shown = "";
    for (let i = 0; i < RUNS; i++) {
      const [ms, e] = await timed(() => estimateCount(db, { workspaceId, definition, now }));
      estimateTimes.push(ms);
      sampled = e.sampled;
      shown = `${e.estimate.toLocaleString("en")} (${e.low.toLocaleString("en")}–${e.high.toLocaleString("en")})`;
      if (exact < e.low || exact > e.high) covered = false;
    }
    if (covered) held += 1;
    const e95 = quantile(estimateTimes, 0.95);
    estimateP95s.push(e95);
    exactRatios.push(quantile(exactTimes, 0.5) / countStarMedian);
    console.log(
      `| ${name} | ${exact.toLocaleString("en")} | ${shown} | ${fmt(quantile(estimateTimes, 0.5))} | ${fmt(e95)} | ${covered ? "yes" : "**no**"} | ${(sampled * 100).toFixed(1)} % | ${fmt(quantile(exactTimes, 0.5))} | ${fmt(quantile(exactTimes, 0.95))} | ${(quantile(exactTimes, 0.5) / countStarMedian).toFixed(2)}× | ${fmt(quantile(changed, 0.5))}, ${fmt(Math.max(...changed))} |`,
    );
  }
  console.log(
    `\nestimate p95 ≤ 50 ms: ${estimateP95s.filter((x) => x <= 50).length}/12 definitions (worst ${fmt(Math.max(...estimateP95s))}); intervals held: ${held}/12; exact median ≤ 0.5× count(*): ${exactRatios.filter((r) => r <= 0.5).length}/12 (worst ${Math.max(...exactRatios).toFixed(2)}×)` +
      `\nrecount after one condition changed: p50 ${fmt(quantile(changedTimes, 0.5))}, p95 ${fmt(quantile(changedTimes, 0.95))}; within 1.1 s (the builder's 1.5 s less the estimate's 0.4 s): ${changedTimes.filter((x) => x <= 1_100).length}/${changedTimes.length} conditions`,
  );
} finally {
  await db.$disconnect();
}
