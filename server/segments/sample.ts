import type { Db } from "../db/client";
import { BUCKETS, sampleBuckets } from "../../lib/profiles/bucket";
import { compileConditionEvaluator, type EvalInput } from "../../lib/segments/evaluate";
import type { SegmentDefinition } from "../../lib/segments/schema";
import { loadPeople } from "./people";

/**
 * The estimate's sample, held in memory: a fixed random set of whole buckets (in the
 * scrambled order of `sampleBuckets`) with each sampled person's profile, events and
 * current memberships, ready for the in-memory evaluator. A live estimate then costs
 * evaluating a few thousand people in this process — milliseconds — instead of a query
 * that visits profiles and events spread over the whole table (seconds at 1M profiles,
 * bench/README.md). The evaluator and the SQL compiler agree on every definition (the
 * parity suite), so a sample counted here estimates what the exact SQL count will say.
 *
 * The sample is loaded once per workspace (about `SAMPLE_PROFILES` people, a chunk at a
 * time: the first estimates use the part already loaded, with the wider interval a smaller
 * sample gives), reloaded in the background when older than `SAMPLE_TTL_MS`, and dropped
 * when unused. Relative
 * windows are evaluated at the estimate's own `now`, so only data newer than the sample
 * is missing from it.
 */

/** People held per workspace: ~10,000 people with ~20 events each is ~60 MB of heap. */
export const SAMPLE_PROFILES = 10_000;
/** Older than this, the next estimate reloads the sample in the background (and uses the old one meanwhile). */
export const SAMPLE_TTL_MS = 2 * 60_000;
/** Unused this long, a sample is dropped. */
const SAMPLE_IDLE_MS = 30 * 60_000;

export interface ProfileSample {
  /** Sampled people, bucket by bucket in sample order. */
  people: EvalInput[];
  /**
   * `people.slice(0, bucketEnds[i])` is the sample of the first i + 1 buckets. While the
   * sample loads, this grows chunk by chunk; estimates use what is there.
   */
  bucketEnds: number[];
  /** Buckets in the finished sample. */
  buckets: number;
  loadedAt: number;
}

interface Entry {
  /** The sample estimates read: complete, or the first one while it is still loading. */
  sample?: ProfileSample;
  /** Settles once the loading sample holds its first chunk (the first load) or is complete (a reload). */
  loading?: Promise<ProfileSample>;
  usedAt: number;
}

// Per process, not per module instance (Next.js may load this module once per bundle).
const globalForSamples = globalThis as unknown as { junctionSamples?: Map<string, Entry> };
const samples = (globalForSamples.junctionSamples ??= new Map());

/** Buckets to load so that about `profiles` people of a population of `total` are in the sample. */
export function bucketsFor(total: number, profiles: number): number {
  if (total <= 0) return BUCKETS;
  return Math.min(BUCKETS, Math.max(1, Math.ceil((profiles / total) * BUCKETS)));
}

/**
 * People read per step of a load. Small steps keep this process responsive while a sample
 * loads (each step's rows are turned into people in one go: at 1M profiles, steps of 1,000
 * people held up other requests for up to 60 ms, steps of 100 for under 20 ms). The very
 * first load starts with a bigger step, so the first estimate already has a useful sample.
 */
const CHUNK_PROFILES = 100;
const FIRST_CHUNK_PROFILES = 1_000;

/**
 * Reads the people of `buckets` with their named events and current memberships, a chunk
 * of buckets at a time, appending to `into` (a fresh sample by default). `onChunk` runs
 * after each chunk.
 */
export async function loadSample(
  db: Db,
  workspaceId: string,
  buckets: readonly number[],
  options: { total?: number; chunkProfiles?: number; firstChunkProfiles?: number; into?: ProfileSample; onChunk?: (sample: ProfileSample) => void } = {},
): Promise<ProfileSample> {
  const sample = options.into ?? { people: [], bucketEnds: [], buckets: buckets.length, loadedAt: Date.now() };
  const bucketsOf = (profiles: number) => (options.total ? Math.max(1, Math.floor((profiles / options.total) * BUCKETS)) : buckets.length);
  const perChunk = bucketsOf(options.chunkProfiles ?? CHUNK_PROFILES);
  for (let c = 0, step = bucketsOf(options.firstChunkProfiles ?? options.chunkProfiles ?? CHUNK_PROFILES); c < buckets.length; c += step, step = perChunk) {
    const chunk = buckets.slice(c, c + step);
    const rank = new Map(chunk.map((b, i) => [b, i]));
    const people = [...(await loadPeople(db, workspaceId, { buckets: chunk })).values()];
    people.sort((a, b) => rank.get(a.profile.bucket)! - rank.get(b.profile.bucket)! || (a.profile.id < b.profile.id ? -1 : a.profile.id > b.profile.id ? 1 : 0));
    // People first, then the bucket ends that make them visible (estimates run between awaits).
    for (const person of people) sample.people.push(person);
    let at = sample.bucketEnds.at(-1) ?? 0;
    for (const bucket of chunk) {
      while (at < sample.people.length && sample.people[at]!.profile.bucket === bucket) at++;
      sample.bucketEnds.push(at);
    }
    options.onChunk?.(sample);
  }
  return sample;
}

/**
 * The workspace's sample. The first call starts loading it and answers as soon as the
 * first chunk is in (concurrent callers share the load); later calls see it grow. Once it
 * is older than `ttlMs`, a fresh one loads in the background and replaces it when complete.
 */
export async function sampleOf(
  db: Db,
  workspaceId: string,
  options: { total: number; profiles?: number; chunkProfiles?: number; ttlMs?: number },
): Promise<ProfileSample> {
  const now = Date.now();
  for (const [id, entry] of samples) if (now - entry.usedAt > SAMPLE_IDLE_MS && !entry.loading) samples.delete(id);
  const entry: Entry = samples.get(workspaceId) ?? { usedAt: now };
  samples.set(workspaceId, entry);
  entry.usedAt = now;
  if (entry.loading && !entry.sample) return entry.loading;

  const buckets = () => sampleBuckets(bucketsFor(options.total, options.profiles ?? SAMPLE_PROFILES));
  if (!entry.sample) {
    // First load: estimates use the sample as it grows.
    entry.loading = new Promise<ProfileSample>((resolve, reject) => {
      const sample: ProfileSample = { people: [], bucketEnds: [], buckets: 0, loadedAt: now };
      const list = buckets();
      sample.buckets = list.length;
      loadSample(db, workspaceId, list, { total: options.total, chunkProfiles: options.chunkProfiles, firstChunkProfiles: options.chunkProfiles ?? FIRST_CHUNK_PROFILES, into: sample, onChunk: (s) => ((entry.sample = s), resolve(s)) })
        .then(resolve, (error) => {
          if (entry.sample === sample && sample.bucketEnds.length < sample.buckets) entry.sample = undefined;
          reject(error);
        })
        .finally(() => (entry.loading = undefined));
    });
    return entry.loading;
  }
  if (!entry.loading && now - entry.sample.loadedAt > (options.ttlMs ?? SAMPLE_TTL_MS)) {
    entry.loading = loadSample(db, workspaceId, buckets(), { total: options.total, chunkProfiles: options.chunkProfiles })
      .then((fresh) => (entry.sample = fresh))
      .finally(() => (entry.loading = undefined));
    entry.loading.catch((error) => console.warn("segment sample reload failed:", error));
  }
  return entry.sample;
}

/** Forgets a workspace's sample (tests; a workspace's data was replaced). */
export function dropSample(workspaceId: string) {
  samples.delete(workspaceId);
}

export interface SampleCount {
  /** People evaluated (whole buckets, in sample order). */
  sample: number;
  matched: number;
  /** How many of the evaluated people match each top-level child of the root on its own. */
  conditions: number[];
}

/**
 * Evaluates the definition over whole buckets of the sample, in order, until `target`
 * people match or the sample is used up, counting each top-level condition alone over
 * the same people in the same pass.
 */
export function countSample(sample: ProfileSample, definition: SegmentDefinition, now: Date, target: number): SampleCount {
  const evaluate = compileConditionEvaluator(definition, now);
  const holds: boolean[] = [];
  const conditions = definition.root.children.map(() => 0);
  let matched = 0;
  let end = 0;
  for (const bucketEnd of sample.bucketEnds) {
    for (; end < bucketEnd; end++) {
      if (evaluate(sample.people[end]!, holds)) matched++;
      for (let k = 0; k < conditions.length; k++) if (holds[k]) conditions[k]!++;
    }
    if (matched >= target) break;
  }
  return { sample: end, matched, conditions };
}
