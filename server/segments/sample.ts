import type { Db } from "@/server/db/client";
import { BUCKETS, sampleBuckets } from "@/lib/profiles/bucket";
import { compileConditionEvaluator, type EvalInput } from "@/lib/segments/evaluate";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { loadPeople } from "./people";
import { sql } from "@/server/db/client";
import { dataVersionSql } from "@/server/workspaces/data-version";

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
 * sample gives) and dropped when unused. It knows the workspace's data version it is up to
 * date with (server/workspaces/data-version.ts): when the data has changed since, the next
 * estimate first catches it up (`upToDate`: only the sampled people who changed, were
 * created or were deleted since are read again), so right after a burst of new people the
 * sample still represents everyone. What a catch-up could not bring in within its time
 * budget is reported as `behind`, and the estimate widens its interval by it. A full
 * reload in the background every `SAMPLE_TTL_MS` repairs anything else. Relative windows
 * are evaluated at the estimate's own `now`.
 */

/** People held per workspace: ~10,000 people with ~20 events each is ~60 MB of heap. */
export const SAMPLE_PROFILES = 10_000;
/** Older than this, the next estimate reloads the sample in the background (and uses the old one meanwhile). */
export const SAMPLE_TTL_MS = 15 * 60_000;
/** A catch-up reads again the people changed since the last one minus this margin, or since the oldest writing transaction then open, whichever is earlier. */
const CATCH_UP_MARGIN_MS = 60_000;
/** How long an estimate waits for a catch-up before it answers from the sample as it is, with a wider interval. */
export const CATCH_UP_WAIT_MS = 1_500;
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
  /** The sampled buckets, in sample order (the finished sample's). */
  order: readonly number[];
  /** Buckets in the finished sample. */
  buckets: number;
  loadedAt: number;
  /**
   * The workspace's data version this sample is up to date with — read before its people,
   * so whatever committed meanwhile counts as not seen (a catch-up reads it again).
   */
  version: number;
  /** When it was last loaded or caught up (this process's clock)… */
  syncedAt: number;
  /** …and since when a change may be missing from it (the database's clock, for `updated_at`, membership and subscription stamps): the next catch-up reads again whoever changed since. */
  syncedDbAt: Date;
}

interface Entry {
  /** The sample estimates read: complete, or the first one while it is still loading. */
  sample?: ProfileSample;
  /** Settles once the loading sample holds its first chunk (the first load) or is complete (a reload). */
  loading?: Promise<ProfileSample>;
  /** A catch-up in progress (one at a time; estimates share it). */
  catchingUp?: Promise<ProfileSample>;
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

function emptySample(buckets: readonly number[]): ProfileSample {
  return { people: [], bucketEnds: [], order: buckets, buckets: buckets.length, loadedAt: Date.now(), version: 0, syncedAt: 0, syncedDbAt: new Date(0) };
}

/**
 * Since when a change may not be in what a read now sees: the oldest start of a writing
 * transaction still open (its rows carry its start time, `updated_at = now()`, and will
 * commit later), or the database's clock minus `CATCH_UP_MARGIN_MS`, whichever is earlier.
 */
const SINCE_SQL = `least(now() - interval '${CATCH_UP_MARGIN_MS} milliseconds', (SELECT min(xact_start) FROM pg_stat_activity WHERE backend_xid IS NOT NULL))`;

/** The workspace's data version and since when changes may be unseen, read together: what a sample that starts reading now is up to date with. */
async function syncPoint(db: Db, workspaceId: string): Promise<Pick<ProfileSample, "version" | "syncedAt" | "syncedDbAt">> {
  const version = dataVersionSql("$1").version;
  const [row] = await sql(db).raw<{ version: number; since: Date }>({ sql: `SELECT ${version} AS version, ${SINCE_SQL} AS since`, params: [workspaceId] });
  return { version: row!.version, syncedAt: Date.now(), syncedDbAt: row!.since };
}

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
  const sample = options.into ?? emptySample(buckets);
  const synced = await syncPoint(db, workspaceId);
  Object.assign(sample, synced);
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
      const list = buckets();
      const sample = emptySample(list);
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

/**
 * The sample, up to date with data `version` if it can be within `CATCH_UP_WAIT_MS`:
 * when the data has changed since the sample's version, the sampled people who changed,
 * were created or were deleted since are read again (one catch-up at a time per workspace;
 * concurrent estimates share it). `behind`: changes the returned sample may be missing
 * (0 when it is up to date) — each can change a count by at most one or two people.
 */
export async function upToDate(db: Db, workspaceId: string, sample: ProfileSample, version: number): Promise<{ sample: ProfileSample; behind: number }> {
  if (sample.version >= version) return { sample, behind: 0 };
  const entry = samples.get(workspaceId);
  // Still loading for the first time, or replaced meanwhile: answer from what there is.
  if (!entry || entry.sample !== sample || sample.bucketEnds.length < sample.buckets) return { sample, behind: version - sample.version };
  entry.catchingUp ??= catchUp(db, workspaceId, sample)
    .then((caught) => {
      if (entry.sample === sample) entry.sample = caught;
      return caught;
    })
    .finally(() => (entry.catchingUp = undefined));
  const caught = await Promise.race([entry.catchingUp.catch(() => sample), new Promise<ProfileSample>((resolve) => setTimeout(() => resolve(sample), CATCH_UP_WAIT_MS).unref())]);
  return { sample: caught, behind: Math.max(0, version - caught.version) };
}

/** A new sample: `sample` with the people changed, created or deleted since its last sync read again. */
export async function catchUp(db: Db, workspaceId: string, sample: ProfileSample): Promise<ProfileSample> {
  const since = sample.syncedDbAt;
  const version = dataVersionSql("$1").version;
  // One statement, one snapshot: the version, since when the next catch-up must look, and who is in the sampled buckets now.
  const rows = await sql(db).raw<{ version: number; at: Date; id: string | null; changed: boolean | null }>({
    sql: `WITH point AS (SELECT ${version} AS version, ${SINCE_SQL} AS at)
          SELECT point.version, point.at, p.id,
                 p.updated_at >= $3 OR EXISTS (SELECT 1 FROM segment_memberships m WHERE m.profile_id = p.id AND (m.entered_at >= $3 OR m.exited_at >= $3))
                   OR EXISTS (SELECT 1 FROM subscription_states s WHERE s.profile_id = p.id AND s.updated_at >= $3) AS changed
            FROM point LEFT JOIN profiles p ON p.workspace_id = $1 AND p.bucket = ANY($2::int[])`,
    params: [workspaceId, [...sample.order], since],
  });
  const point = rows[0]!;
  const current = new Map(sample.people.map((person) => [person.profile.id, person]));
  const present = new Set<string>();
  const reread: string[] = [];
  for (const row of rows) {
    if (row.id === null) continue;
    present.add(row.id);
    if (row.changed || !current.has(row.id)) reread.push(row.id);
  }
  const people = new Map([...current].filter(([id]) => present.has(id)));
  if (reread.length > 0) for (const [id, person] of await loadPeople(db, workspaceId, { ids: reread })) people.set(id, person);
  const rank = new Map(sample.order.map((b, i) => [b, i]));
  const ordered = [...people.values()].sort((a, b) => rank.get(a.profile.bucket)! - rank.get(b.profile.bucket)! || (a.profile.id < b.profile.id ? -1 : a.profile.id > b.profile.id ? 1 : 0));
  const bucketEnds: number[] = [];
  let at = 0;
  for (const bucket of sample.order) {
    while (at < ordered.length && ordered[at]!.profile.bucket === bucket) at++;
    bucketEnds.push(at);
  }
  return { ...sample, people: ordered, bucketEnds, version: point.version, syncedAt: Date.now(), syncedDbAt: point.at };
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
