/**
 * bench/segments/export.ts: the member export over the bench data (1,000,000 profiles):
 * time to stream every member as CSV, rows per second, and this process's peak memory
 * while it streams (the export never holds the list: a cursor, 2,000 rows per pull).
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/junction_bench_seg npx tsx bench/segments/export.ts [--workspace ws_bench]
 */
import { parseArgs } from "node:util";
import { createDb } from "../../server/db/client";
import { emptyDefinition } from "../../lib/segments/schema";
import { membersCsv } from "../../server/segments/members";
import { REFERENCE_DEFINITIONS } from "./reference";

const { values } = parseArgs({ options: { workspace: { type: "string", default: "ws_bench" } } });
const url = process.env.DATABASE_URL;
if (!url) throw new Error("set DATABASE_URL to the database holding the bench data");
const db = createDb(url);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

for (const { name, definition } of [{ name: "everyone", definition: emptyDefinition() }, REFERENCE_DEFINITIONS[4]!]) {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const started = performance.now();
  const stream = await membersCsv(db, { workspaceId: values.workspace!, source: { definition }, now: new Date("2026-11-25T00:00:00Z") });
  const reader = stream.getReader();
  let bytes = 0;
  let lines = 0;
  let first = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!first) first = performance.now() - started;
    bytes += value.byteLength;
    for (let i = 0; i < value.length; i++) if (value[i] === 0x0a) lines++;
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - started) / 1000;
  const rows = lines - 1;
  console.log(`${name}: ${rows.toLocaleString("en")} rows, ${mb(bytes)} of CSV in ${seconds.toFixed(1)} s (${Math.round(rows / seconds).toLocaleString("en")} rows/s), first bytes after ${first.toFixed(0)} ms; RSS ${mb(before)} → peak ${mb(peak)}`);
}
await db.$disconnect();
