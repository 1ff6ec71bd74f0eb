/**
 * bench/segments/builder.ts: what a marketer waits for in the builder, over the bench data
 * (1,000,000 profiles / 20,000,000 events): time from the last keystroke to the estimate on
 * screen and to the exact count on screen, for each of the 12 reference definitions.
 *
 *   # once: the bench data (bench/README.md) and a production build (npm run build)
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/junction_bench_seg npx tsx bench/segments/builder.ts [--workspace ws_bench] [--rounds 3]
 *
 * Starts the app on that database (the refresh worker off, so nothing else runs), signs in
 * a bench user who is a marketer of the workspace (made on first run), saves each reference
 * definition as a segment, opens it in the builder and makes one edit that changes the
 * definition but not its members: adds a "random bucket" condition and types 9999 as its
 * last bucket (0–9,999 is everyone). The clock starts at that keystroke's input event and
 * stops when the preview panel shows numbers for the new definition (the panel's
 * data-estimate-key / data-exact-key equal the builder's data-draft-key), polled every frame.
 * Goes over the 12 definitions `--rounds` times and reports each definition's median, the
 * goals' p50/p95 over those 12 medians, and the same over every single edit.
 * `--ingest N`: meanwhile, N track events per second for existing people are stored (live
 * traffic: no exact count can reuse a set of an older data version).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";
import { parseMessage } from "../../lib/ingest/schema";
import { createDb } from "../../server/db/client";
import { freePort } from "../../server/db/embedded";
import type { Prisma } from "../../server/generated/prisma/client";
import { ingestBatch } from "../../server/ingest/service";
import { refreshSegment } from "../../server/segments/membership";
import { REFERENCE_DEFINITIONS, REFERENCED } from "./reference";

const root = path.resolve(import.meta.dirname, "../..");
const { values } = parseArgs({ options: { workspace: { type: "string", default: "ws_bench" }, rounds: { type: "string", default: "3" }, ingest: { type: "string", default: "0" } } });
/** Events per second stored into the workspace while measuring (through ingestBatch, from this process): the data version then moves all the time. */
const INGEST_RATE = Number(values.ingest);
const workspaceId = values.workspace!;
const ROUNDS = Number(values.rounds);
const url = process.env.DATABASE_URL;
if (!url) throw new Error("set DATABASE_URL to the database holding the bench data");
const USER = { name: "Bench Marketer", email: "bench@junction.test", password: "bench-password-123", workspace: "Bench sign-up" };
const ESTIMATE_GOAL = 400;
const EXACT_GOAL = 1_500;

const db = createDb(url);
const port = await freePort();
const base = `http://localhost:${port}`;
const app = spawn(process.execPath, ["--import", "tsx", "scripts/run.ts", "start"], {
  cwd: root,
  env: { ...process.env, PORT: String(port), APP_URL: base, BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"), JUNCTION_WORKER: "off", NEXT_TELEMETRY_DISABLED: "1" },
  stdio: ["ignore", "ignore", "inherit"],
});
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

try {
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/api/v1/health`).catch(() => null))?.ok) break;
    if (i > 240) throw new Error("the app did not start");
    await new Promise((r) => setTimeout(r, 500));
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.on("dialog", (dialog) => void dialog.accept()); // leaving an edited segment: yes, leave

  // The bench user: set up on the first run, then moved into the bench workspace as a marketer.
  const existing = await db.user.findUnique({ where: { email: USER.email } });
  if (!existing) {
    await page.goto(`${base}/setup`);
    await page.getByLabel("Workspace name").fill(USER.workspace);
    await page.getByLabel("Your name").fill(USER.name);
    await page.getByLabel("Email").fill(USER.email);
    await page.getByLabel("Password").fill(USER.password);
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(`${base}/`);
  }
  const user = await db.user.findUniqueOrThrow({ where: { email: USER.email } });
  await db.membership.deleteMany({ where: { userId: user.id } });
  await db.membership.create({ data: { userId: user.id, workspaceId, role: "marketer" } });
  if (existing) {
    await page.goto(`${base}/login`);
    await page.getByLabel("Email").fill(USER.email);
    await page.getByLabel("Password").fill(USER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/`);
  }

  // Definitions 11 and 12 refer to saved segments: saved and materialised first (as bench/segments/run.ts does).
  for (const [id, { name, definition }] of Object.entries(REFERENCED)) {
    await db.segment.upsert({
      where: { id },
      create: { id, workspaceId, name, definition: definition as unknown as Prisma.InputJsonValue },
      update: { definition: definition as unknown as Prisma.InputJsonValue },
    });
    await refreshSegment(db, { workspaceId, segmentId: id, now: new Date() });
  }

  const ids: string[] = [];
  for (const [i, { name, definition }] of REFERENCE_DEFINITIONS.entries()) {
    const id = `bench_builder_${i + 1}`;
    await db.segment.upsert({
      where: { id },
      create: { id, workspaceId, name, definition: definition as unknown as Prisma.InputJsonValue },
      update: { definition: definition as unknown as Prisma.InputJsonValue },
    });
    ids.push(id);
  }

  // Warm-up: the first estimate of the workspace counts its people and loads the sample.
  await page.goto(`${base}/segments/${ids[0]}`);
  await page.waitForSelector("[data-estimate-key]", { timeout: 60_000 });
  await page.waitForTimeout(15_000);

  // Live traffic: page views of people already there (so the population, and each count, stays put).
  const people = INGEST_RATE > 0
    ? (await db.$queryRaw<{ value: string }[]>`SELECT value FROM profile_identities WHERE workspace_id = ${workspaceId} AND kind = 'user_id' LIMIT 20000`).map((r) => r.value)
    : [];
  let stored = 0;
  const traffic =
    INGEST_RATE > 0
      ? setInterval(() => {
          const items = Array.from({ length: Math.ceil(INGEST_RATE / 10) }, () => {
            const userId = people[Math.floor(Math.random() * people.length)]!;
            const parsed = parseMessage({ type: "track", userId, event: "page_view", messageId: randomBytes(12).toString("hex") });
            if (!parsed.ok) throw new Error(parsed.error);
            return { message: parsed.message, receivedAt: new Date() };
          });
          void ingestBatch(db, { workspaceId, items }).then(() => (stored += items.length));
        }, 100)
      : undefined;

  const estimates: number[][] = ids.map(() => []);
  const exacts: number[][] = ids.map(() => []);
  const sent: number[][] = ids.map(() => []);
  const took: number[][] = ids.map(() => []);
  // As a marketer moves around: one page load, then the app's own navigation (what the
  // page fetched once, such as the autocomplete's event names, stays cached).
  await page.goto(`${base}/segments`);
  await page.evaluate(() => performance.setResourceTimingBufferSize(100_000));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, id] of ids.entries()) {
      await page.locator(`a[href="/segments/${id}"]`).first().click();
      await page.waitForURL(`${base}/segments/${id}`);
      await page.waitForSelector("[data-exact-key]", { timeout: 120_000 });
      await page.evaluate(() => {
        const w = window as unknown as { lastInput?: number };
        document.addEventListener("input", () => (w.lastInput = performance.now()), { capture: true });
      });
      await page.getByRole("button", { name: "Add condition" }).last().click();
      await page.getByRole("menuitem", { name: "Random bucket (holdouts)" }).click();
      await page.getByLabel("Last bucket").last().fill("9999");
      const seen = (attribute: string) =>
        page
          .waitForFunction(
            (attr) => {
              const draft = document.querySelector("[data-draft-key]")?.getAttribute("data-draft-key");
              const shown = document.querySelector(`[${attr}]`)?.getAttribute(attr);
              return draft && shown === draft ? performance.now() - (window as unknown as { lastInput: number }).lastInput : false;
            },
            attribute,
            { polling: "raf", timeout: 120_000 },
          )
          .then((handle) => handle.jsonValue() as Promise<number>);
      const [estimateMs, exactMs] = await Promise.all([seen("data-estimate-key"), seen("data-exact-key")]);
      estimates[i]!.push(estimateMs);
      exacts[i]!.push(exactMs);
      // Where the estimate's time went: until its request was sent (debounce, rendering), and the request itself.
      const request = await page.evaluate(() => {
        const last = (window as unknown as { lastInput: number }).lastInput;
        const r = performance
          .getEntriesByType("resource")
          .filter((e) => e.name.includes("segments.estimate") && e.startTime >= last)
          .at(-1) as PerformanceResourceTiming | undefined;
        return r ? { sent: r.startTime - last, took: r.responseEnd - r.startTime } : null;
      });
      if (request) {
        sent[i]!.push(request.sent);
        took[i]!.push(request.took);
      }
      await page.getByRole("link", { name: "Segments", exact: true }).first().click(); // leave (the edit is discarded)
      await page.waitForURL(`${base}/segments`);
    }
  }

  if (traffic) {
    clearInterval(traffic);
    console.log(`\nmeanwhile stored ${stored} events (${INGEST_RATE}/s asked for)`);
  }
  const median = (xs: number[]) => quantile(xs, 0.5);
  const all = (xs: number[]) => xs.map(fmt).join(", ");
  console.log(`\n${ROUNDS} rounds over the 12 definitions; per definition the median (and every round):\n`);
  console.log(`| Definition | estimate on screen | of which: request sent after + took | exact on screen |`);
  console.log(`| --- | ---: | ---: | ---: |`);
  for (const [i, { name }] of REFERENCE_DEFINITIONS.entries()) {
    const request = sent[i]!.length ? `${fmt(median(sent[i]!))} + ${fmt(median(took[i]!))}` : "—";
    console.log(`| ${name} | ${fmt(median(estimates[i]!))} (${all(estimates[i]!)}) | ${request} | ${fmt(median(exacts[i]!))} (${all(exacts[i]!)}) |`);
  }
  const estimateMedians = estimates.map(median);
  const exactMedians = exacts.map(median);
  const pooled = (xs: number[][]) => xs.flat();
  console.log(
    `\nestimate on screen, over the 12 medians: p50 ${fmt(quantile(estimateMedians, 0.5))}, p95 ${fmt(quantile(estimateMedians, 0.95))} (goal ≤ ${ESTIMATE_GOAL} ms: ${estimateMedians.filter((x) => x <= ESTIMATE_GOAL).length}/12)` +
      `; over all ${pooled(estimates).length} edits: p50 ${fmt(quantile(pooled(estimates), 0.5))}, p95 ${fmt(quantile(pooled(estimates), 0.95))}, ${pooled(estimates).filter((x) => x <= ESTIMATE_GOAL).length}/${pooled(estimates).length} within the goal` +
      `\nexact on screen, over the 12 medians: p50 ${fmt(quantile(exactMedians, 0.5))}, p95 ${fmt(quantile(exactMedians, 0.95))} (goal ≤ ${fmt(EXACT_GOAL)}: ${exactMedians.filter((x) => x <= EXACT_GOAL).length}/12)` +
      `; over all ${pooled(exacts).length} edits: p50 ${fmt(quantile(pooled(exacts), 0.5))}, p95 ${fmt(quantile(pooled(exacts), 0.95))}, ${pooled(exacts).filter((x) => x <= EXACT_GOAL).length}/${pooled(exacts).length} within the goal`,
  );
  await db.segment.deleteMany({ where: { id: { in: ids } } });
  await browser.close();
} finally {
  app.kill("SIGTERM");
  await db.$disconnect();
}
