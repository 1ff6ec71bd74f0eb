/**
 * bench/feed: the change feed's segment consumer under ingest (issue 17).
 *
 *   npm run build
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/junction_bench_feed npx tsx bench/feed/run.ts [--runs 3]
 *
 * The first run creates and fills the database (bench/feed/data.ts: 1,000,000 profiles /
 * 20,000,000 events from the demo generator, 20 saved segments materialised, everyone's
 * re-checks scheduled); later runs reuse it. The app is the production build
 * (`scripts/run.ts start`, JUNCTION_WORKER=off: the web server only, on --port); the
 * consumers run in a separate `scripts/worker.ts` process (what `npm run worker` runs) when
 * "on" — "off" means no consumer at all. Events go through POST /api/v1/batch with a write
 * key, for existing people (known user ids of the generated profiles).
 *
 * 0. Warm-up: the worker catches up (feed and due re-checks), then 10 s of the steady load.
 * 1. Latency: a steady --rate events/s (batches of --batch every 1000 × batch / rate ms, on
 *    a clock, not back to back) for --latency-seconds. In each batch --flips identify
 *    messages flip "Pro plan in Germany" for one person each (plan pro for someone in
 *    Germany who is not in the segment, free for a member); the rest are track events of
 *    random people. Accepted = the HTTP 200 of the flip's batch; recorded = the first poll
 *    (every --poll-ms, a connection of its own, `WHERE id > last`) that sees the person's
 *    new segment_membership_history row. Meanwhile pg_stat_activity is sampled: what the
 *    worker's connections run.
 * 2. Throughput, consumers off ÷ on: --clients concurrent clients post batches of
 *    --full-batch as fast as they are answered (as bench/ingest does; bodies built before
 *    the clock) for --seconds, off then on, --runs times. Before an "on" run the worker is
 *    started and catches up with what the "off" run stored (timed).
 * 3. Burst: the same full speed for --burst-seconds with the consumers on; when it stops,
 *    the consumer's lag (server/feed/feed.ts feedLag: rows and seconds behind) and the time
 *    until it has caught up (behind = 0), --runs times.
 *
 * The safety net (`segments:refresh-all`, every 10 minutes in the worker) recomputes every
 * segment in SQL; a phase that would overlap it waits until it has run (its duration is
 * reported). CPU use per process (the app, the worker, Postgres, the bench, others) comes
 * from /proc. `--profile`: the worker runs under --cpu-prof during the latency run.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import { execSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createDb, sql } from "../../server/db/client";
import { feedLag } from "../../server/feed/feed";
import { insertApiKey } from "../../server/keys/service";
import { sampleActivity } from "./activity";
import { fmt, load, prepare, timed, WORKSPACE } from "./data";
import { coresUsed, cpuSnapshot, formatCores, hottest, sleep, startNode, type Child, type CpuSnapshot } from "./procs";

const root = path.resolve(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    port: { type: "string", default: "3191" },
    rate: { type: "string", default: "1000" },
    batch: { type: "string", default: "50" },
    flips: { type: "string", default: "2" },
    "latency-seconds": { type: "string", default: "60" },
    "poll-ms": { type: "string", default: "10" },
    seconds: { type: "string", default: "30" },
    clients: { type: "string", default: "4" },
    "full-batch": { type: "string", default: "100" },
    "burst-seconds": { type: "string", default: "60" },
    skip: { type: "string", default: "" }, // latency, throughput, burst
    profile: { type: "boolean", default: false },
    // Also measure the latency while the safety net (segments:refresh-all) runs: 60 s from the :x0 minute.
    "during-check": { type: "boolean", default: false },
    profiles: { type: "string", default: "1000000" },
    events: { type: "string", default: "20000000" },
    seed: { type: "string", default: "1" },
    "prepare-only": { type: "boolean", default: false },
    // Run the worker (the consumers) from another checkout, to measure a change to them against this build's app.
    "worker-root": { type: "string", default: "" },
  },
});
const RUNS = Number(values.runs);
const RATE = Number(values.rate);
const BATCH = Number(values.batch);
const FLIPS = Number(values.flips);
const LATENCY_S = Number(values["latency-seconds"]);
const POLL_MS = Number(values["poll-ms"]);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const FULL_BATCH = Number(values["full-batch"]);
const BURST_S = Number(values["burst-seconds"]);
const skip = new Set(values.skip!.split(",").filter(Boolean));

const url = process.env.DATABASE_URL;
if (!url) throw new Error("set DATABASE_URL to the bench database (bench/README.md)");
const withApp = (name: string) => {
  const u = new URL(url);
  u.searchParams.set("application_name", name);
  return u.toString();
};

const quantile = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))]! : NaN);
const median = (xs: number[]) => quantile(xs, 0.5);
const clock = () => new Date().toISOString().slice(11, 19);
const log = (line: string) => console.log(`${clock()} ${line}`);
const int = (n: number) => Math.round(n).toLocaleString("en");

const db = createDb(withApp("bench"));
const commit = (() => {
  try {
    return execSync("git rev-parse --short HEAD", { cwd: root }).toString().trim();
  } catch {
    return "unknown";
  }
})();
if (values["worker-root"]) console.log(`the worker runs from ${values["worker-root"]} (${execSync("git log -1 --format=%h", { cwd: values["worker-root"] }).toString().trim()}, with its uncommitted changes: ${execSync("git diff --stat", { cwd: values["worker-root"] }).toString().trim() || "none"})`);
console.log(
  `bench/feed: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; commit ${commit}; load average ${load()}; ${new Date().toISOString()}`,
);

const prepared = await prepare(db, url, { profiles: Number(values.profiles), events: Number(values.events), seed: Number(values.seed) });
console.log(`${prepared.segments.length} saved segments:`);
for (const s of prepared.segments) console.log(`  ${s.name}: ${int(s.size)}`);
const [dbSize] = await sql(db).query<{ size: string }>`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`;
console.log(`database size ${dbSize?.size}`);
if (values["prepare-only"]) process.exit(0);
// This Postgres runs without autovacuum: the tables the feed path churns are vacuumed (and
// analysed) before each run, as autovacuum would keep them in a running install.
{
  const [ms] = await timed(() =>
    db.$executeRawUnsafe(
      "VACUUM (ANALYZE) change_feed, feed_cursors, segment_memberships, segment_membership_history, segment_rechecks, segments, segment_size_history, workspace_data_versions, profiles, profile_identities, events",
    ),
  );
  console.log(`VACUUM (ANALYZE) of the tables the feed and ingest write: ${fmt(ms)}`);
}

// ——— People ———

interface Person {
  id: string;
  userId: string;
}
/** Random known people: the track events' senders. */
const people = await sql(db).query<Person>`
  SELECT id, user_id AS "userId" FROM profiles TABLESAMPLE SYSTEM (30) WHERE workspace_id = ${WORKSPACE} AND user_id IS NOT NULL LIMIT 200000`;
/** People in Germany, each flipped once: in the segment now → plan free, not in → plan pro. */
const flipPeople = await sql(db).query<Person & { member: boolean }>`
  SELECT p.id, p.user_id AS "userId",
         EXISTS (SELECT 1 FROM segment_memberships m WHERE m.segment_id = ${prepared.flipSegmentId} AND m.profile_id = p.id AND m.exited_at IS NULL) AS member
    FROM profiles p WHERE p.workspace_id = ${WORKSPACE} AND p.user_id IS NOT NULL AND p.traits->>'country' = 'DE'`;
for (let i = flipPeople.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [flipPeople[i], flipPeople[j]] = [flipPeople[j]!, flipPeople[i]!];
}
console.log(`${int(people.length)} people for track events; ${int(flipPeople.length)} in Germany to flip (${int(flipPeople.filter((p) => p.member).length)} in the segment now)`);

const runTag = randomBytes(3).toString("hex");
let seq = 0;
const EVENTS = ["page_view", "product_viewed", "add_to_cart", "app_open", "feature_used", "purchase", "email_opened"];
function trackMessage() {
  seq++;
  const who = people[Math.floor(Math.random() * people.length)]!;
  if (seq % 20 === 0) {
    return { type: "identify", userId: who.userId, messageId: `feed-${runTag}-${seq}`, timestamp: new Date().toISOString(), traits: { app_version: `3.${seq % 7}.0` } };
  }
  return {
    type: "track",
    userId: who.userId,
    event: EVENTS[seq % EVENTS.length],
    messageId: `feed-${runTag}-${seq}`,
    timestamp: new Date().toISOString(),
    properties: { product: "Pulse 3", amount: (seq % 300) + 49, feature: "tariff_calculator" },
  };
}

// ——— The app, the worker, the API ———

const port = Number(values.port);
const appEnv = {
  ...process.env,
  DATABASE_URL: withApp("junction-web"),
  PORT: String(port),
  APP_URL: `http://127.0.0.1:${port}`,
  BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
  JUNCTION_SECRET_KEY: randomBytes(32).toString("base64"),
  JUNCTION_WORKER: "off",
  INGEST_RATE_LIMIT: "1000000",
  NEXT_TELEMETRY_DISABLED: "1",
  NODE_ENV: "production" as const,
};
const workerEnv = { ...appEnv, DATABASE_URL: withApp("junction-worker") };
const logDir = "/tmp/bench-feed";
mkdirSync(logDir, { recursive: true });
const profDir = path.join(logDir, "prof");

let app: Child | null = null;
let worker: Child | null = null;
async function startWorker(profile = false) {
  if (worker) return;
  worker = await startNode(["scripts/worker.ts"], {
    cwd: values["worker-root"] || root,
    env: workerEnv,
    log: path.join(logDir, "worker.log"),
    ready: /\[junction worker\] running/,
    nodeOptions: profile ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [],
  });
}
async function stopWorker() {
  await worker?.stop();
  worker = null;
}
const cpuGroups = () => ({ app: app?.process.pid, worker: worker?.process.pid, bench: process.pid });
const CPU_ORDER = ["app", "worker", "postgres", "bench", "other", "unattributed", "busy", "idle"];

const { raw: writeKey } = await insertApiKey(db, { workspaceId: WORKSPACE, name: `bench/feed ${runTag}`, kind: "write", createdById: null });
const auth = `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: "127.0.0.1", port, path: "/api/v1/batch", method: "POST", headers: { authorization: auth, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
/** Answers other than 200, by status (or error), over the whole run. */
const statuses = new Map<number | string, number>();
const batchBody = (messages: object[]) => JSON.stringify({ batch: messages, sentAt: new Date().toISOString() });

// ——— The consumer's lag ———

interface Lag {
  rows: number;
  people: number;
  seconds: number;
  due: number;
}
/** Rows, people (events' profile ids) and seconds behind, and re-checks due now. */
async function lag(): Promise<Lag> {
  const [l] = (await feedLag(db)).filter((c) => c.consumer === "segments");
  const [x] = await sql(db).query<{ people: number; due: number }>`
    SELECT (SELECT COALESCE(sum(cardinality(f.profile_ids)) FILTER (WHERE f.kind = 'events'), 0)::int
              FROM change_feed f, feed_cursors c WHERE c.consumer = 'segments' AND (f.xid, f.id) > (c.xid, c.position)) AS people,
           (SELECT count(*)::int FROM segment_rechecks WHERE due_at <= now()) AS due`;
  return { rows: l?.behind ?? 0, people: x!.people, seconds: l?.seconds ?? 0, due: x!.due };
}
const fmtLag = (l: Lag) => `${int(l.rows)} rows (${int(l.people)} people in event rows), ${l.seconds.toFixed(1)} s behind, ${int(l.due)} re-checks due`;

/** Until the consumer has read everything (and, with `due`, no re-check is due); the time it took, or null after `timeoutMs`. */
async function caughtUp(options: { due?: boolean; timeoutMs?: number; every?: number; onSample?: (l: Lag, ms: number) => void } = {}): Promise<number | null> {
  const t0 = performance.now();
  for (;;) {
    const l = await lag();
    const ms = performance.now() - t0;
    options.onSample?.(l, ms);
    if (l.rows === 0 && (!options.due || l.due === 0)) return ms;
    if (ms > (options.timeoutMs ?? 30 * 60_000)) return null;
    await sleep(options.every ?? 200);
  }
}

// ——— The safety net (segments:refresh-all, every 10 minutes in the worker) ———

const checks: { at: string; ms: number }[] = [];
async function refreshAllRunning() {
  const [r] = await sql(db)
    .query<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'segments:refresh-all'`
    .catch(() => [{ n: 0 }]);
  return r!.n > 0;
}
/** Waits, if the phase of `ms` would overlap the next :x0 minute (the check's cron), until the check has run. */
async function quietWindow(ms: number) {
  const untilBoundary = 600_000 - (Date.now() % 600_000);
  if (untilBoundary > ms + 15_000 && !(await refreshAllRunning())) return;
  if (!worker) {
    // Nobody runs the cron while the worker is off: wait past the boundary instead.
    if (untilBoundary <= ms + 15_000) {
      log(`waiting ${fmt(untilBoundary + 2_000)} past the :x0 minute (worker off)`);
      await sleep(untilBoundary + 2_000);
    }
    return;
  }
  if (!(await refreshAllRunning())) {
    log(`waiting ${fmt(untilBoundary)} for the safety-net check (segments:refresh-all) at the :x0 minute, so the next phase does not overlap it`);
    await sleep(untilBoundary + 3_000);
  }
  const t0 = performance.now();
  const at = clock();
  while (await refreshAllRunning()) await sleep(1_000);
  const took = performance.now() - t0;
  checks.push({ at, ms: took });
  log(`segments:refresh-all ran (${fmt(took)} from ${at}); load average ${load()}`);
  await caughtUp({ due: false });
}

// ——— Full-speed ingest (as bench/ingest) ———

interface FullRun {
  events: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  cores: Record<string, number>;
  activity?: Activity;
}
type Activity = { ms: number; byLabel: Map<string, number>; samples: number };
async function fullSpeed(seconds: number): Promise<FullRun> {
  // Bodies built before the clock, for up to 12,000 events/s.
  const bodies = Array.from({ length: Math.ceil((12_000 * seconds) / FULL_BATCH) }, () => batchBody(Array.from({ length: FULL_BATCH }, trackMessage)));
  let next = 0;
  const body = () => bodies[next++] ?? batchBody(Array.from({ length: FULL_BATCH }, trackMessage));
  const latencies: number[] = [];
  let events = 0;
  let failures = 0;
  const activity = sampleActivity(withApp("bench-activity"), ["junction-worker", "junction-web"]);
  const cpu0 = cpuSnapshot(cpuGroups());
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const b = body();
        const t0 = performance.now();
        const status = await post(b);
        latencies.push(performance.now() - t0);
        if (status === 200) events += FULL_BATCH;
        else {
          failures++;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }
    }),
  );
  const wall = performance.now() - started;
  const cores = coresUsed(cpu0, cpuSnapshot(cpuGroups()), wall);
  return {
    activity: await activity.stop(),
    events,
    seconds: wall / 1000,
    perSecond: events / (wall / 1000),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    failures,
    cores,
  };
}

// ——— Steady ingest with flips (latency) ———

interface Flip {
  person: Person;
  enter: boolean;
  sentAt: number;
  acceptedAt?: number;
  seenAt?: number;
}
interface SteadyRun {
  flips: Flip[];
  sentEvents: number;
  acceptedEvents: number;
  seconds: number;
  batchLatencies: number[];
  failures: number;
  changes: number;
  lagSamples: Lag[];
  cores: Record<string, number>;
  activity?: Activity;
  steps: { at: number; position: bigint }[];
  /** performance.now() of the first and the last batch sent. */
  window: [number, number];
}
async function steady(seconds: number, options: { flips: number; measure: boolean }): Promise<SteadyRun> {
  const everyMs = (1000 * BATCH) / RATE;
  const batches = Math.round((seconds * 1000) / everyMs);
  const flips: Flip[] = [];
  const pending = new Map<string, Flip>();
  const poller = new pg.Client({ connectionString: withApp("bench-poll") });
  await poller.connect();
  const [{ last: start }] = (await poller.query<{ last: string }>("SELECT COALESCE(max(id), 0)::text AS last FROM segment_membership_history")).rows as [{ last: string }];
  let last = start;
  let changes = 0;
  let polling = true;
  const steps: { at: number; position: bigint }[] = [];
  let lastPosition = -1n;
  const poll = (async () => {
    while (polling) {
      const t0 = performance.now();
      const { rows } = await poller.query<{ id: string; profile_id: string; segment_id: string; entered: boolean }>(
        "SELECT id::text, profile_id, segment_id, entered FROM segment_membership_history WHERE id > $1 ORDER BY id",
        [last],
      );
      const { rows: cursor } = await poller.query<{ position: string }>("SELECT position::text FROM feed_cursors WHERE consumer = 'segments'");
      const seenAt = performance.now();
      for (const r of rows) {
        changes++;
        if (r.segment_id !== prepared.flipSegmentId) continue;
        const flip = pending.get(r.profile_id);
        if (flip && flip.enter === r.entered) {
          flip.seenAt = seenAt;
          pending.delete(r.profile_id);
        }
      }
      if (rows.length) last = rows.at(-1)!.id;
      const position = BigInt(cursor[0]?.position ?? "0");
      if (position !== lastPosition) {
        steps.push({ at: seenAt, position });
        lastPosition = position;
      }
      const wait = POLL_MS - (seenAt - t0);
      if (wait > 0) await sleep(wait);
    }
  })();
  const lagSamples: Lag[] = [];
  let lagging = true;
  const lagLoop = (async () => {
    while (lagging) {
      lagSamples.push(await lag());
      await sleep(1_000);
    }
  })();
  const activity = options.measure ? sampleActivity(withApp("bench-activity"), ["junction-worker", "junction-web"]) : null;

  const batchLatencies: number[] = [];
  let acceptedEvents = 0;
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const cpu0: CpuSnapshot = cpuSnapshot(cpuGroups());
  const t0 = performance.now();
  for (let k = 0; k < batches; k++) {
    const target = t0 + k * everyMs;
    const wait = target - performance.now();
    if (wait > 0) await sleep(wait);
    const messages: object[] = [];
    const batchFlips: Flip[] = [];
    for (let i = 0; i < options.flips; i++) {
      const person = flipPeople.pop();
      if (!person) throw new Error("no one left in Germany to flip");
      const enter = !(person as Person & { member: boolean }).member;
      seq++;
      messages.push({ type: "identify", userId: person.userId, messageId: `feed-${runTag}-${seq}`, timestamp: new Date().toISOString(), traits: { plan: enter ? "pro" : "free" } });
      batchFlips.push({ person, enter, sentAt: 0 });
    }
    while (messages.length < BATCH) messages.push(trackMessage());
    const body = batchBody(messages);
    const sentAt = performance.now();
    for (const f of batchFlips) {
      f.sentAt = sentAt;
      pending.set(f.person.id, f);
      flips.push(f);
    }
    inFlight.push(
      post(body).then(
        (status) => {
          const at = performance.now();
          batchLatencies.push(at - sentAt);
          if (status === 200) {
            acceptedEvents += BATCH;
            for (const f of batchFlips) f.acceptedAt = at;
          } else {
            failures++;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            for (const f of batchFlips) pending.delete(f.person.id);
          }
        },
        (error: Error) => {
          failures++;
          statuses.set(error.message, (statuses.get(error.message) ?? 0) + 1);
        },
      ),
    );
  }
  const lastSent = performance.now();
  await Promise.all(inFlight);
  const wall = performance.now() - t0;
  const cores = coresUsed(cpu0, cpuSnapshot(cpuGroups()), wall);
  // The last flips: until each is recorded, or the consumer has caught up and 5 s passed.
  const drainStart = performance.now();
  while (pending.size > 0 && performance.now() - drainStart < 120_000) {
    await sleep(200);
    if (performance.now() - drainStart > 5_000 && worker && (await lag()).rows === 0) {
      await sleep(5_000);
      break;
    }
    if (!worker && performance.now() - drainStart > 1_000) break;
  }
  const act = await activity?.stop();
  polling = false;
  lagging = false;
  await Promise.all([poll, lagLoop]);
  await poller.end();
  // Whoever was flipped is now what the flip made them (for a later run of the same process).
  for (const f of flips) (f.person as Person & { member: boolean }).member = f.enter;
  return { flips, sentEvents: batches * BATCH, acceptedEvents, seconds: wall / 1000, batchLatencies, failures, changes, lagSamples, cores, activity: act ?? undefined, steps, window: [t0, lastSent] };
}

// ——— The run ———

const results: {
  latency?: SteadyRun;
  latencyLoad?: string;
  duringCheck?: SteadyRun;
  throughput: { off: FullRun; on: FullRun; catchUp: number | null; behindAtStart: Lag; catchCores: Record<string, number>; catchAct: Activity }[];
  bursts: { run: FullRun; atStop: Lag; maxLag: Lag; catchUp: number | null; samples: { ms: number; rows: number }[] }[];
  loads: string[];
} = { throughput: [], bursts: [], loads: [] };

try {
  app = await startNode(["scripts/run.ts", "start"], { cwd: root, env: appEnv, log: path.join(logDir, "app.log") });
  for (let i = 0; ; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/api/v1/health`).catch(() => null))?.ok) break;
    if (i > 240 || app.process.exitCode !== null) throw new Error(`the app did not start: see ${logDir}/app.log`);
    await sleep(500);
  }
  log(`app up on port ${port} (production build, JUNCTION_WORKER=off)`);

  // 0. Warm-up: the worker catches up with everything (the feed, due re-checks), then 10 s of load.
  await startWorker();
  log(`worker up; before the warm-up: ${fmtLag(await lag())}`);
  const warm = await caughtUp({ due: true, every: 1_000, onSample: (l, ms) => ms > 0 && Math.round(ms / 1000) % 30 === 0 && log(`  catching up: ${fmtLag(l)}`) });
  log(`caught up in ${fmt(warm ?? NaN)}; load average ${load()}`);
  await quietWindow(30_000);
  await steady(10, { flips: FLIPS, measure: false });
  await caughtUp({ due: false });
  log(`warm-up done; load average ${load()}`);

  if (!skip.has("latency")) {
    const seconds = LATENCY_S;
    await quietWindow(seconds * 1000 + 30_000);
    if (values.profile) {
      await stopWorker();
      rmSync(profDir, { recursive: true, force: true });
      await startWorker(true);
      await caughtUp({ due: true });
    }
    log(`latency: ${RATE} events/s in batches of ${BATCH} every ${((1000 * BATCH) / RATE).toFixed(0)} ms, ${FLIPS} flips per batch, ${seconds} s; load average ${load()}`);
    const r = await steady(seconds, { flips: FLIPS, measure: true });
    results.latency = r;
    results.latencyLoad = load();
    const measured = r.flips.filter((f) => f.acceptedAt !== undefined && f.seenAt !== undefined);
    const lat = measured.map((f) => f.seenAt! - f.acceptedAt!);
    log(
      `  ${int(r.acceptedEvents / r.seconds)} events/s accepted (${int(r.acceptedEvents)} of ${int(r.sentEvents)}, ${r.failures} failed), batch p50 ${fmt(quantile(r.batchLatencies, 0.5))} p99 ${fmt(quantile(r.batchLatencies, 0.99))}; ${int(r.changes)} membership changes recorded`,
    );
    log(`  accepted → recorded: ${measured.length} of ${r.flips.length} flips: p50 ${fmt(quantile(lat, 0.5))}, p95 ${fmt(quantile(lat, 0.95))}, p99 ${fmt(quantile(lat, 0.99))}, max ${fmt(Math.max(...lat))}`);
    log(`  CPU (cores): ${formatCores(r.cores, CPU_ORDER)}; load average ${load()}`);
    if (values.profile) {
      await stopWorker();
      const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
      if (file) for (const line of hottest(path.join(profDir, file), 30)) console.log(`    ${line}`);
      await startWorker();
    }
  }

  if (!skip.has("throughput")) {
    for (let run = 1; run <= RUNS; run++) {
      await stopWorker();
      await quietWindow(SECONDS * 1000 + 5_000);
      const off = await fullSpeed(SECONDS);
      log(`throughput run ${run}, consumers off: ${int(off.perSecond)} events/s (batch p50 ${fmt(off.p50)}, p99 ${fmt(off.p99)}, ${off.failures} failed); CPU ${formatCores(off.cores, CPU_ORDER)}`);
      const profiling = values.profile && run === 1;
      if (profiling) rmSync(profDir, { recursive: true, force: true });
      await startWorker(profiling);
      const behindAtStart = await lag();
      // The consumer alone (no ingest): what re-deciding one person costs.
      const catchActivity = sampleActivity(withApp("bench-activity"), ["junction-worker", "junction-web"]);
      const cpuA = cpuSnapshot(cpuGroups());
      const catchUp = await caughtUp({ due: false });
      const catchCores = coresUsed(cpuA, cpuSnapshot(cpuGroups()), catchUp ?? NaN);
      const catchAct = await catchActivity.stop();
      log(
        `  the worker caught up with the off run (${fmtLag(behindAtStart)}) in ${fmt(catchUp ?? NaN)}: ${int(behindAtStart.people / ((catchUp ?? NaN) / 1000))} people/s; CPU ${formatCores(catchCores, CPU_ORDER)}`,
      );
      if (profiling) {
        await stopWorker();
        const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
        console.log(`  the worker's CPU profile while catching up alone (${file ? path.join(profDir, file) : "none written"}):`);
        if (file) for (const line of hottest(path.join(profDir, file), 40)) console.log(`    ${line}`);
        await startWorker();
      }
      await quietWindow(SECONDS * 1000 + 5_000);
      const on = await fullSpeed(SECONDS);
      log(`throughput run ${run}, consumers on: ${int(on.perSecond)} events/s (batch p50 ${fmt(on.p50)}, p99 ${fmt(on.p99)}, ${on.failures} failed); on ÷ off ${(on.perSecond / off.perSecond).toFixed(2)}; CPU ${formatCores(on.cores, CPU_ORDER)}`);
      results.throughput.push({ off, on, catchUp, behindAtStart, catchCores, catchAct });
      results.loads.push(load());
      const t = await caughtUp({ due: false });
      log(`  caught up with the on run in ${fmt(t ?? NaN)}; load average ${load()}`);
    }
  }

  if (!skip.has("burst")) {
    await startWorker();
    for (let run = 1; run <= RUNS; run++) {
      await caughtUp({ due: false });
      await quietWindow(BURST_S * 1000 + 240_000);
      const run_ = await fullSpeed(BURST_S);
      const atStop = await lag();
      let maxLag = atStop;
      const samples: { ms: number; rows: number }[] = [];
      const catchUp = await caughtUp({
        every: 500,
        onSample: (l, ms) => {
          samples.push({ ms, rows: l.rows });
          if (l.rows > maxLag.rows) maxLag = l;
        },
      });
      log(
        `burst run ${run}: ${int(run_.perSecond)} events/s for ${BURST_S} s (${int(run_.events)} events); at the stop ${fmtLag(atStop)}; caught up after ${fmt(catchUp ?? NaN)}; CPU during the burst ${formatCores(run_.cores, CPU_ORDER)}; load average ${load()}`,
      );
      results.bursts.push({ run: run_, atStop, maxLag, catchUp, samples });
    }
  }
  if (values["during-check"]) {
    await startWorker();
    await caughtUp({ due: false });
    const untilBoundary = 600_000 - (Date.now() % 600_000);
    log(`during the safety net: waiting ${fmt(untilBoundary)} for the :x0 minute`);
    await sleep(untilBoundary + 500);
    log(`latency while segments:refresh-all runs: ${RATE} events/s, ${LATENCY_S} s; load average ${load()}`);
    const r = await steady(LATENCY_S, { flips: FLIPS, measure: true });
    results.duringCheck = r;
    const lat = r.flips.filter((f) => f.acceptedAt !== undefined && f.seenAt !== undefined).map((f) => f.seenAt! - f.acceptedAt!);
    log(`  accepted → recorded: ${lat.length} of ${r.flips.length}: p50 ${fmt(quantile(lat, 0.5))}, p95 ${fmt(quantile(lat, 0.95))}, p99 ${fmt(quantile(lat, 0.99))}, max ${fmt(Math.max(...lat))}; CPU ${formatCores(r.cores, CPU_ORDER)}`);
    const t0 = performance.now();
    while (await refreshAllRunning()) await sleep(1_000);
    log(`  segments:refresh-all still ran ${fmt(performance.now() - t0)} after the measured minute`);
  }
} finally {
  await stopWorker().catch(() => {});
  await app?.stop().catch(() => {});
  agent.destroy();
}

// ——— The tables for bench/README.md ———

/** What the worker's and the app's connections did (pg_stat_activity samples), per second of the run. */
function activityTable(what: string, a: Activity, top = 30) {
  const perSample = a.ms / a.samples;
  console.log(`\nConnections of the worker and the app during ${what} (pg_stat_activity every ~${perSample.toFixed(1)} ms, ${a.samples} samples): connection-ms per second`);
  console.log(`| what | ms/s |`);
  console.log(`| --- | ---: |`);
  for (const [label, n] of [...a.byLabel].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`| ${label} | ${((n * perSample) / (a.ms / 1000)).toFixed(0)} |`);
}

console.log(`\n## results (commit ${commit}; load average at the end ${load()})\n`);
if (results.latency) {
  const r = results.latency;
  const measured = r.flips.filter((f) => f.acceptedAt !== undefined && f.seenAt !== undefined);
  const lat = measured.map((f) => f.seenAt! - f.acceptedAt!);
  const fromSend = measured.map((f) => f.seenAt! - f.sentAt);
  const enter = measured.filter((f) => f.enter).map((f) => f.seenAt! - f.acceptedAt!);
  const exit = measured.filter((f) => !f.enter).map((f) => f.seenAt! - f.acceptedAt!);
  console.log(`| Event accepted → membership change recorded (${int(r.acceptedEvents / r.seconds)} events/s for ${r.seconds.toFixed(0)} s) | p50 | p95 | p99 | max | measured |`);
  console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
  const row = (label: string, xs: number[]) => `| ${label} | ${fmt(quantile(xs, 0.5))} | ${fmt(quantile(xs, 0.95))} | ${fmt(quantile(xs, 0.99))} | ${fmt(Math.max(...xs))} | ${int(xs.length)} |`;
  console.log(row("**HTTP 200 → history row seen**", lat));
  console.log(row("entries (plan → pro)", enter));
  console.log(row("exits (plan → free)", exit));
  console.log(row("request sent → history row seen", fromSend));
  console.log(row("the batch request (sent → 200)", r.batchLatencies));
  const missing = r.flips.filter((f) => f.acceptedAt !== undefined && f.seenAt === undefined);
  if (missing.length) console.log(`\nnot recorded: ${missing.slice(0, 10).map((f) => `${f.person.id} (${f.enter ? "enter" : "exit"})`).join(", ")}`);
  console.log(`\n${measured.length} of ${r.flips.length} flips recorded (${r.flips.length - measured.length} not within the wait); ${int(r.changes)} membership changes in all segments during the run (${int(r.changes / r.seconds)}/s)`);
  const lags = r.lagSamples;
  console.log(`consumer lag sampled every second: rows behind p50 ${quantile(lags.map((l) => l.rows), 0.5)}, max ${Math.max(...lags.map((l) => l.rows))}; seconds behind p50 ${quantile(lags.map((l) => l.seconds), 0.5).toFixed(2)}, max ${Math.max(...lags.map((l) => l.seconds)).toFixed(2)}`);
  const during = r.steps.filter((s) => s.at >= r.window[0] && s.at <= r.window[1]);
  const gaps = during.slice(1).map((s, i) => s.at - during[i]!.at);
  console.log(`cursor moves seen by the poll while events were sent: ${during.length} (${(during.length / r.seconds).toFixed(1)}/s); gap between moves p50 ${fmt(quantile(gaps, 0.5))}, p95 ${fmt(quantile(gaps, 0.95))}, max ${fmt(Math.max(...gaps))}`);
  console.log(`CPU (cores of ${os.cpus().length}): ${formatCores(r.cores, CPU_ORDER)}; load average at the end ${results.latencyLoad}`);
  if (r.activity) activityTable("the latency run", r.activity);
}
if (results.duringCheck) {
  const r = results.duringCheck;
  const lat = r.flips.filter((f) => f.acceptedAt !== undefined && f.seenAt !== undefined).map((f) => f.seenAt! - f.acceptedAt!);
  console.log(`\n| While segments:refresh-all runs (${int(r.acceptedEvents / r.seconds)} events/s for ${r.seconds.toFixed(0)} s) | p50 | p95 | p99 | max | measured |`);
  console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
  console.log(`| HTTP 200 → history row seen | ${fmt(quantile(lat, 0.5))} | ${fmt(quantile(lat, 0.95))} | ${fmt(quantile(lat, 0.99))} | ${fmt(Math.max(...lat))} | ${int(lat.length)} of ${r.flips.length} |`);
  console.log(`| the batch request (sent → 200) | ${fmt(quantile(r.batchLatencies, 0.5))} | ${fmt(quantile(r.batchLatencies, 0.95))} | ${fmt(quantile(r.batchLatencies, 0.99))} | ${fmt(Math.max(...r.batchLatencies))} | ${r.batchLatencies.length} |`);
  console.log(`CPU: ${formatCores(r.cores, CPU_ORDER)}`);
  if (r.activity) activityTable("the minute of segments:refresh-all", r.activity, 15);
}
if (results.throughput.length) {
  const t = results.throughput;
  console.log(`\n| Full-speed ingest (${CLIENTS} clients × batches of ${FULL_BATCH}, ${SECONDS} s) | run 1 | run 2 | run 3 | median |`);
  console.log(`| --- | ---: | ---: | ---: | ---: |`);
  const cells = (xs: number[], f: (x: number) => string) => `${xs.map(f).join(" | ")}${" | —".repeat(Math.max(0, 3 - xs.length))} | ${f(median(xs))}`;
  console.log(`| consumers off, events/s | ${cells(t.map((x) => x.off.perSecond), int)} |`);
  console.log(`| consumers on, events/s | ${cells(t.map((x) => x.on.perSecond), int)} |`);
  const ratios = t.map((x) => x.on.perSecond / x.off.perSecond);
  console.log(`| **on ÷ off** | ${cells(ratios, (x) => x.toFixed(2))} |`);
  console.log(`| batch p50 off / on | ${t.map((x) => `${fmt(x.off.p50)} / ${fmt(x.on.p50)}`).join(" | ")} | |`);
  console.log(`| worker catching up with the off run | ${t.map((x) => `${fmt(x.catchUp ?? NaN)} (${int(x.behindAtStart.rows)} rows)`).join(" | ")} | |`);
  console.log(`\nmedian of the per-run ratios ${median(ratios).toFixed(2)}; ratio of the medians ${(median(t.map((x) => x.on.perSecond)) / median(t.map((x) => x.off.perSecond))).toFixed(2)}`);
  for (const [i, x] of t.entries()) console.log(`run ${i + 1} CPU off: ${formatCores(x.off.cores, CPU_ORDER)}; on: ${formatCores(x.on.cores, CPU_ORDER)}; load ${results.loads[i]}`);
  for (const [i, x] of t.entries()) {
    const secs = (x.catchUp ?? NaN) / 1000;
    const people = x.behindAtStart.people;
    const c = x.catchCores;
    console.log(
      `run ${i + 1} catching up alone: ${int(people)} people in ${secs.toFixed(1)} s = ${int(people / secs)} people/s; CPU ${formatCores(c, CPU_ORDER)}; ` +
        `${(((c.worker ?? 0) * secs * 1000) / people).toFixed(3)} ms of worker CPU and ${((((c.postgres ?? 0) + (c.unattributed ?? 0)) * secs * 1000) / people).toFixed(3)} ms of Postgres CPU per person`,
    );
  }
  if (t[0]) activityTable("the worker catching up alone after throughput run 1 (no ingest)", t[0].catchAct);
  for (const [i, x] of t.entries()) {
    if (x.off.activity) activityTable(`throughput run ${i + 1}, consumers off`, x.off.activity, 12);
    if (x.on.activity) activityTable(`throughput run ${i + 1}, consumers on`, x.on.activity);
  }
}
if (results.bursts.length) {
  const b = results.bursts;
  console.log(`\n| Burst: ${BURST_S} s at full speed, consumers on | ${b.map((_, i) => `run ${i + 1}`).join(" | ")} | median |`);
  console.log(`| --- | ${b.map(() => "---:").join(" | ")} | ---: |`);
  const row = (label: string, f: (x: (typeof b)[number]) => number, show: (n: number) => string) =>
    console.log(`| ${label} | ${b.map((x) => show(f(x))).join(" | ")} | ${show(median(b.map(f)))} |`);
  row("events/s", (x) => x.run.perSecond, int);
  row("events stored", (x) => x.run.events, int);
  row("lag at the stop: feed rows", (x) => x.atStop.rows, int);
  row("lag at the stop: people in event rows", (x) => x.atStop.people, int);
  row("**lag at the stop: seconds**", (x) => x.atStop.seconds, (n) => `${n.toFixed(1)} s`);
  row("**time to catch up (behind = 0)**", (x) => x.catchUp ?? NaN, fmt);
  row("people re-decided per second while catching up", (x) => x.atStop.people / ((x.catchUp ?? NaN) / 1000), int);
  for (const [i, x] of b.entries()) console.log(`run ${i + 1} CPU during the burst: ${formatCores(x.run.cores, CPU_ORDER)}`);
  if (b[0]?.run.activity) activityTable("burst run 1", b[0].run.activity);
}
if (statuses.size) console.log(`\nrequests not answered 200: ${[...statuses].map(([s, n]) => `${s} × ${n}`).join(", ")}`);
if (checks.length) console.log(`\nsegments:refresh-all (the 10-minute safety net) ran ${checks.map((c) => `at ${c.at} for ${fmt(c.ms)}`).join(", ")}; no phase overlapped it`);
process.exit(0);
