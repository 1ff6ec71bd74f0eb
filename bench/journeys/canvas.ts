/**
 * bench/journeys/canvas.ts: the journey canvas with a big journey, and the reach preview
 * at 1M profiles (issue 16).
 *
 *   # once: a production build (npm run build) and an empty database (createdb); the first
 *   # run migrates it and loads 1,000,000 profiles / 20,000,000 events into it (~12 min)
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/junction_bench_journeys npx tsx bench/journeys/canvas.ts [--runs 5] [--workspace ws_bench] [--port 3190]
 *
 * An empty workspace is first filled by the demo generator (server/demo/load.ts, as
 * `npm run seed` does) with --profiles/--events/--seed/--now; a workspace that has people is
 * used as it is (the data of an earlier run). Tables never vacuumed (a bulk load on a
 * Postgres without autovacuum) are vacuumed once, as autovacuum would have.
 *
 * 1. Open to interactive: a 100-node journey (trigger, waits, event waits, branches with two
 *    cases, 90/10 splits, sends, trait updates, exits; every exit connected; laid out with
 *    layoutJourney) and a 5-node one are stored as drafts. The app (production build, worker
 *    off) runs on --port; Chromium (1440×900) loads /journeys/<id> after a warm-up. A script
 *    injected before the page's own records, every frame, how many step nodes React Flow
 *    shows (measured, not hidden); once all are there the bench clicks the step nearest the
 *    canvas's centre (again if that click is lost), and the clock stops when its inspector
 *    ("Step: …") is on screen. Times are from navigation start.
 * 2. Drag frame time: with the journey open and settled, a step is dragged ~260 px across
 *    the canvas in 60 mouse moves sent every 16.7 ms (a 60 Hz mouse, which does not wait for
 *    the page); the page records requestAnimationFrame timestamps from pointer down to
 *    pointer up. Frame time = the gap between two frames. The draft is put back before every run.
 * 3. Reach preview at 1M: a segment "in Germany and bought in the last 30 days" (a trait and
 *    an event condition) starts the 100-node journey (segment entered). journeyReach with
 *    exact: true, the exact count's sets dropped before each run (nothing held, as when the
 *    journey is opened), median of --runs; `SELECT count(*) FROM profiles WHERE workspace_id`
 *    timed in the same run as the baseline. The app is stopped by then.
 *
 * `--profile`: afterwards one more open and one more drag of the 100-node journey under
 * Chromium's CPU profiler (not counted): the functions with the most self time are printed,
 * the profiles saved to /tmp/bench-journeys-{open,drag}.cpuprofile (DevTools opens them).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium, type Page } from "@playwright/test";
import { layoutJourney } from "../../lib/journeys/layout";
import { checkJourney } from "../../lib/journeys/graph";
import { exitsOf, ZJourneyDefinition, type JourneyDefinition, type JourneyEdge, type JourneyNode, type Trigger } from "../../lib/journeys/schema";
import type { SegmentDefinition, SegmentNode } from "../../lib/segments/schema";
import { createDb, withConnection } from "../../server/db/client";
import { migrate } from "../../server/db/migrate";
import { loadDemoData } from "../../server/demo/load";
import type { Prisma } from "../../server/generated/prisma/client";
import { createJourney } from "../../server/journeys/service";
import { journeyReach } from "../../server/journeys/reach";
import { refreshSegment } from "../../server/segments/membership";
import { createTemplate } from "../../server/messages/templates";
import { dropSets } from "../../server/segments/exact-sets";
import { sampleOf } from "../../server/segments/sample";

const root = path.resolve(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    workspace: { type: "string", default: "ws_bench" },
    port: { type: "string", default: "3190" },
    profiles: { type: "string", default: "1000000" },
    events: { type: "string", default: "20000000" },
    seed: { type: "string", default: "1" },
    now: { type: "string", default: "2026-11-25T00:00:00Z" },
    skip: { type: "string", default: "" }, // "canvas" or "reach": leave that part out
    profile: { type: "boolean", default: false }, // afterwards, CPU profiles of the page during one more open and drag (/tmp/bench-journeys-*.cpuprofile)
  },
});
const RUNS = Number(values.runs);
const workspaceId = values.workspace!;
const now = new Date(values.now!);
const skip = new Set(values.skip!.split(",").filter(Boolean));
const url = process.env.DATABASE_URL;
if (!url) throw new Error("set DATABASE_URL to the bench database (bench/README.md)");

const GOALS = { open: 1_000, dragP95: 32, reach: 2_000 };
const VIEWPORT = { width: 1440, height: 900 };
const USER = { name: "Bench Marketer", email: "bench@junction.test", password: "bench-password-123", workspace: "Bench sign-up" };
const DRAG_MOVES = 60;
const MOVE_EVERY_MS = 1000 / 60;

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))]!;
const median = (xs: number[]) => quantile(xs, 0.5);
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const fmt1 = (ms: number) => `${ms.toFixed(1)} ms`;
const all = (xs: number[], f = fmt) => xs.map(f).join(" · ");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(", ");

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const result = await fn();
  return [performance.now() - t0, result];
}

// ——— The journeys ———

const trait = (field: string, value: string): SegmentNode => ({ type: "trait", field: `traits.${field}`, valueType: "string", operator: { op: "equals", value } });
const and = (...children: SegmentNode[]): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children } });

type StepKind = "wait" | "waitEvent" | "send" | "branch" | "split" | "update";
/** The order steps are chosen in, along each path (a kind that would overrun the size is skipped). */
const MIX: StepKind[] = ["wait", "send", "branch", "send", "waitEvent", "split", "send", "update", "wait", "send"];
/** Exits a step adds beyond the one that led to it. */
const EXTRA_EXITS: Record<StepKind, number> = { wait: 0, waitEvent: 1, send: 0, branch: 2, split: 1, update: 0 };

function step(kind: StepKind | "exit", id: string, templateId: string): JourneyNode {
  const position = { x: 0, y: 0 };
  switch (kind) {
    case "wait":
      return { id, kind: "wait", position, wait: { type: "duration", duration: { amount: 1, unit: "days" } } };
    case "waitEvent":
      return { id, kind: "wait", position, wait: { type: "event", event: "purchase", filters: [], timeout: { amount: 2, unit: "days" } } };
    case "send":
      return { id, kind: "send", position, channel: "email", templateId, onFailure: "continue" };
    case "branch":
      return { id, kind: "branch", position, cases: [{ id: "pro", name: "Pro plan", condition: and(trait("plan", "pro")) }, { id: "de", name: "In Germany", condition: and(trait("country", "DE")) }] };
    case "split":
      return { id, kind: "split", position, arms: [{ id: "main", name: "Message", percent: 90, holdout: false }, { id: "holdout", name: "Holdout", percent: 10, holdout: true }] };
    case "update":
      return { id, kind: "update", position, trait: "journey_stage", op: "set", value: "nudged" };
    case "exit":
      return { id, kind: "exit", position };
  }
}

/**
 * A journey of exactly `size` nodes: from the trigger, each open exit (breadth first) gets the
 * next kind of MIX that leaves room for an exit step behind every open exit; then exits.
 */
function benchJourney(size: number, trigger: Trigger, templateId: string): JourneyDefinition {
  const nodes: JourneyNode[] = [{ id: "trigger", kind: "trigger", position: { x: 0, y: 0 }, trigger }];
  const edges: JourneyEdge[] = [];
  const open = [{ from: "trigger", exit: "next" }];
  let k = 0;
  while (open.length > 0) {
    const at = open.shift()!;
    const left = size - nodes.length;
    let kind: StepKind | "exit" = "exit";
    for (let t = 0; t < MIX.length; t++) {
      const candidate = MIX[(k + t) % MIX.length]!;
      if (left - 1 >= open.length + 1 + EXTRA_EXITS[candidate]) {
        kind = candidate;
        k = (k + t + 1) % MIX.length;
        break;
      }
    }
    const id = `${kind === "waitEvent" ? "wait" : kind}${nodes.length}`;
    const node = step(kind, id, templateId);
    nodes.push(node);
    edges.push({ id: `e${edges.length + 1}`, from: at.from, exit: at.exit, to: id });
    for (const x of exitsOf(node)) open.push({ from: id, exit: x.id });
  }
  const def = ZJourneyDefinition.parse(layoutJourney({ schemaVersion: 1, nodes, edges, settings: { reentry: { mode: "never" } } }));
  const issues = checkJourney(def);
  if (nodes.length !== size || issues.length > 0) throw new Error(`bench journey of ${size}: ${nodes.length} nodes, ${issues.map((i) => i.message).join("; ")}`);
  return def;
}

function mixOf(def: JourneyDefinition): string {
  const counts = new Map<string, number>();
  for (const n of def.nodes) {
    const kind = n.kind === "wait" && n.wait.type === "event" ? "event wait" : n.kind;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return `${[...counts].map(([kind, n]) => `${n} ${kind}`).join(", ")}; ${def.edges.length} connections`;
}

// ——— In the page ———

interface Marks {
  /** performance.now() of the first frame showing n measured step nodes, by n. */
  nodes: Record<number, number>;
  clickAt?: number;
  inspectorAt?: number;
  frames: number[];
  recording: boolean;
  /** False: stop looking at the nodes every frame (before a drag is measured). */
  polling: boolean;
  downAt?: number;
  upAt?: number;
}

/** Injected before the page's own scripts on every load: what the bench reads back. */
function recorder() {
  const marks: Marks = { nodes: {}, frames: [], recording: false, polling: true };
  (window as unknown as { __bench: Marks }).__bench = marks;
  const started = performance.now();
  const poll = () => {
    const t = performance.now();
    let shown = 0;
    for (const el of document.querySelectorAll<HTMLElement>(".react-flow__node")) if (el.style.visibility !== "hidden" && el.querySelector('[data-testid^="node-"]')) shown++;
    if (shown > 0 && marks.nodes[shown] === undefined) marks.nodes[shown] = t;
    if (marks.clickAt !== undefined && marks.inspectorAt === undefined) {
      for (const h of document.querySelectorAll("h2")) if (h.textContent?.startsWith("Step: ")) marks.inspectorAt = t;
    }
    if (marks.polling && marks.inspectorAt === undefined && t - started < 60_000) requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
  addEventListener("click", () => (marks.clickAt ??= performance.now()), { capture: true });
  addEventListener("pointerdown", () => (marks.downAt = performance.now()), { capture: true });
  addEventListener("pointerup", () => (marks.upAt = performance.now()), { capture: true });
}

const marks = (page: Page) => page.evaluate(() => (window as unknown as { __bench: Marks }).__bench);

/**
 * The centre of the step nearest the canvas's centre (or a point left of it) that lies wholly
 * inside it, uncovered, in page pixels — as soon as there is one (the canvas may still be framing the journey).
 */
async function stepNearCentre(page: Page, leftHalf: boolean) {
  const found = await page
    .waitForFunction(
      (left) => {
        const canvas = document.querySelector('[data-testid="journey-canvas"]')!.getBoundingClientRect();
        const cx = canvas.left + canvas.width * (left ? 0.3 : 0.5);
        const cy = canvas.top + canvas.height / 2;
        let best: { x: number; y: number; id: string; d: number } | null = null;
        for (const el of document.querySelectorAll<HTMLElement>('[data-testid^="node-"]')) {
          const r = el.getBoundingClientRect();
          if (r.left < canvas.left + 8 || r.right > canvas.right - 8 || r.top < canvas.top + 8 || r.bottom > canvas.bottom - 8) continue;
          const x = r.left + r.width / 2;
          const y = r.top + r.height / 2;
          // Not under something else (a connection's label): a click there reaches the step.
          if (!el.contains(document.elementFromPoint(x, y))) continue;
          const d = Math.hypot(x - cx, y - cy);
          if (!best || d < best.d) best = { x, y, id: el.dataset.testid!.slice(5), d };
        }
        return best && { ...best, canvas: { left: canvas.left, right: canvas.right, top: canvas.top, bottom: canvas.bottom } };
      },
      leftHalf,
      { polling: "raf", timeout: 10_000 },
    )
    .catch(async (error) => {
      await page.screenshot({ path: "/tmp/bench-journeys-canvas.png" });
      console.error("no step wholly inside the canvas: screenshot /tmp/bench-journeys-canvas.png");
      throw error;
    });
  return (await found.jsonValue())!;
}

/** Until all `size` steps are shown (on a timeout: what was, and a screenshot in /tmp). */
async function shown(page: Page, size: number) {
  try {
    await page.waitForFunction((n) => (window as unknown as { __bench?: Marks }).__bench?.nodes[n] !== undefined, size, { polling: "raf", timeout: 60_000 });
  } catch (error) {
    await page.screenshot({ path: "/tmp/bench-journeys-canvas.png" });
    console.error(`waiting for ${size} steps at ${page.url()}: seen ${JSON.stringify((await marks(page).catch(() => null))?.nodes)}; screenshot /tmp/bench-journeys-canvas.png`);
    throw error;
  }
}

interface Open {
  total: number;
  html: number;
  fcp: number;
  getSent: number;
  getDone: number;
  nodes: number;
  /** Bytes of JavaScript the page loaded (uncompressed; from the browser's cache after the warm-up). */
  js: number;
  /** The first click, and how many it took. */
  click: number;
  clicks: number;
}

async function openOnce(page: Page, base: string, id: string, size: number): Promise<Open> {
  await page.goto(`${base}/journeys/${id}`, { waitUntil: "commit" });
  await shown(page, size);
  // A click can miss while the canvas measures its steps again (they are hidden meanwhile):
  // then, as a person would, click again; the clock runs on.
  let clicks = 0;
  for (;;) {
    const target = await stepNearCentre(page, false);
    await page.mouse.click(target.x, target.y);
    clicks++;
    const seen = await page
      .waitForFunction(() => (window as unknown as { __bench: Marks }).__bench.inspectorAt !== undefined, undefined, { polling: "raf", timeout: 500 })
      .then(() => true, () => false);
    // A busy page may not poll within the timeout: what it recorded decides.
    if (seen || (await marks(page)).inspectorAt !== undefined) break;
    if (clicks === 20) {
      await page.screenshot({ path: "/tmp/bench-journeys-canvas.png" });
      throw new Error(`no inspector after 20 clicks, the last on ${target.id} at ${target.x.toFixed(0)},${target.y.toFixed(0)}: screenshot /tmp/bench-journeys-canvas.png`);
    }
  }
  const m = await marks(page);
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN;
    const resources = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    const get = resources.find((e) => e.name.includes("journeys.get"));
    const js = resources.filter((e) => e.name.endsWith(".js")).reduce((sum, e) => sum + e.decodedBodySize, 0);
    return { html: nav.responseEnd, fcp, getSent: get?.startTime ?? NaN, getDone: get?.responseEnd ?? NaN, js };
  });
  return { total: m.inspectorAt!, ...timing, nodes: m.nodes[size]!, click: m.clickAt!, clicks };
}

interface Drag {
  frames: number[];
  moved: number;
  /** From pointer down to pointer up, in the page. */
  ms: number;
}

/** A CPU profile of the page while `fn` runs: the functions with the most self time, and the profile saved for DevTools. */
async function profiled<T>(page: Page, file: string, fn: () => Promise<T>): Promise<T> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const result = await fn();
  const { profile } = await cdp.send("Profiler.stop");
  writeFileSync(file, JSON.stringify(profile));
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`  CPU profile (${file}), ${fmt(total)} sampled; most self time:`);
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`    ${fmt1(ms).padStart(9)}  ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${key}`);
  await cdp.detach();
  return result;
}

async function dragOnce(page: Page): Promise<Drag> {
  const from = await stepNearCentre(page, true);
  const dx = Math.min(400, from.canvas.right - 140 - from.x);
  const dy = Math.max(-120, Math.min(120, from.canvas.bottom - 70 - from.y));
  const before = await page.getByTestId(`node-${from.id}`).boundingBox();
  await page.evaluate(() => {
    const m = (window as unknown as { __bench: Marks }).__bench;
    m.polling = false;
    m.frames = [];
    m.recording = true;
    const tick = (t: number) => {
      m.frames.push(t);
      if (m.recording) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.mouse.move(from.x, from.y);
  // A mouse moves at its own pace: each move is sent on the clock, without waiting for the
  // page to handle the one before (page.mouse waits; a busy page would slow the hand down).
  // The browser queues them and the page takes what has arrived once per frame.
  const cdp = await page.context().newCDPSession(page);
  const send = (type: "mousePressed" | "mouseMoved" | "mouseReleased", x: number, y: number) =>
    cdp.send("Input.dispatchMouseEvent", { type, x, y, button: "left", buttons: type === "mouseReleased" ? 0 : 1, clickCount: 1 });
  await send("mousePressed", from.x, from.y);
  const moves: Promise<unknown>[] = [];
  const t0 = performance.now();
  for (let i = 1; i <= DRAG_MOVES; i++) {
    const wait = t0 + (i - 1) * MOVE_EVERY_MS - performance.now();
    if (wait > 0) await sleep(wait);
    moves.push(send("mouseMoved", from.x + (dx * i) / DRAG_MOVES, from.y + (dy * i) / DRAG_MOVES));
  }
  await Promise.all(moves);
  await send("mouseReleased", from.x + dx, from.y + dy);
  await cdp.detach();
  await sleep(100);
  const m = await page.evaluate(() => {
    const b = (window as unknown as { __bench: Marks }).__bench;
    b.recording = false;
    return b;
  });
  const after = await page.getByTestId(`node-${from.id}`).boundingBox();
  // Frames from the one before pointer down to the first after pointer up.
  const first = m.frames.findLastIndex((t) => t <= m.downAt!);
  const last = m.frames.findIndex((t) => t >= m.upAt!);
  const span = m.frames.slice(Math.max(0, first), last === -1 ? undefined : last + 1);
  return { frames: span.slice(1).map((t, i) => t - span[i]!), moved: Math.hypot(after!.x - before!.x, after!.y - before!.y), ms: m.upAt! - m.downAt! };
}

// ——— The run ———

const db = createDb(url);
console.log(`bench/journeys/canvas: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${load()}; ${new Date().toISOString()}`);

try {
  await migrate(url, { log: () => {} });
  // The data: the demo generator into an empty workspace, else what is there.
  if (!(await db.workspace.findUnique({ where: { id: workspaceId } }))) {
    await db.workspace.create({ data: { id: workspaceId, name: "Bench", slug: workspaceId.replaceAll("_", "-") } });
  }
  let profiles = await db.profile.count({ where: { workspaceId } });
  if (profiles === 0) {
    console.log(`loading ${values.profiles} profiles / ${values.events} events (seed ${values.seed}, now ${now.toISOString()}) into ${workspaceId}…`);
    let printed = 0;
    const result = await loadDemoData(url, { workspaceId, profiles: Number(values.profiles), events: Number(values.events), seed: Number(values.seed), now }, (p) => {
      if (performance.now() - printed < 10_000 && p.done !== p.total) return;
      printed = performance.now();
      console.log(`  ${p.phase} ${p.done.toLocaleString("en")} / ${p.total.toLocaleString("en")}`);
    });
    console.log(`loaded in ${fmt(result.ms)}`);
    profiles = result.profiles;
  }
  console.log(`workspace ${workspaceId}: ${profiles.toLocaleString("en")} profiles`);
  // A bulk load leaves the visibility map empty: every index-only scan then reads the heap
  // too (an event condition's 250,000 index entries: as many heap fetches). Autovacuum sets
  // it in a running database (after 1,000 inserts or so); this Postgres may run without it.
  const unvacuumed = await db.$queryRaw<{ relname: string }[]>`
    SELECT relname FROM pg_stat_user_tables
     WHERE relname IN ('profiles', 'profile_identities', 'events') AND last_vacuum IS NULL AND last_autovacuum IS NULL`;
  if (unvacuumed.length > 0) {
    const [ms] = await timed(() => db.$executeRawUnsafe(`VACUUM (ANALYZE) ${unvacuumed.map((r) => r.relname).join(", ")}`));
    console.log(`VACUUM (ANALYZE) ${unvacuumed.map((r) => r.relname).join(", ")}, never vacuumed: ${fmt(ms)}`);
  }

  // What the journeys refer to: one email template, the entry segment of the reach preview.
  const owner = { userId: null, label: "bench" };
  const template =
    (await db.messageTemplate.findFirst({ where: { workspaceId, name: "Bench nudge" }, select: { id: true } })) ??
    (await createTemplate(db, { workspaceId, actor: owner, name: "Bench nudge", channel: "email" }));
  const segmentId = "bench_journey_reach";
  const segment = and(trait("country", "DE"), { type: "event", event: "purchase", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 30, unit: "days" } });
  await db.segment.upsert({
    where: { id: segmentId },
    create: { id: segmentId, workspaceId, name: "Bench: in Germany, bought in 30 days", definition: segment as unknown as Prisma.InputJsonValue },
    // Never refreshed at first: the exact reach counts it anew (measured), then from its stored membership.
    update: { definition: segment as unknown as Prisma.InputJsonValue, archivedAt: null, refreshedAt: null, size: 0 },
  });
  await db.segmentMembership.deleteMany({ where: { segmentId } });

  const eventTrigger: Trigger = { type: "event", event: "app_open", filters: [] };
  const journeys = [100, 5].map((size) => ({ size, name: `Bench canvas ${size}`, draft: benchJourney(size, eventTrigger, template.id), id: "" }));
  await db.journey.deleteMany({ where: { workspaceId, name: { in: journeys.map((j) => j.name) } } });
  for (const j of journeys) {
    j.id = (await createJourney(db, { workspaceId, actor: owner, name: j.name, draft: j.draft })).id;
    console.log(`${j.name}: ${mixOf(j.draft)}`);
  }
  const reset = (j: (typeof journeys)[number]) => db.journey.update({ where: { id: j.id }, data: { draft: j.draft as unknown as Prisma.InputJsonValue } });

  const opens = new Map<number, Open[]>(journeys.map((j) => [j.size, []]));
  const drags = new Map<number, Drag[]>(journeys.map((j) => [j.size, []]));
  if (!skip.has("canvas")) {
    const port = Number(values.port);
    const base = `http://localhost:${port}`;
    const app = spawn(process.execPath, ["--import", "tsx", "scripts/run.ts", "start"], {
      cwd: root,
      env: { ...process.env, PORT: String(port), APP_URL: base, BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"), JUNCTION_SECRET_KEY: randomBytes(32).toString("base64"), JUNCTION_WORKER: "off", NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    try {
      for (let i = 0; ; i++) {
        if ((await fetch(`${base}/api/v1/health`).catch(() => null))?.ok) break;
        if (i > 240 || app.exitCode !== null) throw new Error("the app did not start");
        await sleep(500);
      }
      const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
      const context = await browser.newContext({ viewport: VIEWPORT });
      // tsx (esbuild, keepNames) wraps named functions in __name(…): the page needs one too.
      await context.addInitScript({ content: "window.__name = (f) => f;" });
      await context.addInitScript(recorder);
      const page = await context.newPage();
      page.on("dialog", (dialog) => void dialog.accept());

      // The bench user (as bench/segments/builder.ts): set up on the first run, a marketer of the bench workspace.
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

      // Warm-up (not counted): the routes, the browser's cache of the app's scripts.
      for (const j of journeys) for (let i = 0; i < 2; i++) await openOnce(page, base, j.id, j.size);

      console.log(`\nopen, ${RUNS} runs (load average ${load()})`);
      for (let run = 0; run < RUNS; run++) {
        for (const j of journeys) {
          const o = await openOnce(page, base, j.id, j.size);
          opens.get(j.size)!.push(o);
          console.log(`  ${j.size} nodes: interactive ${fmt(o.total)} (html ${fmt(o.html)}, journeys.get sent ${fmt(o.getSent)} answered ${fmt(o.getDone)}, all nodes ${fmt(o.nodes)}, first click ${fmt(o.click)}${o.clicks > 1 ? `, ${o.clicks} clicks` : ""})`);
        }
      }

      console.log(`\ndrag, ${RUNS} runs (load average ${load()})`);
      for (let run = 0; run < RUNS; run++) {
        for (const j of journeys) {
          await reset(j);
          await page.goto(`${base}/journeys/${j.id}`, { waitUntil: "commit" });
          await shown(page, j.size);
          await page.waitForLoadState("networkidle");
          await sleep(500);
          const d = await dragOnce(page);
          if (d.moved < 100) throw new Error(`the step moved ${d.moved.toFixed(0)} px only`);
          drags.get(j.size)!.push(d);
          console.log(`  ${j.size} nodes: ${d.frames.length} frames, p50 ${fmt1(quantile(d.frames, 0.5))}, p95 ${fmt1(quantile(d.frames, 0.95))}, max ${fmt1(Math.max(...d.frames))}; moved ${d.moved.toFixed(0)} px in ${fmt(d.ms)}`);
          await sleep(1_500); // the autosave of the move, before the draft is put back
        }
      }
      if (values.profile) {
        // Not counted: one open and one drag of the big journey again, under the profiler.
        const big = journeys[0]!;
        console.log(`\nprofiled (not counted): open and drag of ${big.size} nodes`);
        await profiled(page, "/tmp/bench-journeys-open.cpuprofile", () => openOnce(page, base, big.id, big.size));
        await reset(big);
        await page.goto(`${base}/journeys/${big.id}`, { waitUntil: "commit" });
        await shown(page, big.size);
        await page.waitForLoadState("networkidle");
        await sleep(500);
        await profiled(page, "/tmp/bench-journeys-drag.cpuprofile", () => dragOnce(page));
        await sleep(1_500);
      }
      await browser.close();
    } finally {
      app.kill("SIGTERM");
      for (const j of journeys) await reset(j);
    }
  }

  const reach: { count: number[]; estimate: number[]; exact: number[]; stored: number[]; refresh?: number; value?: number; estimated?: string; edges?: number } = { count: [], estimate: [], exact: [], stored: [] };
  if (!skip.has("reach")) {
    const big = journeys[0]!;
    const definition: JourneyDefinition = { ...big.draft, nodes: big.draft.nodes.map((n) => (n.kind === "trigger" ? { ...n, trigger: { type: "segment_entered", segmentId } } : n)) };
    // Warm-up: the workspace's in-memory sample loads (as it would have in a running app), then everything once.
    await journeyReach(db, { workspaceId, definition, now });
    const sample = await sampleOf(db, workspaceId, { total: profiles });
    while (sample.bucketEnds.length < sample.buckets) await sleep(50);
    await journeyReach(db, { workspaceId, definition, now, exact: true });
    console.log(`\nreach, ${RUNS} runs (load average ${load()})`);
    for (let run = 0; run < RUNS; run++) {
      const [countMs] = await timed(() => withConnection(db, (c) => c.query("SELECT count(*) FROM profiles WHERE workspace_id = $1", [workspaceId])));
      const [estimateMs, e] = await timed(() => journeyReach(db, { workspaceId, definition, now }));
      dropSets();
      const [exactMs, r] = await timed(() => journeyReach(db, { workspaceId, definition, now, exact: true }));
      reach.count.push(countMs);
      reach.estimate.push(estimateMs);
      reach.exact.push(exactMs);
      reach.value = r.entry.exact;
      reach.estimated = `${e.entry.estimate?.toLocaleString("en")} (${e.entry.low?.toLocaleString("en")}–${e.entry.high?.toLocaleString("en")})`;
      reach.edges = Object.values(r.edges).filter((v) => v !== null).length;
      console.log(`  count(*) ${fmt(countMs)}, estimate ${fmt(estimateMs)}, exact ${fmt(exactMs)} → ${r.entry.exact?.toLocaleString("en")}`);
    }
    // Saving a segment refreshes it (its membership stored); the exact reach then reads that.
    const [refreshMs] = await timed(() => refreshSegment(db, { workspaceId, segmentId, now }));
    reach.refresh = refreshMs;
    for (let run = 0; run < RUNS; run++) {
      const [storedMs, r] = await timed(() => journeyReach(db, { workspaceId, definition, now, exact: true }));
      reach.stored.push(storedMs);
      console.log(`  exact from the stored membership ${fmt(storedMs)} → ${r.entry.exact?.toLocaleString("en")}`);
    }
  }

  // ——— The table for bench/README.md ———
  console.log(`\n## results (${RUNS} runs; load average at the end ${load()})\n`);
  if (!skip.has("canvas")) {
    const [big, small] = journeys.map((j) => opens.get(j.size)!);
    const col = (xs: Open[], f: (o: Open) => number) => fmt(median(xs.map(f)));
    console.log(`| Open to interactive (from navigation start) | 100 nodes | 5 nodes | 100 / 5 |`);
    console.log(`| --- | ---: | ---: | ---: |`);
    const rows: [string, (o: Open) => number][] = [
      ["HTML received", (o) => o.html],
      ["first paint (the app's layout, the canvas's placeholder)", (o) => o.fcp],
      ["journeys.get sent (the app shell loaded and hydrated)", (o) => o.getSent],
      ["journeys.get answered", (o) => o.getDone],
      ["every step shown (measured by React Flow)", (o) => o.nodes],
      ["first click on a step", (o) => o.click],
    ];
    for (const [label, f] of rows) console.log(`| ${label} | ${col(big!, f)} | ${col(small!, f)} | ${(median(big!.map(f)) / median(small!.map(f))).toFixed(2)}× |`);
    const totals = (xs: Open[]) => xs.map((o) => o.total);
    console.log(`| **its inspector on screen: interactive** | **${fmt(median(totals(big!)))}** | ${fmt(median(totals(small!)))} | ${(median(totals(big!)) / median(totals(small!))).toFixed(2)}× |`);
    console.log(`| runs | ${all(totals(big!))} | ${all(totals(small!))} | |`);
    const kb = (xs: Open[]) => `${(median(xs.map((o) => o.js)) / 1024).toFixed(0)} KB`;
    console.log(`| JavaScript of the page (uncompressed, from the cache) | ${kb(big!)} | ${kb(small!)} | |`);
    const missed = (xs: Open[]) => `${xs.filter((o) => o.clicks > 1).length} of ${xs.length}`;
    console.log(`| runs where the first click missed | ${missed(big!)} | ${missed(small!)} | |`);
    console.log(`\nopen goal ≤ ${fmt(GOALS.open)}: ${median(totals(big!)) <= GOALS.open ? "met" : "not met"} (${(median(totals(big!)) / GOALS.open).toFixed(2)}× the goal)\n`);

    const [dBig, dSmall] = journeys.map((j) => drags.get(j.size)!);
    const pooled = (xs: Drag[]) => xs.flatMap((d) => d.frames);
    console.log(`| Drag (${DRAG_MOVES} moves at 60 Hz, ${RUNS} runs) | frames | frames/s | frame p50 | frame p95 | max | p95 per run |`);
    console.log(`| --- | ---: | ---: | ---: | ---: | ---: | --- |`);
    for (const [label, xs] of [["100 nodes", dBig!], ["5 nodes", dSmall!]] as const) {
      const f = pooled(xs);
      const perSecond = f.length / (xs.reduce((sum, d) => sum + d.ms, 0) / 1000);
      console.log(`| ${label} | ${f.length} | ${perSecond.toFixed(0)} | ${fmt1(quantile(f, 0.5))} | **${fmt1(quantile(f, 0.95))}** | ${fmt1(Math.max(...f))} | ${all(xs.map((d) => quantile(d.frames, 0.95)), fmt1)} |`);
    }
    const p95 = quantile(pooled(dBig!), 0.95);
    console.log(`\ndrag goal p95 ≤ ${GOALS.dragP95} ms: ${p95 <= GOALS.dragP95 ? "met" : "not met"} (${(p95 / GOALS.dragP95).toFixed(2)}× the goal); 100 / 5 nodes p95: ${(p95 / quantile(pooled(dSmall!), 0.95)).toFixed(2)}×\n`);
  }
  if (!skip.has("reach")) {
    console.log(`| Reach preview at ${profiles.toLocaleString("en")} profiles | median | runs | / count(*) |`);
    console.log(`| --- | ---: | --- | ---: |`);
    const c = median(reach.count);
    console.log(`| \`SELECT count(*) FROM profiles WHERE workspace_id = …\` | ${fmt(c)} | ${all(reach.count)} | 1× |`);
    console.log(`| journeyReach, estimate (${reach.estimated}) | ${fmt(median(reach.estimate))} | ${all(reach.estimate)} | ${(median(reach.estimate) / c).toFixed(2)}× |`);
    console.log(`| journeyReach, exact, counted anew: ${reach.value?.toLocaleString("en")} (a segment never refreshed, nothing held; ${reach.edges} of ${journeys[0]!.draft.edges.length} edges divided) | ${fmt(median(reach.exact))} | ${all(reach.exact)} | ${(median(reach.exact) / c).toFixed(2)}× |`);
    console.log(`| **journeyReach, exact, a saved segment** (its stored membership, as of its last refresh; the refresh on saving took ${fmt(reach.refresh ?? 0)}) | **${fmt(median(reach.stored))}** | ${all(reach.stored)} | ${(median(reach.stored) / c).toFixed(2)}× |`);
    console.log(`\nreach goal ≤ ${fmt(GOALS.reach)}: counted anew ${median(reach.exact) <= GOALS.reach ? "met" : "not met"} (${(median(reach.exact) / GOALS.reach).toFixed(2)}× the goal); a saved segment ${median(reach.stored) <= GOALS.reach ? "met" : "not met"} (${(median(reach.stored) / GOALS.reach).toFixed(2)}×)`);
  }
} finally {
  await db.$disconnect();
}
