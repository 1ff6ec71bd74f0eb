/**
 * bench/segments/evaluator: in-memory segment evaluation speed on one core.
 *
 *   npx tsx bench/segments/evaluator.ts [--profiles 2000] [--events 200] [--runs 5] [--seconds 1]
 *
 * Builds synthetic profiles (seeded PRNG, so every run sees the same data) with `events`
 * events each over the last 90 days, and a few realistic definitions. For each definition,
 * each run evaluates every profile as often as fits in `seconds` and reports
 * evaluations/s; the table shows the median of `runs` runs for compileEvaluator (the fast
 * path: compiled once, no trace) and for evaluate (compiles per call, full trace).
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { compileEvaluator, evaluate, type EvalEvent, type EvalInput } from "../../lib/segments/evaluate";
import { validate, type SegmentDefinition } from "../../lib/segments/schema";

const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "2000" },
    events: { type: "string", default: "200" },
    runs: { type: "string", default: "5" },
    seconds: { type: "string", default: "1" },
  },
});
const PROFILES = Number(values.profiles);
const EVENTS = Number(values.events);
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);

const NOW = new Date("2026-11-25T12:00:00Z");
const DAY = 86_400_000;

// mulberry32: small, fast, deterministic.
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const NAMES = ["page_view", "product_viewed", "add_to_cart", "app_open", "feature_used", "purchase", "email_opened"] as const;
const WEIGHTS = [30, 20, 8, 20, 10, 4, 8];
const weighted = (): string => {
  let r = random() * WEIGHTS.reduce((a, b) => a + b, 0);
  for (let k = 0; k < NAMES.length; k++) if ((r -= WEIGHTS[k]!) < 0) return NAMES[k]!;
  return NAMES[0];
};
const COUNTRIES = ["DE", "DE", "FR", "US", "GB", "NL", "AT", null] as const;
const PLANS = ["free", "free", "pro", "team", "enterprise"] as const;
const CATEGORIES = ["watch", "strap", "charger", "subscription"] as const;

function makeEvent(): EvalEvent {
  const name = weighted();
  const timestamp = new Date(NOW.getTime() - Math.floor(random() * 90 * DAY));
  const properties: Record<string, unknown> =
    name === "purchase"
      ? { amount: Math.round(random() * 30000) / 100, currency: "EUR", product: { category: pick(CATEGORIES), sku: `sku-${Math.floor(random() * 500)}` } }
      : name === "page_view"
        ? { path: pick(["/", "/shop", "/watch", "/account", "/blog/post"]), referrer: pick(["google", "direct", "newsletter"]) }
        : name === "email_opened"
          ? { campaign: pick(["black-friday", "welcome", "winback"]) }
          : { screen: pick(["home", "workout", "settings"]) };
  return { name, timestamp, properties };
}

const inputs: EvalInput[] = [];
for (let p = 0; p < PROFILES; p++) {
  const events = Array.from({ length: EVENTS }, makeEvent);
  const firstSeenAt = new Date(Math.min(...events.map((e) => e.timestamp.getTime())));
  const lastSeenAt = new Date(Math.max(...events.map((e) => e.timestamp.getTime())));
  const signedUp = new Date(firstSeenAt.getTime() - Math.floor(random() * 300 * DAY)).toISOString();
  inputs.push({
    profile: {
      id: `profile-${p}`,
      userId: random() < 0.85 ? `user-${p}` : null,
      email: random() < 0.8 ? `person${p}@${pick(["example.com", "gmail.com", "acme.io"])}` : null,
      phone: null,
      timezone: pick(["Europe/Berlin", "Europe/Paris", "America/New_York", null]),
      locale: pick(["de-DE", "en-US", "fr-FR", null]),
      country: pick(COUNTRIES),
      traits: {
        plan: pick(PLANS),
        age: random() < 0.9 ? 18 + Math.floor(random() * 60) : "unknown",
        newsletter: random() < 0.5,
        signed_up_at: signedUp,
        tags: Array.from({ length: Math.floor(random() * 4) }, () => pick(["vip", "beta", "churn-risk", "runner", 7])),
        address: { city: pick(["Berlin", "Munich", "Paris", "Boston"]), zip: String(10000 + Math.floor(random() * 80000)) },
      },
      bucket: Math.floor(random() * 10_000),
      firstSeenAt,
      lastSeenAt,
    },
    events,
    memberships: new Set(random() < 0.3 ? ["seg-engaged"] : []),
    subscriptions: new Set(random() < 0.8 ? ["grp-news"] : []),
  });
}

const definitions: Record<string, unknown> = {
  "DE, ≥3 purchases ≥ 100 in 30 d, no app_open in 7 d": {
    schemaVersion: 1,
    root: {
      type: "group", op: "and", children: [
        { type: "trait", field: "country", valueType: "string", operator: { op: "equals", value: "DE" } },
        { type: "event", event: "purchase", where: [{ path: "amount", valueType: "number", operator: { op: "gte", value: 100 } }], count: { op: "gte", value: 3 }, window: { kind: "last", amount: 30, unit: "days" } },
        { type: "group", op: "and", not: true, children: [{ type: "event", event: "app_open", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 7, unit: "days" } }] },
      ],
    },
  },
  "or-group of traits": {
    schemaVersion: 1,
    root: {
      type: "group", op: "or", children: [
        { type: "trait", field: "traits.plan", valueType: "string", operator: { op: "in", values: ["pro", "team", "enterprise"] } },
        { type: "trait", field: "traits.age", valueType: "number", operator: { op: "between", min: 30, max: 40 } },
        { type: "trait", field: "email", valueType: "string", operator: { op: "endsWith", value: "@acme.io" } },
        { type: "trait", field: "traits.tags", valueType: "list", operator: { op: "containsAny", values: ["vip", 7] } },
        { type: "trait", field: "traits.address.city", valueType: "string", operator: { op: "equals", value: "Berlin" } },
        { type: "trait", field: "traits.signed_up_at", valueType: "date", operator: { op: "withinLast", amount: 90, unit: "days" } },
      ],
    },
  },
  "email_opened ≥ 5 ever and purchase = 0": {
    schemaVersion: 1,
    root: {
      type: "group", op: "and", children: [
        { type: "event", event: "email_opened", where: [], count: { op: "gte", value: 5 }, window: { kind: "ever" } },
        { type: "event", event: "purchase", where: [], count: { op: "eq", value: 0 }, window: { kind: "ever" } },
      ],
    },
  },
  "mixed: seen, segment, bucket, nested or, watch buyers in Nov": {
    schemaVersion: 1,
    root: {
      type: "group", op: "and", children: [
        { type: "lastSeen", operator: { op: "withinLast", amount: 14, unit: "days" } },
        { type: "bucket", from: 0, to: 8999 },
        {
          type: "group", op: "or", children: [
            { type: "segment", op: "in", segmentId: "seg-engaged" },
            { type: "event", event: "purchase", where: [{ path: "product.category", valueType: "string", operator: { op: "equals", value: "watch" } }], count: { op: "gte", value: 1 }, window: { kind: "between", from: "2026-11-01", to: "2026-12-01" } },
          ],
        },
      ],
    },
  },
  // No short cut: "at most N" counts read every event, and nothing cheap comes first.
  "worst case: three full scans with property filters": {
    schemaVersion: 1,
    root: {
      type: "group", op: "and", children: [
        { type: "event", event: "page_view", where: [{ path: "referrer", valueType: "string", operator: { op: "in", values: ["google", "newsletter"] } }], count: { op: "lte", value: 1000 }, window: { kind: "last", amount: 60, unit: "days" } },
        { type: "event", event: "purchase", where: [{ path: "amount", valueType: "number", operator: { op: "gt", value: 50 } }, { path: "product.category", valueType: "string", operator: { op: "notEquals", value: "strap" } }], count: { op: "lte", value: 1000 }, window: { kind: "ever" } },
        { type: "event", event: "email_opened", where: [{ path: "campaign", valueType: "string", operator: { op: "startsWith", value: "black" } }], count: { op: "lte", value: 1000 }, window: { kind: "between", from: "2026-09-01", to: "2026-12-01" } },
      ],
    },
  },
};

function parsed(d: unknown): SegmentDefinition {
  const result = validate(d);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.definition;
}

/** Evaluations per second of `once` (one pass over every profile), repeated for `SECONDS`. */
function rate(once: () => number): { perSecond: number; matched: number } {
  let evaluations = 0;
  let matched = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    matched = once();
    evaluations += inputs.length;
    elapsed = performance.now() - start;
  } while (elapsed < SECONDS * 1000);
  return { perSecond: (evaluations / elapsed) * 1000, matched };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const load = () => os.loadavg()[0]!.toFixed(2);
console.log(`${PROFILES} profiles × ${EVENTS} events, median of ${RUNS} runs of ${SECONDS} s, node ${process.version}, ${os.cpus().length} cores, load average ${load()}\n`);
console.log("| Definition | matched | compileEvaluator evals/s | evaluate (with trace) evals/s |");
console.log("| --- | ---: | ---: | ---: |");
for (const [label, raw] of Object.entries(definitions)) {
  const definition = parsed(raw);
  const fast: number[] = [];
  const traced: number[] = [];
  let matched = 0;
  for (let run = 0; run < RUNS; run++) {
    const matches = compileEvaluator(definition, NOW);
    const f = rate(() => {
      let m = 0;
      for (const input of inputs) if (matches(input)) m++;
      return m;
    });
    const t = rate(() => {
      let m = 0;
      for (const input of inputs) if (evaluate(definition, input, NOW).match) m++;
      return m;
    });
    if (f.matched !== t.matched) throw new Error(`${label}: compileEvaluator matched ${f.matched}, evaluate ${t.matched}`);
    matched = f.matched;
    fast.push(f.perSecond);
    traced.push(t.perSecond);
  }
  console.log(`| ${label} | ${matched}/${PROFILES} | ${fmt(median(fast))} | ${fmt(median(traced))} |`);
}
console.log(`\nload average at the end: ${load()}`);
