/**
 * bench/journeys/runtime.ts: the journey runtime under load (issue 18).
 *
 *   npm run build        # for the latency phase over HTTP (or --latency-via store)
 *   npx tsx bench/journeys/runtime.ts [--runs 3] [--quick]
 *
 * Each run gets a fresh database on the local Postgres (--admin-url, default
 * postgresql://postgres@127.0.0.1:5432/postgres), migrated with the project's own runner
 * (server/db/migrate.ts), dropped at the end (--keep keeps it). The worker is what
 * `npm run worker` runs (scripts/worker.ts: graphile-worker, the feed consumers, the journey
 * runtime), a process of its own. The SMTP sink (smtp-server on 127.0.0.1, with a login) lives
 * in the bench process and notes when each mail arrived; the email channel is pooled
 * (`pool: true`, the connections journeys keep open).
 *
 * Setup: a workspace with a global frequency cap (3 marketing emails per 7 days), an opt-out
 * marketing subscription group, the email channel, a template (subject and body with the
 * person's and the trigger event's fields, an unsubscribe link) and the journey
 * trigger (event) → branch (plan = pro) → send email → exit (else → exit), with a goal event.
 * People: --people for the throughput, rate × seconds for the latency, --waits for the
 * waits, all created through ingestBatch (identify: email, first name, plan pro), then the
 * tables VACUUM ANALYZEd (this Postgres runs without autovacuum) and the worker started.
 *
 * 1. Throughput: --people trigger events through ingestBatch (the tracking API's store path,
 *    --clients concurrent batches of --batch) as fast as it takes them; the worker's journeys
 *    consumer enrolls, the stepper moves each enrollment trigger → branch → send → exit in one
 *    transition (a "step" here: one stepper transition of one enrollment, one journey_steps
 *    row), the sender sends. Timed from the data (entered_at, journey_steps.at,
 *    deliveries.sent_at) and from the sink; nothing reads the database meanwhile. A stand-in
 *    for autovacuum (this Postgres has it off) vacuums and analyzes as its defaults would.
 * 1b. The stepper from a backlog: the worker stopped, --backlog people (no email address, so
 *    their sends are decided without SMTP) triggered and enrolled by the journeys consumer in
 *    the bench process; then the worker starts and its stepper takes them all: steps/s of the
 *    stepper itself, which is what the ratio to graphile-worker's empty jobs compares.
 * 2. graphile-worker's empty-job rate in the same run: the worker stopped, --jobs no-op jobs
 *    added with addJobs, then a runner with the worker's settings (server/jobs/run.ts
 *    JOB_RUNNER: same concurrency and poll interval; bench/journeys/runtime-gw.ts) drains
 *    them: jobs / (queue empty − first job started).
 * 3. Waits: --waits people enter trigger → wait 1 hour → exit; once all wait, their due time
 *    (wake_at and the state's wakeAt) is set to one moment 3 s ahead on the database clock;
 *    the time until all have moved on (step 2 committed, seen by a poll every 50 ms).
 * 4. Latency: a steady --rate trigger events/s for --seconds (batches every 50 ms, on a
 *    clock), each for a person of their own, through POST /api/v1/batch of the production
 *    build (`scripts/run.ts start` from --app-root, JUNCTION_WORKER=off) or, with
 *    --latency-via store, ingestBatch in this process. Accepted = the HTTP 200 (or the
 *    commit) of the person's batch; received = the sink has the whole message.
 */
import "../feed/server-only";
import { execSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { makeWorkerUtils } from "graphile-worker";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";
import { createDb, sql, type Db } from "../../server/db/client";
import { migrate } from "../../server/db/migrate";
import { coresUsed, cpuSnapshot, formatCores, hottest, sleep, startNode, type Child, type CpuSnapshot } from "../feed/procs";

const root = path.resolve(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    quick: { type: "boolean", default: false },
    people: { type: "string" },
    jobs: { type: "string" },
    waits: { type: "string" },
    backlog: { type: "string" },
    rate: { type: "string", default: "200" },
    seconds: { type: "string" },
    warmup: { type: "string" },
    clients: { type: "string", default: "4" },
    batch: { type: "string", default: "100" },
    "latency-via": { type: "string", default: "http" },
    "app-root": { type: "string", default: root },
    "worker-root": { type: "string", default: root },
    port: { type: "string", default: "3193" },
    "admin-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    skip: { type: "string", default: "" },
    keep: { type: "boolean", default: false },
    // A CPU profile of the worker in run 1 from the start of this phase to its next stop: throughput (with the setup) or backlog.
    profile: { type: "string", default: "" },
  },
});
const QUICK = values.quick!;
const RUNS = Number(values.runs ?? (QUICK ? 1 : 3));
const PEOPLE = Number(values.people ?? (QUICK ? 5_000 : 100_000));
const JOBS = Number(values.jobs ?? (QUICK ? 5_000 : 100_000));
const WAITS = Number(values.waits ?? (QUICK ? 1_000 : 10_000));
const BACKLOG = Number(values.backlog ?? (QUICK ? 2_000 : 20_000));
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds ?? (QUICK ? 10 : 60));
const CLIENTS = Number(values.clients);
const BATCH = Number(values.batch);
const VIA = values["latency-via"] as "http" | "store";
const skip = new Set(values.skip!.split(",").filter(Boolean));
const LATENCY_EVERY_MS = 50;
const PER_BATCH = Math.max(1, Math.round((RATE * LATENCY_EVERY_MS) / 1000));
const LATENCY_BATCHES = Math.round((SECONDS * 1000) / LATENCY_EVERY_MS);
/** Before the measured window, the same rate for this long, not measured (a worker's first seconds at a new load are slower). */
const WARMUP_SECONDS = Number(values.warmup ?? (QUICK ? 5 : 10));
const WARMUP_BATCHES = Math.round((WARMUP_SECONDS * 1000) / LATENCY_EVERY_MS);
const LATENCY_PEOPLE = PER_BATCH * (WARMUP_BATCHES + LATENCY_BATCHES);

// The services read these when they are called; the worker and the app get the same.
const SECRET_KEY = randomBytes(32).toString("base64");
process.env.JUNCTION_SECRET_KEY = SECRET_KEY;
process.env.JUNCTION_ALLOW_PRIVATE_NETWORK = "1";
// server/env.ts wants one (read once); every run passes its own database to the services.
process.env.DATABASE_URL ??= values["admin-url"];
const port = Number(values.port);
process.env.APP_URL = `http://127.0.0.1:${port}`;

const { parseMessage } = await import("../../lib/ingest/schema");
const { ZJourneyDefinition } = await import("../../lib/journeys/schema");
const { saveChannel } = await import("../../server/channels/service");
const { createGroup } = await import("../../server/consent/service");
const { feedLag } = await import("../../server/feed/feed");
const { ingestBatch } = await import("../../server/ingest/service");
const { createJourney, publishJourney } = await import("../../server/journeys/service");
const { insertApiKey } = await import("../../server/keys/service");
const { createTemplate } = await import("../../server/messages/templates");
const { drain } = await import("../../server/feed/consumer");
const { journeysConsumer } = await import("../../server/journeys/runtime/triggers");
const { segmentsConsumer } = await import("../../server/segments/consumer");

type JourneyDefinition = import("../../lib/journeys/schema").JourneyDefinition;

const quantile = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))]! : NaN);
const median = (xs: number[]) => quantile(xs.filter((x) => Number.isFinite(x)), 0.5);
const fmt = (ms: number) => (!Number.isFinite(ms) ? "—" : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en") : "—");
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(", ");
const stamp = () => new Date().toISOString().slice(11, 19);
const log = (line: string) => console.log(`${stamp()} ${line}`);
const withApp = (url: string, name: string) => {
  const u = new URL(url);
  u.searchParams.set("application_name", name);
  return u.toString();
};

const commit = (() => {
  try {
    return execSync("git rev-parse --short HEAD", { cwd: root }).toString().trim() + (execSync("git status --porcelain -- server/journeys/runtime server/jobs", { cwd: root }).toString().trim() ? " + uncommitted runtime changes" : "");
  } catch {
    return "unknown";
  }
})();
const [pgVersion] = await (async () => {
  const c = new pg.Client({ connectionString: values["admin-url"] });
  await c.connect();
  const r = await c.query<{ v: string }>("SELECT split_part(version(), ' (', 1) AS v");
  await c.end();
  return [r.rows[0]!.v];
})();
const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${pgVersion} on the same machine, node ${process.version}`;
console.log(`bench/journeys/runtime: ${machine}; commit ${commit}; load average ${load()}; ${new Date().toISOString()}`);
console.log(
  `${RUNS} run(s): ${int(PEOPLE)} people through the journey, ${int(JOBS)} empty jobs, ${int(WAITS)} waits due at once, latency ${RATE} events/s for ${SECONDS} s via ${VIA === "http" ? "HTTP (production build)" : "ingestBatch"}`,
);

// ——— The SMTP sink ———

const SMTP_USER = "junction";
const SMTP_PASSWORD = randomBytes(12).toString("hex");
/** When each address's mail arrived (ms since the epoch), and how many in all. */
const mail = { at: new Map<string, number>(), count: 0, duplicates: 0 };
const sink = new SMTPServer({
  authOptional: false,
  logger: false,
  disabledCommands: ["STARTTLS"],
  size: 1_000_000,
  maxClients: 100,
  onAuth(auth, _session, callback) {
    if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) return callback(null, { user: SMTP_USER });
    callback(Object.assign(new Error("Authentication failed"), { responseCode: 535 }));
  },
  onData(stream, session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => {
      const now = Date.now();
      for (const r of session.envelope.rcptTo) {
        if (mail.at.has(r.address)) mail.duplicates++;
        else mail.at.set(r.address, now);
        mail.count++;
      }
      callback();
    });
  },
});
await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
const smtpPort = (sink.server.address() as AddressInfo).port;

// ——— Processes ———

const logDir = "/tmp/bench-journeys-runtime";
mkdirSync(logDir, { recursive: true });
const baseEnv = {
  ...process.env,
  PORT: String(port),
  APP_URL: `http://127.0.0.1:${port}`,
  BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
  JUNCTION_SECRET_KEY: SECRET_KEY,
  JUNCTION_ALLOW_PRIVATE_NETWORK: "1",
  JUNCTION_WORKER: "off",
  INGEST_RATE_LIMIT: "1000000",
  NEXT_TELEMETRY_DISABLED: "1",
  NODE_ENV: "production" as const,
};

interface Procs {
  worker: Child | null;
  app: Child | null;
  gw: Child | null;
}
const procs: Procs = { worker: null, app: null, gw: null };
const cpuGroups = () => ({ worker: procs.worker?.process.pid, app: procs.app?.process.pid, gw: procs.gw?.process.pid, bench: process.pid });
const CPU_ORDER = ["worker", "gw", "app", "postgres", "bench", "other", "unattributed", "busy", "idle"];

const profDir = path.join(logDir, "prof");
let profiling = false;
async function startWorker(url: string, profile = false) {
  profiling = profile;
  if (profile) rmSync(profDir, { recursive: true, force: true });
  procs.worker = await startNode(["scripts/worker.ts"], {
    cwd: values["worker-root"]!,
    env: { ...baseEnv, DATABASE_URL: withApp(url, "junction-worker") },
    log: path.join(logDir, "worker.log"),
    ready: /\[junction worker\] running/,
    nodeOptions: profile ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [],
  });
}
async function stopWorker() {
  await procs.worker?.stop();
  procs.worker = null;
  if (profiling) {
    profiling = false;
    const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
    console.log(`  the worker's CPU profile (${file ? path.join(profDir, file) : "none written"}):`);
    if (file) for (const line of hottest(path.join(profDir, file), 45)) console.log(`    ${line}`);
  }
}

// ——— Setup ———

const WORKSPACE = "ws_runtime";
const ACTOR = { userId: null, label: "bench/journeys/runtime" };
const TRIGGER = "tariff_calculator_opened";
const WAIT_TRIGGER = "bench_wait_started";

async function createDatabase(name: string) {
  const admin = new pg.Client({ connectionString: values["admin-url"] });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const u = new URL(values["admin-url"]!);
  u.pathname = `/${name}`;
  return u.toString();
}
async function dropDatabase(name: string) {
  const admin = new pg.Client({ connectionString: values["admin-url"] });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

const node = (n: Record<string, unknown>) => n;
const edge = (from: string, to: string, exit = "next") => ({ id: `${from}-${exit}-${to}`, from, exit, to });

async function publish(db: Db, name: string, def: unknown): Promise<string> {
  const draft: JourneyDefinition = ZJourneyDefinition.parse(def);
  const { id, revision } = await createJourney(db, { workspaceId: WORKSPACE, actor: ACTOR, name, draft });
  await publishJourney(db, { workspaceId: WORKSPACE, actor: ACTOR, id, revision });
  return id;
}

interface Setup {
  sendJourney: string;
  waitJourney: string;
  writeKey: string;
}

async function setup(db: Db): Promise<Setup> {
  await db.workspace.create({
    data: { id: WORKSPACE, name: "Bench runtime", slug: "bench-runtime", frequencyCaps: [{ channel: "email", purpose: "marketing", max: 3, days: 7 }] },
  });
  const group = await createGroup(db, { workspaceId: WORKSPACE, actor: ACTOR, group: { name: "Product news", description: "", channel: "email", mode: "opt_out", purpose: "marketing" } });
  await saveChannel(db, {
    workspaceId: WORKSPACE,
    actor: ACTOR,
    name: "Email",
    config: { kind: "email", settings: { host: "127.0.0.1", port: smtpPort, security: "none", user: SMTP_USER, pool: true, senders: [{ name: "Acme", address: "hello@acme.test" }] } } as never,
    secrets: { password: SMTP_PASSWORD },
  });
  const template = await createTemplate(db, {
    workspaceId: WORKSPACE,
    actor: ACTOR,
    name: "Tariff analysis",
    channel: "email",
    content: {
      channel: "email",
      subscriptionGroupId: group.id,
      subject: "Your {{ event.properties.tariff | default: 'tariff' }} analysis, {{ person.first_name | default: 'there' }}",
      preheader: "Three things we noticed",
      html: "<p>Hi {{ person.first_name | default: 'there' }},</p><p>here is the short analysis of {{ event.properties.tariff }}.</p><p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>",
      text: "",
    },
  });
  const pro = { schemaVersion: 1, root: { type: "group", id: "g", op: "and", children: [{ type: "trait", id: "t", field: "traits.plan", valueType: "string", operator: { op: "equals", value: "pro" } }] } };
  const sendJourney = await publish(db, "Tariff reminder", {
    schemaVersion: 1,
    nodes: [
      node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: TRIGGER, filters: [] } }),
      node({ id: "branch", kind: "branch", cases: [{ id: "pro", name: "Pro plan", condition: pro }] }),
      node({ id: "send", kind: "send", channel: "email", templateId: template.id, onFailure: "continue" }),
      node({ id: "done", kind: "exit" }),
      node({ id: "other", kind: "exit" }),
    ],
    edges: [edge("trigger", "branch"), edge("branch", "send", "pro"), edge("branch", "other", "else"), edge("send", "done")],
    settings: { reentry: { mode: "never" }, goal: { type: "event", event: "tariff_result_viewed", filters: [], window: { amount: 7, unit: "days" } } },
  });
  const waitJourney = await publish(db, "Waits", {
    schemaVersion: 1,
    nodes: [
      node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: WAIT_TRIGGER, filters: [] } }),
      node({ id: "wait", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "hours" } } }),
      node({ id: "done", kind: "exit" }),
    ],
    edges: [edge("trigger", "wait"), edge("wait", "done")],
    settings: { reentry: { mode: "never" } },
  });
  const { raw: writeKey } = await insertApiKey(db, { workspaceId: WORKSPACE, name: "bench", kind: "write", createdById: null });
  return { sendJourney, waitJourney, writeKey };
}

let seq = 0;
const runTag = randomBytes(3).toString("hex");
function items(raws: object[]) {
  return raws.map((raw) => {
    const parsed = parseMessage(raw);
    if (!parsed.ok) throw new Error(parsed.error);
    return { message: parsed.message, receivedAt: new Date() };
  });
}
const identify = (userId: string, i: number, withEmail = true) => ({
  type: "identify",
  userId,
  messageId: `id-${runTag}-${++seq}`,
  timestamp: new Date().toISOString(),
  traits: { ...(withEmail ? { email: `${userId}@bench.test` } : {}), first_name: `Person ${i}`, plan: "pro", country: "DE" },
});
const track = (userId: string, event: string) => ({
  type: "track",
  userId,
  event,
  messageId: `tr-${runTag}-${++seq}`,
  timestamp: new Date().toISOString(),
  properties: { tariff: "Flex 12", source: "calculator" },
});

/** Stores messages through ingestBatch, `clients` batches at once; returns when all are stored. */
async function ingestAll(db: Db, messages: object[], options: { batch: number; clients: number }) {
  let next = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (next < messages.length) {
        const chunk = messages.slice(next, next + options.batch);
        next += options.batch;
        const outcomes = await ingestBatch(db, { workspaceId: WORKSPACE, items: items(chunk) });
        const bad = outcomes.find((o) => o !== "stored");
        if (bad) throw new Error(`ingest did not store a message: ${JSON.stringify(bad)}`);
      }
    }),
  );
}

async function caughtUp(db: Db, timeoutMs = 300_000) {
  const t0 = performance.now();
  for (;;) {
    const lags = await feedLag(db);
    if (lags.length >= 2 && lags.every((l) => l.behind === 0)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`the feed consumers did not catch up: ${JSON.stringify(lags)}`);
    await sleep(200);
  }
}

async function vacuum(db: Db, tables: string) {
  await db.$executeRawUnsafe(`VACUUM (ANALYZE) ${tables}`);
}

// ——— 1. Throughput ———

interface Sample {
  t: number;
  ingested: number;
  enrolled: number;
  stepped: number;
  sent: number;
  mails: number;
}

interface Throughput {
  people: number;
  ingestMs: number;
  /** From the first event offered to ingest (bench clock, ms since the epoch). */
  start: number;
  ingestEnd: number;
  enrolFirst: number;
  enrolLast: number;
  steps: number;
  stepFirst: number;
  stepLast: number;
  stepsWhileDue: number;
  dueMs: number;
  sentFirst: number;
  sentLast: number;
  mails: number;
  mailLast: number;
  cores: Record<string, number>;
  timeline: Sample[];
  vacuums: string[];
}

async function throughput(db: Db, s: Setup): Promise<Throughput> {
  const people = Array.from({ length: PEOPLE }, (_, i) => `t-${i}`);
  const messages = people.map((u) => track(u, TRIGGER));
  const address = (u: string) => `${u}@bench.test`;
  const ingestedAt: { t: number; n: number }[] = [];
  let ingested = 0;
  const vacuums = autovacuum(db);
  const cpu0 = cpuSnapshot(cpuGroups());
  const start = Date.now();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < messages.length) {
        const chunk = messages.slice(next, next + BATCH);
        next += BATCH;
        await ingestBatch(db, { workspaceId: WORKSPACE, items: items(chunk) });
        ingested += chunk.length;
        ingestedAt.push({ t: Date.now(), n: ingested });
      }
    }),
  );
  const ingestMs = performance.now() - t0;
  const ingestEnd = Date.now();
  log(`  ${int(PEOPLE)} trigger events stored in ${fmt(ingestMs)} (${int(PEOPLE / (ingestMs / 1000))}/s); load average ${load()}`);
  // Until every person's mail is at the sink (or no mail came for 60 s). Nothing here reads the database meanwhile.
  let lastCount = -1;
  let lastProgress = Date.now();
  for (;;) {
    const got = people.reduce((n, u) => n + (mail.at.has(address(u)) ? 1 : 0), 0);
    if (got >= PEOPLE) break;
    if (got !== lastCount) {
      lastCount = got;
      lastProgress = Date.now();
    } else if (Date.now() - lastProgress > 60_000) {
      const [left] = await sql(db).query<{ queued: number; other: number }>`
        SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued, count(*) FILTER (WHERE status NOT IN ('queued', 'sent'))::int AS other FROM deliveries WHERE journey_id = ${s.sendJourney}`;
      log(`  stalled: ${int(got)} of ${int(PEOPLE)} mails, no new one for 60 s; deliveries queued ${int(left!.queued)}, neither queued nor sent ${int(left!.other)}`);
      break;
    }
    await sleep(250);
  }
  const cores = coresUsed(cpu0, cpuSnapshot(cpuGroups()), Date.now() - start);
  const vacuumed = await vacuums.stop();

  // The timeline, from the times the runtime stored: entered_at (the consumer's step began),
  // the step's at (the stepper's batch began), sent_at (the provider answered); mails from the sink.
  const rows = await sql(db).query<{ entered: Date; stepped: Date | null; sent: Date | null }>`
    SELECT e.entered_at AS entered, st.at AS stepped, d.sent_at AS sent
      FROM journey_enrollments e
      LEFT JOIN journey_steps st ON st.enrollment_id = e.id AND st.step = 1
      LEFT JOIN deliveries d ON d.enrollment_id = e.id
     WHERE e.journey_id = ${s.sendJourney}`;
  const entered = rows.map((r) => r.entered.getTime()).sort((a, b) => a - b);
  const stepped = rows.flatMap((r) => (r.stepped ? [r.stepped.getTime()] : [])).sort((a, b) => a - b);
  const sent = rows.flatMap((r) => (r.sent ? [r.sent.getTime()] : [])).sort((a, b) => a - b);
  const mailTimes = people.flatMap((u) => (mail.at.has(address(u)) ? [mail.at.get(address(u))!] : [])).sort((a, b) => a - b);
  const upTo = (xs: number[], t: number) => {
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const end = Math.max(mailTimes.at(-1) ?? start, stepped.at(-1) ?? start);
  const timeline: Sample[] = [];
  for (let t = start; t <= end + 1000; t += 1000) {
    timeline.push({ t, ingested: ingestedAt.filter((x) => x.t <= t).at(-1)?.n ?? 0, enrolled: upTo(entered, t), stepped: upTo(stepped, t), sent: upTo(sent, t), mails: upTo(mailTimes, t) });
  }
  // Steps taken in the seconds that began with more than a batch of enrollments entered and not yet stepped.
  let stepsWhileDue = 0;
  let dueMs = 0;
  for (let i = 1; i < timeline.length; i++) {
    const a = timeline[i - 1]!;
    const b = timeline[i]!;
    if (a.enrolled - a.stepped > 200 && b.enrolled - b.stepped > 0) {
      stepsWhileDue += b.stepped - a.stepped;
      dueMs += b.t - a.t;
    }
  }
  return {
    people: PEOPLE,
    ingestMs,
    start,
    ingestEnd,
    enrolFirst: entered[0] ?? NaN,
    enrolLast: entered.at(-1) ?? NaN,
    steps: stepped.length,
    stepFirst: stepped[0] ?? NaN,
    stepLast: stepped.at(-1) ?? NaN,
    stepsWhileDue,
    dueMs,
    sentFirst: sent[0] ?? NaN,
    sentLast: sent.at(-1) ?? NaN,
    mails: mailTimes.length,
    mailLast: mailTimes.at(-1) ?? NaN,
    cores,
    timeline,
    vacuums: vacuumed,
  };
}

/**
 * This Postgres runs without autovacuum; a running install has it. So while the runtime
 * churns its tables, the bench does what autovacuum would with its default settings: every
 * 60 s (autovacuum_naptime), VACUUM a table whose dead rows passed 50 + 20 % of its rows,
 * ANALYZE one whose changes since the last analyze passed 50 + 10 %. Returns what it did.
 */
function autovacuum(db: Db, naptimeMs = 60_000) {
  let stopped = false;
  let wake: (() => void) | null = null;
  const done: string[] = [];
  const loop = (async () => {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, naptimeMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) break;
      const tables = await sql(db).query<{ relname: string; vacuum: boolean; analyze: boolean }>`
        SELECT relname, n_dead_tup > 50 + 0.2 * n_live_tup AS vacuum, n_mod_since_analyze > 50 + 0.1 * n_live_tup AS analyze
          FROM pg_stat_user_tables WHERE schemaname = 'public'`;
      for (const t of tables.filter((x) => x.vacuum || x.analyze)) {
        const t0 = performance.now();
        await db.$executeRawUnsafe(`${t.vacuum ? "VACUUM (ANALYZE)" : "ANALYZE"} "${t.relname}"`);
        done.push(`${t.vacuum ? "vacuum" : "analyze"} ${t.relname} ${fmt(performance.now() - t0)}`);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      return done;
    },
  };
}

// ——— 1b. The stepper from a backlog ———

interface Backlog {
  ingestMs: number;
  enrollMs: number;
  startMs: number;
  steps: number;
  /** First to last step (the steps' at). */
  stepMs: number;
  cores: Record<string, number>;
}

/**
 * The same journey, with everyone due at once: the worker is stopped, BACKLOG trigger events
 * are stored, and the journeys consumer (the production code, run here in the bench process)
 * enrolls them all; then the worker starts and its stepper takes them from a backlog, with the
 * sender working beside it. These people have no email address: their sends are decided
 * (suppressed, "no email address") without SMTP, so the run is not held by the sink — the
 * stepper's work per person is the same (branch, queue the send, exit).
 */
async function backlog(db: Db, s: Setup, url: string, runNumber: number): Promise<Backlog> {
  await stopWorker();
  const people = Array.from({ length: BACKLOG }, (_, i) => `b-${i}`);
  const [ingestMs] = await timedMs(() => ingestAll(db, people.map((u) => track(u, TRIGGER)), { batch: BATCH, clients: CLIENTS }));
  await drain(db, segmentsConsumer(db));
  const [enrollMs] = await timedMs(() => drain(db, journeysConsumer(db)));
  const cpu0 = cpuSnapshot(cpuGroups());
  const wall0 = Date.now();
  const [startMs] = await timedMs(() => startWorker(url, values.profile === "backlog" && runNumber === 1));
  for (;;) {
    const [row] = await sql(db).query<{ n: number }>`
      SELECT count(*)::int AS n FROM journey_enrollments WHERE journey_id = ${s.sendJourney} AND status = 'active' AND wake_at IS NOT NULL`;
    if (row!.n === 0) break;
    if (Date.now() - wall0 > 300_000) throw new Error(`${row!.n} enrollments still due after 5 minutes`);
    await sleep(100);
  }
  const cores = coresUsed(cpu0, cpuSnapshot(cpuGroups()), Date.now() - wall0);
  const [t] = await sql(db).query<{ n: number; first: Date; last: Date }>`
    SELECT count(*)::int AS n, min(st.at) AS first, max(st.at) AS last
      FROM journey_steps st JOIN journey_enrollments e ON e.id = st.enrollment_id JOIN profiles p ON p.id = e.profile_id
     WHERE e.journey_id = ${s.sendJourney} AND p.user_id LIKE 'b-%'`;
  // Their sends decided, so the next phase starts from a quiet queue.
  while ((await sql(db).query<{ n: number }>`SELECT count(*)::int AS n FROM deliveries WHERE journey_id = ${s.sendJourney} AND status IN ('queued', 'sending')`)[0]!.n > 0) await sleep(200);
  return { ingestMs, enrollMs, startMs, steps: t!.n, stepMs: t!.last.getTime() - t!.first.getTime(), cores };
}

async function timedMs<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const result = await fn();
  return [performance.now() - t0, result];
}

// ——— 2. graphile-worker's empty jobs ———

interface Jobs {
  jobs: number;
  addMs: number;
  drainMs: number;
  perSecond: number;
  cores: Record<string, number>;
}

async function emptyJobs(url: string, poller: pg.Client): Promise<Jobs> {
  const utils = await makeWorkerUtils({ connectionString: url });
  const t0 = performance.now();
  try {
    for (let i = 0; i < JOBS; i += 5_000) {
      await utils.addJobs(Array.from({ length: Math.min(5_000, JOBS - i) }, (_, k) => ({ identifier: "bench_noop", payload: { n: i + k } })));
    }
  } finally {
    await utils.release();
  }
  const addMs = performance.now() - t0;
  let firstJobAt = 0;
  const gwLog = path.join(logDir, "gw.log");
  procs.gw = await startNode(["bench/journeys/runtime-gw.ts"], { cwd: root, env: { ...baseEnv, DATABASE_URL: withApp(url, "bench-gw") }, log: gwLog, ready: /"ready"/ });
  procs.gw.process.stdout!.on("data", (chunk: Buffer) => {
    const m = /"firstJobAt":(\d+)/.exec(chunk.toString());
    if (m) firstJobAt = Number(m[1]);
  });
  const cpu0: CpuSnapshot = cpuSnapshot(cpuGroups());
  const c0 = Date.now();
  let drained = 0;
  for (;;) {
    const { rows } = await poller.query<{ n: number }>("SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = 'bench_noop'");
    if (rows[0]!.n === 0) {
      drained = Date.now();
      break;
    }
    if (Date.now() - c0 > 15 * 60_000) throw new Error("graphile-worker did not drain the empty jobs in 15 minutes");
    await sleep(50);
  }
  const cores = coresUsed(cpu0, cpuSnapshot(cpuGroups()), drained - c0);
  await procs.gw.stop();
  procs.gw = null;
  const drainMs = drained - (firstJobAt || c0);
  return { jobs: JOBS, addMs, drainMs, perSecond: JOBS / (drainMs / 1000), cores };
}

// ——— 3. Waits due at once ———

interface Waits {
  waits: number;
  enterMs: number;
  allMovedMs: number;
  stepLagP50: number;
  stepLagP95: number;
  stepLagMax: number;
  perSecond: number;
}

async function waits(db: Db, s: Setup, poller: pg.Client): Promise<Waits> {
  const people = Array.from({ length: WAITS }, (_, i) => `w-${i}`);
  const t0 = performance.now();
  await ingestAll(db, people.map((u) => track(u, WAIT_TRIGGER)), { batch: BATCH, clients: 2 });
  for (;;) {
    const { rows } = await poller.query<{ n: number }>("SELECT count(*)::int AS n FROM journey_enrollments WHERE journey_id = $1 AND node_id = 'wait' AND step = 1", [s.waitJourney]);
    if (rows[0]!.n >= WAITS) break;
    if (performance.now() - t0 > 300_000) throw new Error(`only ${rows[0]!.n} of ${WAITS} waiting after 5 minutes`);
    await sleep(200);
  }
  const enterMs = performance.now() - t0;
  // One moment 3 s ahead on the database clock, in the column and in the state the interpreter reads.
  const [{ due }] = (await poller.query<{ due: Date }>("SELECT date_trunc('milliseconds', clock_timestamp() + interval '3 seconds') AS due")).rows as [{ due: Date }];
  await poller.query("UPDATE journey_enrollments SET wake_at = $2, state = jsonb_set(state, '{wakeAt}', to_jsonb($3::text)) WHERE journey_id = $1 AND status = 'active'", [
    s.waitJourney,
    due,
    due.toISOString(),
  ]);
  if (Date.now() > due.getTime() - 500) log(`  (setting the due time took until ${due.getTime() - Date.now()} ms before it)`);
  let allAt = NaN;
  for (;;) {
    const { rows } = await poller.query<{ n: number }>("SELECT count(*)::int AS n FROM journey_enrollments WHERE journey_id = $1 AND step >= 2", [s.waitJourney]);
    if (rows[0]!.n >= WAITS) {
      allAt = Date.now();
      break;
    }
    if (Date.now() - due.getTime() > 120_000) {
      log(`  only ${rows[0]!.n} of ${WAITS} moved on 2 minutes after they were due`);
      break;
    }
    await sleep(50);
  }
  const lags = (
    await poller.query<{ ms: number }>(
      "SELECT (EXTRACT(EPOCH FROM st.at - $2::timestamptz) * 1000)::float8 AS ms FROM journey_steps st JOIN journey_enrollments e ON e.id = st.enrollment_id WHERE e.journey_id = $1 AND st.step = 2",
      [s.waitJourney, due],
    )
  ).rows.map((r) => r.ms);
  const allMovedMs = allAt - due.getTime();
  return {
    waits: WAITS,
    enterMs,
    allMovedMs,
    stepLagP50: quantile(lags, 0.5),
    stepLagP95: quantile(lags, 0.95),
    stepLagMax: Math.max(...lags),
    perSecond: WAITS / (allMovedMs / 1000),
  };
}

// ——— 4. Latency at a steady rate ———

interface Latency {
  via: "http" | "store";
  sent: number;
  accepted: number;
  received: number;
  seconds: number;
  lat: number[];
  acceptMs: number[];
  failures: number;
  cores: Record<string, number>;
  /** Per person, where the time went (database times: entered_at, the step's at, sent_at). */
  hops: { enrolled: number[]; stepped: number[]; sent: number[]; received: number[] };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
function poster(writeKey: string) {
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`;
  return (body: string) =>
    new Promise<number>((resolve, reject) => {
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

async function latency(db: Db, s: Setup): Promise<Latency> {
  const post = poster(s.writeKey);
  const perBatch = PER_BATCH;
  const batches = WARMUP_BATCHES + LATENCY_BATCHES;
  const accepted = new Map<string, number>();
  const acceptMs: number[] = [];
  let failures = 0;
  let k = 0;
  const inFlight: Promise<void>[] = [];
  let cpu0 = cpuSnapshot(cpuGroups());
  const t0 = performance.now();
  let measuredFrom = t0;
  let wall0 = Date.now();
  for (let b = 0; b < batches; b++) {
    const wait = t0 + b * LATENCY_EVERY_MS - performance.now();
    if (wait > 0) await sleep(wait);
    const warming = b < WARMUP_BATCHES;
    if (b === WARMUP_BATCHES) {
      cpu0 = cpuSnapshot(cpuGroups());
      measuredFrom = performance.now();
      wall0 = Date.now();
    }
    const who = Array.from({ length: perBatch }, () => `l-${k++}`);
    const messages = who.map((u) => track(u, TRIGGER));
    const sentAt = performance.now();
    const done = (ok: boolean) => {
      const at = Date.now();
      if (warming) return;
      acceptMs.push(performance.now() - sentAt);
      if (ok) for (const u of who) accepted.set(`${u}@bench.test`, at);
      else failures++;
    };
    inFlight.push(
      VIA === "http"
        ? post(JSON.stringify({ batch: messages, sentAt: new Date().toISOString() })).then(
            (status) => done(status === 200),
            () => done(false),
          )
        : ingestBatch(db, { workspaceId: WORKSPACE, items: items(messages) }).then(
            () => done(true),
            () => done(false),
          ),
    );
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - measuredFrom) / 1000;
  // The last mails: until all have arrived, or 30 s passed.
  const waitFrom = Date.now();
  while (Date.now() - waitFrom < 30_000 && [...accepted.keys()].some((a) => !mail.at.has(a))) await sleep(100);
  const cores = coresUsed(cpu0, cpuSnapshot(cpuGroups()), Date.now() - wall0);
  const lat = [...accepted].flatMap(([address, at]) => (mail.at.has(address) ? [mail.at.get(address)! - at] : []));
  // Where the time went: accepted → enrolled (the consumer's step began) → stepped (the stepper's batch began) → sent (the provider answered) → at the sink.
  const times = await sql(db).query<{ user_id: string; entered: Date; stepped: Date | null; sent: Date | null }>`
    SELECT p.user_id, e.entered_at AS entered, st.at AS stepped, d.sent_at AS sent
      FROM journey_enrollments e JOIN profiles p ON p.id = e.profile_id
      LEFT JOIN journey_steps st ON st.enrollment_id = e.id AND st.step = 1
      LEFT JOIN deliveries d ON d.enrollment_id = e.id
     WHERE e.journey_id = ${s.sendJourney} AND p.user_id LIKE 'l-%'`;
  const hops: Latency["hops"] = { enrolled: [], stepped: [], sent: [], received: [] };
  for (const t of times) {
    const address = `${t.user_id}@bench.test`;
    const at = accepted.get(address);
    const got = mail.at.get(address);
    if (at === undefined || got === undefined || !t.stepped || !t.sent) continue;
    hops.enrolled.push(t.entered.getTime() - at);
    hops.stepped.push(t.stepped.getTime() - t.entered.getTime());
    hops.sent.push(t.sent.getTime() - t.stepped.getTime());
    hops.received.push(got - t.sent.getTime());
  }
  return { via: VIA, sent: PER_BATCH * LATENCY_BATCHES, accepted: accepted.size, received: lat.length, seconds, lat, acceptMs, failures, cores, hops };
}

// ——— A run ———

interface RunResult {
  setupMs: number;
  throughput?: Throughput;
  backlog?: Backlog;
  jobs?: Jobs;
  waits?: Waits;
  latency?: Latency;
}

async function oneRun(run: number): Promise<RunResult> {
  const name = `junction_bench_runtime_${runTag}_${run}`;
  const url = await createDatabase(name);
  const result: RunResult = { setupMs: 0 };
  const db = createDb(withApp(url, "bench"));
  const poller = new pg.Client({ connectionString: withApp(url, "bench-poll") });
  try {
    const t0 = performance.now();
    await migrate(url, { log: () => {} });
    await poller.connect();
    const s = await setup(db);
    // Everyone the phases need, created before the worker starts.
    const everyone = [
      ...Array.from({ length: PEOPLE }, (_, i) => `t-${i}`),
      ...Array.from({ length: WAITS }, (_, i) => `w-${i}`),
      ...Array.from({ length: LATENCY_PEOPLE }, (_, i) => `l-${i}`),
    ];
    const backlogPeople = Array.from({ length: BACKLOG }, (_, i) => `b-${i}`);
    await ingestAll(db, [...everyone.map((u, i) => identify(u, i)), ...backlogPeople.map((u, i) => identify(u, i, false))], { batch: 1_000, clients: 2 });
    await vacuum(db, "profiles, profile_identities, events, change_feed");
    await startWorker(url, values.profile === "throughput" && run === 1);
    const catchUp = await caughtUp(db);
    result.setupMs = performance.now() - t0;
    log(`run ${run}: database ${name}, ${int(everyone.length)} people, worker caught up with their feed rows in ${fmt(catchUp)}; setup ${fmt(result.setupMs)}; load average ${load()}`);

    if (!skip.has("throughput")) {
      log(`run ${run}: throughput, ${int(PEOPLE)} people (${CLIENTS} × batches of ${BATCH} through ingestBatch)`);
      const r = await throughput(db, s);
      result.throughput = r;
      log(
        `  enrolled from ${fmt(r.enrolFirst - r.start)} to ${fmt(r.enrolLast - r.start)} (entered_at); ${int(r.steps)} steps in ${fmt(r.stepLast - r.stepFirst)} = ${int(r.steps / ((r.stepLast - r.stepFirst) / 1000))} steps/s (${int(r.stepsWhileDue / (r.dueMs / 1000))}/s while due work waited, ${fmt(r.dueMs)}); ${int(r.mails)} mails, the last ${fmt(r.mailLast - r.start)} after the start = ${int(r.mails / ((r.mailLast - r.start) / 1000))} people/s end to end; CPU ${formatCores(r.cores, CPU_ORDER)}`,
      );
      if (r.vacuums.length) log(`  the autovacuum stand-in: ${r.vacuums.join(", ")}`);
      for (const x of r.timeline.filter((_, i) => i % 5 === 0)) {
        log(`    +${((x.t - r.start) / 1000).toFixed(0).padStart(3)} s: ingested ${int(x.ingested)}, enrolled ${int(x.enrolled)}, stepped ${int(x.stepped)}, sent ${int(x.sent)}, mails ${int(x.mails)}`);
      }
      await vacuum(db, "journey_enrollments, journey_steps, journey_entries, deliveries, events, change_feed, feed_cursors");
    }
    if (!skip.has("backlog")) {
      log(`run ${run}: the stepper from a backlog, ${int(BACKLOG)} people enrolled while the worker was stopped`);
      const b = await backlog(db, s, url, run);
      result.backlog = b;
      log(
        `  stored in ${fmt(b.ingestMs)}; enrolled by the journeys consumer alone (in the bench process) in ${fmt(b.enrollMs)} = ${int(BACKLOG / (b.enrollMs / 1000))}/s; worker up in ${fmt(b.startMs)}; ${int(b.steps)} steps in ${fmt(b.stepMs)} = ${int(b.steps / (b.stepMs / 1000))} steps/s; CPU ${formatCores(b.cores, CPU_ORDER)}`,
      );
      await vacuum(db, "journey_enrollments, journey_steps, journey_entries, deliveries, events, change_feed, feed_cursors");
    }
    if (!skip.has("jobs")) {
      await stopWorker();
      log(`run ${run}: graphile-worker, ${int(JOBS)} empty jobs (the worker stopped meanwhile)`);
      const j = await emptyJobs(url, poller);
      result.jobs = j;
      log(`  added in ${fmt(j.addMs)}; drained in ${fmt(j.drainMs)} = ${int(j.perSecond)} jobs/s; CPU ${formatCores(j.cores, CPU_ORDER)}`);
      await startWorker(url);
      await caughtUp(db);
    }
    if (!skip.has("waits")) {
      log(`run ${run}: waits, ${int(WAITS)} due at once`);
      const w = await waits(db, s, poller);
      result.waits = w;
      log(`  entered and waiting in ${fmt(w.enterMs)}; all moved on ${fmt(w.allMovedMs)} after the due time (${int(w.perSecond)}/s); step time − due: p50 ${fmt(w.stepLagP50)}, p95 ${fmt(w.stepLagP95)}, max ${fmt(w.stepLagMax)}`);
    }
    if (!skip.has("latency")) {
      if (VIA === "http") {
        procs.app = await startNode(["scripts/run.ts", "start"], { cwd: values["app-root"]!, env: { ...baseEnv, DATABASE_URL: withApp(url, "junction-web") }, log: path.join(logDir, "app.log") });
        for (let i = 0; ; i++) {
          if ((await fetch(`http://127.0.0.1:${port}/api/v1/health`).catch(() => null))?.ok) break;
          if (i > 240 || procs.app.process.exitCode !== null) throw new Error(`the app did not start: see ${logDir}/app.log`);
          await sleep(500);
        }
        // Warm-up: a few requests no one measures (the first ones load the route, open pools).
        const post = poster(s.writeKey);
        for (let i = 0; i < 20; i++) {
          const status = await post(JSON.stringify({ batch: [track(`warm-${i}`, "warm_up")], sentAt: new Date().toISOString() }));
          if (status !== 200) throw new Error(`the tracking API answered ${status}`);
        }
      }
      log(`run ${run}: latency, ${RATE} events/s for ${SECONDS} s via ${VIA}`);
      const l = await latency(db, s);
      result.latency = l;
      log(
        `  ${int(l.accepted)} of ${int(l.sent)} accepted (${l.failures} failed batches), ${int(l.received)} mails; accepted → mail p50 ${fmt(quantile(l.lat, 0.5))}, p95 ${fmt(quantile(l.lat, 0.95))}, p99 ${fmt(quantile(l.lat, 0.99))}, max ${fmt(Math.max(...l.lat))}; batch accepted in p50 ${fmt(quantile(l.acceptMs, 0.5))}; CPU ${formatCores(l.cores, CPU_ORDER)}`,
      );
      log(`  p50 / p95 per hop: ${(["enrolled", "stepped", "sent", "received"] as const).map((h) => `${h} ${fmt(quantile(l.hops[h], 0.5))} / ${fmt(quantile(l.hops[h], 0.95))}`).join(", ")}`);
    }
    const dup = mail.duplicates;
    if (dup > 0) log(`  ${dup} duplicate mails at the sink (same address twice)`);
  } finally {
    await procs.app?.stop().catch(() => {});
    procs.app = null;
    await stopWorker().catch(() => {});
    await poller.end().catch(() => {});
    await db.$disconnect();
    if (!values.keep) await dropDatabase(name);
    else log(`kept database ${name}`);
  }
  mail.at.clear();
  mail.count = 0;
  return result;
}

if (VIA === "http" && !skip.has("latency") && !existsSync(path.join(values["app-root"]!, ".next", "BUILD_ID"))) {
  throw new Error(`no production build in ${values["app-root"]} (npm run build there), or use --latency-via store`);
}

const results: RunResult[] = [];
try {
  for (let run = 1; run <= RUNS; run++) results.push(await oneRun(run));
} finally {
  sink.close();
  agent.destroy();
}

// ——— The tables for bench/README.md ———

console.log(`\n## results (${machine}; commit ${commit}; load average at the end ${load()})\n`);
const cells = (xs: number[], f: (x: number) => string) => `${xs.map(f).join(" | ")}${" | —".repeat(Math.max(0, 3 - xs.length))} | ${f(median(xs))}`;
const runsHeader = `${results.map((_, i) => `run ${i + 1}`).join(" | ")}${" | —".repeat(Math.max(0, 3 - results.length))} | median`;
const sep = `--- | ${[...results.map(() => "---:"), ...Array(Math.max(0, 3 - results.length)).fill("---:")].join(" | ")} | ---:`;
const row = (label: string, xs: number[], f: (x: number) => string) => console.log(`| ${label} | ${cells(xs, f)} |`);
const ratio = (x: number) => x.toFixed(2);

const T = results.flatMap((r) => (r.throughput ? [r.throughput] : []));
const J = results.flatMap((r) => (r.jobs ? [r.jobs] : []));
if (T.length) {
  console.log(`| Throughput: ${int(PEOPLE)} people, trigger → branch → send → exit | ${runsHeader} |`);
  console.log(`| ${sep} |`);
  row("trigger events stored (ingestBatch), events/s", T.map((t) => t.people / (t.ingestMs / 1000)), int);
  row("enrolled (journeys consumer): last entered_at after the start", T.map((t) => t.enrolLast - t.start), fmt);
  row("pipeline: steps/s (first to last step)", T.map((t) => t.steps / ((t.stepLast - t.stepFirst) / 1000)), int);
  row("pipeline: steps/s in the seconds that began with > 200 due", T.map((t) => t.stepsWhileDue / (t.dueMs / 1000)), int);
  row("sender: sent/s (first to last sent_at)", T.map((t) => t.people / ((t.sentLast - t.sentFirst) / 1000)), int);
  row("**end to end: people/s** (first event offered → last mail at the sink)", T.map((t) => t.mails / ((t.mailLast - t.start) / 1000)), int);
  row("mails at the sink", T.map((t) => t.mails), int);
  const B = results.flatMap((r) => (r.backlog ? [r.backlog] : []));
  if (B.length === T.length) {
    row(`stepper from a backlog of ${int(BACKLOG)}: **steps/s**`, B.map((b) => b.steps / (b.stepMs / 1000)), int);
    row(`enrolling ${int(BACKLOG)}, journeys consumer alone: enrollments/s`, B.map((b) => BACKLOG / (b.enrollMs / 1000)), int);
  }
  if (J.length === T.length) {
    row("graphile-worker empty jobs/s (same concurrency, from a backlog of 100,000)", J.map((j) => j.perSecond), int);
    if (B.length === T.length) row("**stepper steps/s (backlog) ÷ empty jobs/s**", B.map((b, i) => b.steps / (b.stepMs / 1000) / J[i]!.perSecond), ratio);
    row("pipeline steps/s ÷ empty jobs/s", T.map((t, i) => t.steps / ((t.stepLast - t.stepFirst) / 1000) / J[i]!.perSecond), ratio);
    row("end-to-end people/s ÷ empty jobs/s", T.map((t, i) => t.mails / ((t.mailLast - t.start) / 1000) / J[i]!.perSecond), ratio);
  }
  for (const [i, t] of T.entries()) console.log(`run ${i + 1} CPU during throughput: ${formatCores(t.cores, CPU_ORDER)}`);
}
if (J.length) {
  for (const [i, j] of J.entries()) console.log(`run ${i + 1} graphile-worker: ${int(j.jobs)} jobs added in ${fmt(j.addMs)}, drained in ${fmt(j.drainMs)}; CPU ${formatCores(j.cores, CPU_ORDER)}`);
}
const W = results.flatMap((r) => (r.waits ? [r.waits] : []));
if (W.length) {
  console.log(`\n| Waits: ${int(WAITS)} due at the same moment | ${runsHeader} |`);
  console.log(`| ${sep} |`);
  row("**all moved on (committed), after the due time**", W.map((w) => w.allMovedMs), fmt);
  row("step taken − due time, p50", W.map((w) => w.stepLagP50), fmt);
  row("step taken − due time, p95", W.map((w) => w.stepLagP95), fmt);
  row("stepper, enrollments/s", W.map((w) => w.perSecond), int);
}
const L = results.flatMap((r) => (r.latency ? [r.latency] : []));
if (L.length) {
  console.log(`\n| Latency: ${RATE} events/s for ${SECONDS} s, event accepted (${VIA === "http" ? "HTTP 200" : "ingestBatch commit"}) → mail at the sink | ${runsHeader} |`);
  console.log(`| ${sep} |`);
  row("p50", L.map((l) => quantile(l.lat, 0.5)), fmt);
  row("**p95**", L.map((l) => quantile(l.lat, 0.95)), fmt);
  row("p99", L.map((l) => quantile(l.lat, 0.99)), fmt);
  row("max", L.map((l) => Math.max(...l.lat)), fmt);
  row("mails received of accepted", L.map((l) => l.received / l.accepted), (x) => `${(100 * x).toFixed(1)} %`);
  row("batch accepted in, p50", L.map((l) => quantile(l.acceptMs, 0.5)), fmt);
  for (const [hop, label] of [
    ["enrolled", "accepted → enrolled (consumer's step began), p50 / p95"],
    ["stepped", "enrolled → stepped (stepper's batch began), p50 / p95"],
    ["sent", "stepped → provider answered, p50 / p95"],
    ["received", "provider answered → at the sink, p50 / p95"],
  ] as const) {
    console.log(`| ${label} | ${L.map((l) => `${fmt(quantile(l.hops[hop], 0.5))} / ${fmt(quantile(l.hops[hop], 0.95))}`).join(" | ")}${" | —".repeat(Math.max(0, 3 - L.length))} | |`);
  }
  for (const [i, l] of L.entries()) console.log(`run ${i + 1} CPU during latency: ${formatCores(l.cores, CPU_ORDER)}`);
}
process.exit(0);
