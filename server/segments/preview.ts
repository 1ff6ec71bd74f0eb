import { countFromSets } from "./exact-sets";
import { memberSummary, type MemberSummary } from "@/lib/profiles/display";
import { cancelPreview, PreviewCancelled, registerPreview, runPreviewQuery as run } from "./preview-query";
import { DomainError } from "@/server/errors";
import { env } from "@/server/env";
import { compileEvaluator, compileEventCounter, type EvalInput } from "@/lib/segments/evaluate";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { conditionCountsQuery, countQuery, eventHistogramQuery, membersQuery } from "./compile-sql";
import { sql, type Db } from "@/server/db/client";
import { readDataVersion, type DataVersion } from "@/server/workspaces/data-version";
import { countSample, sampleOf, upToDate, type ProfileSample } from "./sample";
import { interval } from "@/lib/segments/interval";

export { cancelPreview, PreviewCancelled } from "./preview-query";

/**
 * A builder tab's stream of previews (`stream`: a key the client makes once per tab): a new
 * estimate means the definition changed, so it cancels the stream's exact count still
 * running for another definition; a new exact count cancels the stream's previous one.
 */
const streamKey = (stream: string | undefined, kind: "estimate" | "exact") => stream && `${stream}:${kind}`;

/**
 * Live size previews for the builder and the count API.
 *
 * - estimate: small workspaces (up to `PREVIEW_EXACT_BELOW` profiles) are counted exactly in SQL;
 *   bigger ones are estimated in memory over the workspace's random sample of buckets
 *   (server/segments/sample.ts), growing bucket by bucket until it holds enough matches
 *   for a tight interval. Returns a 95 % interval (Wilson, with finite-population correction).
 * - exact: the precise count.
 * Both run with a statement timeout on their own connection and are cancelled in
 * Postgres (pg_cancel_backend) when the caller goes away or a newer preview with the same
 * key starts — abandoned queries never pile up.
 */

export interface Estimate {
  estimate: number;
  low: number;
  high: number;
  /** Set when the whole population was counted (small workspaces, or a 100 % sample). */
  exact?: number;
  /** Share of profiles in the sample, 0–1. */
  sampled: number;
  total: number;
  /** How many match each top-level condition alone (estimated the same way), in order. */
  conditions: { estimate: number; exact?: number }[];
  /** When the sample was last brought up to date with the data (a sampled estimate), or when it was counted. */
  asOf: Date;
  /**
   * Changes to the data the sample has not seen yet (its catch-up did not finish in time):
   * the interval is widened by them. 0 when the sample is up to date.
   */
  behind: number;
  ms: number;
}

/** Memory per hash or sort of an exact count (a statement setting, not a server one). */
const EXACT_WORK_MEM = "64MB";
/** Enough matches in a sample for a margin of about ±5 %. */
const TARGET_MATCHES = 1_500;

/**
 * How many profiles a workspace has and its data version, now: the counters every writer
 * keeps (server/workspaces/data-version.ts) — one tiny query, never a count of a million rows.
 */
function populationOf(db: Db, workspaceId: string): Promise<DataVersion> {
  return readDataVersion(sql(db), workspaceId);
}

/**
 * The one rule every preview follows: workspaces up to `exactBelow` profiles are counted in
 * SQL (`sample: null`), bigger ones read the in-memory sample.
 */
async function sampleIfBig(
  db: Db,
  input: { workspaceId: string; exactBelow?: number; sampleProfiles?: number; catchUp?: boolean },
): Promise<{ total: number; version: number; sample: ProfileSample | null; behind: number }> {
  const { profiles: total, version } = await populationOf(db, input.workspaceId);
  // Up to this many profiles a preview counts everyone (exact is as fast as a sample there).
  if (total <= (input.exactBelow ?? env().PREVIEW_EXACT_BELOW)) return { total, version, sample: null, behind: 0 };
  const loaded = await sampleOf(db, input.workspaceId, { total, profiles: input.sampleProfiles });
  if (input.catchUp === false) return { total, version, sample: loaded, behind: Math.max(0, version - loaded.version) };
  const { sample, behind } = await upToDate(db, input.workspaceId, loaded, version);
  return { total, version, sample, behind };
}

interface CountsRow {
  total: number;
  matched: number;
  [column: `c${number}`]: number;
}

export async function estimateCount(
  db: Db,
  input: {
    workspaceId: string;
    definition: SegmentDefinition;
    now: Date;
    /** The builder tab's stream of previews (see `streamKey`). */
    stream?: string;
    signal?: AbortSignal;
    timeoutMs?: number;
    /** Tuning for tests and the bench: population below which everyone is counted (default PREVIEW_EXACT_BELOW), people in the sample. */
    exactBelow?: number;
    sampleProfiles?: number;
  },
): Promise<Estimate> {
  const started = performance.now();
  const timeoutMs = input.timeoutMs ?? 10_000;
  if (input.stream) await cancelPreview(streamKey(input.stream, "exact")!, input.definition);
  const { total, sample, behind } = await sampleIfBig(db, input);
  const ms = () => Math.round(performance.now() - started);

  if (!sample) {
    const query = conditionCountsQuery(input.definition, { workspaceId: input.workspaceId, now: input.now, strategy: "aggregate" });
    const [row] = await run<CountsRow>(db, query, { timeoutMs, key: streamKey(input.stream, "estimate"), signal: input.signal });
    return {
      estimate: row!.matched,
      exact: row!.matched,
      low: row!.matched,
      high: row!.matched,
      sampled: 1,
      total: row!.total,
      conditions: input.definition.root.children.map((_, i) => ({ estimate: Number(row![`c${i}`]), exact: Number(row![`c${i}`]) })),
      asOf: input.now,
      behind: 0,
      ms: ms(),
    };
  }

  if (input.signal?.aborted) throw new PreviewCancelled();
  const counted = countSample(sample, input.definition, input.now, TARGET_MATCHES);
  const scale = (matched: number) => (counted.sample === 0 ? 0 : Math.round((matched / counted.sample) * total));
  // Each change the sample has not seen can move one or two people (a merge moves two) in or out.
  const { low, high } = interval(counted.matched, counted.sample, total);
  return {
    estimate: scale(counted.matched),
    low: Math.max(0, low - 2 * behind),
    high: Math.min(total, high + 2 * behind),
    sampled: Math.min(1, counted.sample / total),
    total,
    conditions: counted.conditions.map((matched) => ({ estimate: scale(matched) })),
    asOf: new Date(sample.syncedAt),
    behind,
    ms: ms(),
  };
}

export interface Histogram {
  /** `profiles[k]`: people who performed the event k times (the last: `max` or more). */
  profiles: number[];
  total: number;
  /** Scaled up from the estimate's sample (big workspaces), or counted (small ones). */
  estimated: boolean;
  ms: number;
}

/**
 * The threshold helper: how many people performed an event condition's event 0, 1, …,
 * `max`+ times in its window (with its property filters) — counted in SQL for small
 * workspaces, from the in-memory sample for big ones, like the estimate. `exact` counts in
 * SQL whatever the size: the helper asks for it after the estimate, since a sample misses
 * the rare high counts (the tail a marketer cuts at) that the condition's own count shows.
 */
export async function eventHistogram(
  db: Db,
  input: { workspaceId: string; definition: SegmentDefinition; now: Date; max: number; exact?: boolean; signal?: AbortSignal; exactBelow?: number; sampleProfiles?: number },
): Promise<Histogram> {
  const [condition] = input.definition.root.children;
  if (input.definition.root.children.length !== 1 || condition?.type !== "event") {
    throw new DomainError("BAD_REQUEST", "The histogram needs a definition with exactly one event condition.");
  }
  const started = performance.now();
  const { total, sample } = input.exact ? { total: 0, sample: null } : await sampleIfBig(db, input);
  const profiles = Array.from({ length: input.max + 1 }, () => 0);
  if (!sample) {
    const rows = await run<{ k: number; profiles: number }>(db, eventHistogramQuery(condition, { workspaceId: input.workspaceId, now: input.now, max: input.max }), {
      timeoutMs: input.exact ? 60_000 : 10_000,
      signal: input.signal,
    });
    for (const r of rows) profiles[r.k] = r.profiles;
    return { profiles, total: profiles.reduce((a, b) => a + b, 0), estimated: false, ms: Math.round(performance.now() - started) };
  }
  const count = compileEventCounter(condition, input.now, input.max);
  const n = sample.bucketEnds.at(-1) ?? 0;
  for (let i = 0; i < n; i++) profiles[count(sample.people[i]!)]!++;
  const scale = n === 0 ? 0 : total / n;
  return { profiles: profiles.map((c) => Math.round(c * scale)), total, estimated: true, ms: Math.round(performance.now() - started) };
}

export interface ExactCount {
  exact: number;
  /** Each top-level condition's own exact count (big workspaces). */
  conditions?: number[];
  reused?: number;
  /** The moment the count describes: data as of then, relative windows evaluated then. */
  asOf: Date;
  /** The workspace's data version it describes (big workspaces, where it may be a few seconds older than the request). */
  version?: number;
  ms: number;
}

/**
 * The precise count. Small workspaces run one query for the whole definition. Big ones
 * combine one set per top-level condition (server/segments/exact-sets.ts), so after an edit
 * only the changed condition is counted again; `conditions` is then each condition's own
 * exact count. (The first count of a definition costs about as much as one query for the
 * whole of it, sometimes more — bench/README.md; racing the two was measured too, and the
 * extra work slowed the next edit's estimate more than it saved.)
 */
export async function exactCount(
  db: Db,
  input: { workspaceId: string; definition: SegmentDefinition; now: Date; stream?: string; signal?: AbortSignal; timeoutMs?: number; exactBelow?: number; sampleProfiles?: number },
): Promise<ExactCount> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const timeoutMs = input.timeoutMs ?? 120_000;
  // The sample only decides which way round each set is held: no need to wait for it to catch up.
  const { sample } = await sampleIfBig(db, { ...input, catchUp: false });
  if (!sample) {
    const [row] = await run<{ count: number }>(
      db,
      countQuery(input.definition, { workspaceId: input.workspaceId, now: input.now, strategy: "aggregate" }),
      // Exact counts hash hundreds of thousands of profile ids per event condition: with the
      // default 4 MB those hashes spill to disk (definition 5: 3.3 s → 2.8 s with enough memory).
      { timeoutMs, key: streamKey(input.stream, "exact"), signal: input.signal, workMem: EXACT_WORK_MEM, definition: input.definition },
    );
    return { exact: row!.count, asOf: input.now, ms: ms() };
  }

  // Which conditions most people match (their sets are kept as who does not), from the sample.
  const seen = countSample(sample, input.definition, input.now, Number.POSITIVE_INFINITY);
  const mostlyMatch = seen.conditions.map((matched) => matched * 2 > seen.sample);
  // Cancelled like a query: by the caller going away, or by a newer preview under the same key.
  const superseded = new AbortController();
  const key = streamKey(input.stream, "exact");
  const registration = key ? await registerPreview(key, { definition: JSON.stringify(input.definition), cancel: () => superseded.abort() }) : null;
  const signal = input.signal ? AbortSignal.any([input.signal, superseded.signal]) : superseded.signal;
  try {
    const counted = await countFromSets(db, { ...input, mostlyMatch, signal, timeoutMs, workMem: EXACT_WORK_MEM });
    return { ...counted, ms: ms() };
  } finally {
    registration?.done();
  }
}

export async function segmentMembers(
  db: Db,
  input: { workspaceId: string; definition: SegmentDefinition; now: Date; after?: string; limit: number; signal?: AbortSignal; exactBelow?: number },
): Promise<{ items: MemberSummary[]; nextCursor: string | null; source: "sample" | "all" }> {
  // The builder's sample members in a big workspace: people of the in-memory sample, from a
  // random place in it (a refresh shows others) — no query over a million profiles, unless
  // the sample holds too few (a rare segment).
  if (input.after === undefined) {
    const { sample } = await sampleIfBig(db, input);
    if (sample) {
      const matches = compileEvaluator(input.definition, input.now);
      const n = sample.bucketEnds.at(-1) ?? 0;
      const start = Math.floor(Math.random() * n);
      const found: EvalInput[] = [];
      for (let k = 0; k < n && found.length < input.limit; k++) {
        const person = sample.people[(start + k) % n]!;
        if (matches(person)) found.push(person);
      }
      if (found.length === input.limit) {
        return { items: found.map(({ profile: p }) => memberSummary(p)), nextCursor: null, source: "sample" };
      }
    }
  }
  const rows = await run<{ id: string; user_id: string | null; email: string | null; traits: unknown }>(
    db,
    membersQuery(input.definition, { workspaceId: input.workspaceId, now: input.now, after: input.after, limit: input.limit + 1, strategy: "correlated" }),
    { timeoutMs: 30_000, signal: input.signal },
  );
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => memberSummary({ id: r.id, userId: r.user_id, email: r.email, traits: r.traits })),
    nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null,
    source: "all",
  };
}
