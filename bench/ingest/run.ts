/**
 * bench/ingest: sustained events/s through POST /api/v1/batch against a production build.
 *
 *   npm run build && npx tsx bench/ingest/run.ts [--runs 3] [--seconds 20] [--clients 4] [--batch 100] [--warmup 5]
 *
 * Each run: a fresh database (on TEST_DATABASE_URL / DATABASE_URL / 127.0.0.1:5432 /
 * embedded), a workspace with a write key, the app started with the real start command,
 * then `clients` concurrent clients send batches of `batch` generated messages for
 * `warmup` seconds (not measured) and then for `seconds`. Reports events/s and p50/p99 batch latency per run and their medians.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createDb } from "../../server/db/client";
import { freePort } from "../../server/db/embedded";
import { acquireTestServer, createTestDatabase } from "../../server/db/test-database";
import { insertApiKey } from "../../server/keys/service";

const root = path.resolve(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "20" },
    clients: { type: "string", default: "4" },
    batch: { type: "string", default: "100" },
    users: { type: "string", default: "20000" },
    warmup: { type: "string", default: "5" },
  },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const BATCH = Number(values.batch);
const USERS = Number(values.users);
const WARMUP = Number(values.warmup);
/** Batches built before a run: enough for 16,000 events/s over warm-up and measurement. */
const PREBUILT = Math.ceil((16_000 * (WARMUP + SECONDS)) / BATCH);

const EVENTS = ["page_view", "product_viewed", "add_to_cart", "app_open", "feature_used", "purchase", "email_opened"];

let seq = 0;
function message(run: number) {
  seq += 1;
  const user = `bench-user-${(seq * 7919) % USERS}`;
  const common = { messageId: `r${run}-${seq}`, timestamp: new Date().toISOString(), context: { library: { name: "bench" } } };
  if (seq % 20 === 0) {
    return { ...common, type: "identify", userId: user, traits: { plan: seq % 3 ? "free" : "pro", country: "DE", email: `${user}@bench.test` } };
  }
  return {
    ...common,
    type: "track",
    userId: user,
    event: EVENTS[seq % EVENTS.length],
    properties: { product: "Pulse 3", amount: (seq % 300) + 49, feature: "tariff_calculator" },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** One POST on a kept-alive connection; node:http costs the load generator less CPU than fetch. */
function post(agent: http.Agent, port: number, auth: string, body: string): Promise<number> {
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

async function waitForHealth(url: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`app did not become healthy at ${url}`);
}

async function oneRun(adminUrl: string, run: number) {
  const database = await createTestDatabase(adminUrl, "junction_bench_ingest");
  const db = createDb(database.url);
  const workspace = await db.workspace.create({ data: { name: "Bench", slug: `bench-${randomBytes(3).toString("hex")}` } });
  const { raw: writeKey } = await insertApiKey(db, { workspaceId: workspace.id, name: "bench", kind: "write", createdById: null });
  const port = await freePort();
  const app = spawn(process.execPath, ["--import", "tsx", "scripts/run.ts", "start"], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: String(port),
      BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
      INGEST_RATE_LIMIT: "1000000",
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(`${base}/api/v1/health`, 120_000);
    const auth = `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`;
    const latencies: number[] = [];
    let events = 0;
    let failures = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    // Request bodies are made before the clock starts: the generator shares the 2 cores with
    // the app and Postgres, and building and serialising 10,000 messages a second took ~20 %
    // of a core that the server then lacked. (Runs that outlast them build more on the fly.)
    const bodies = Array.from({ length: PREBUILT }, () => JSON.stringify({ batch: Array.from({ length: BATCH }, () => message(run)), sentAt: new Date().toISOString() }));
    let nextBody = 0;
    const body = () => bodies[nextBody++] ?? JSON.stringify({ batch: Array.from({ length: BATCH }, () => message(run)), sentAt: new Date().toISOString() });
    // Warm-up (not measured): the first requests compile the route and fill connection
    // pools and plan caches; what we report is the sustained rate after that.
    const warmupUntil = performance.now() + WARMUP * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < warmupUntil) await post(agent, port, auth, body());
      }),
    );
    const before = await db.event.count({ where: { workspaceId: workspace.id } });
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < deadline) {
          const next = body();
          const t0 = performance.now();
          const status = await post(agent, port, auth, next);
          latencies.push(performance.now() - t0);
          if (status === 200) events += BATCH;
          else failures += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const stored = (await db.event.count({ where: { workspaceId: workspace.id } })) - before;
    latencies.sort((a, b) => a - b);
    return { eventsPerSecond: events / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), batches: latencies.length, failures, stored, sent: events };
  } finally {
    app.kill("SIGTERM");
    await new Promise((r) => app.once("exit", r));
    await db.$disconnect();
    await database.drop();
  }
}

const server = await acquireTestServer(root);
try {
  console.log(`bench/ingest: ${RUNS} runs × ${SECONDS} s, ${CLIENTS} clients, batches of ${BATCH}, ${USERS} distinct users; ${os.cpus().length} cores, ${os.cpus()[0]?.model}`);
  const results = [];
  for (let run = 1; run <= RUNS; run++) {
    const r = await oneRun(server.adminUrl, run);
    results.push(r);
    console.log(
      `run ${run}: ${r.eventsPerSecond.toFixed(0)} events/s, batch p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.batches} batches, ${r.failures} failed, ${r.stored}/${r.sent} stored`,
    );
  }
  console.log(
    `median: ${median(results.map((r) => r.eventsPerSecond)).toFixed(0)} events/s, batch p50 ${median(results.map((r) => r.p50)).toFixed(1)} ms, p99 ${median(results.map((r) => r.p99)).toFixed(1)} ms`,
  );
} finally {
  await server.stop();
}
