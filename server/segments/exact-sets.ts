import type { Db } from "@/server/db/client";
import { and, not, or, parseInt4ArraySend, size, type SeqSet } from "@/lib/segments/sets";
import type { SegmentDefinition, SegmentNode } from "@/lib/segments/schema";
import { matchingSeqsQuery } from "./compile-sql";
import { PreviewCancelled, openMoment, runPreviewQuery, type Moment } from "./preview-query";

/**
 * Exact counts of big workspaces, condition by condition: each top-level condition of a
 * definition is counted on its own into the set of profiles it holds (`profiles.seq`
 * numbers, from one query), the sets are kept in this process for a minute, and the
 * definition's count is their combination in memory (lib/segments/sets.ts). A marketer's
 * edit changes one condition at a time, so the next exact count queries only that one and
 * reuses the others — the cost of one condition instead of the whole definition.
 *
 * Exact means exact at one moment: the data as of one data version (server/workspaces/
 * data-version.ts) and one clock reading `now` (relative windows). A count opens a moment
 * (`openMoment`: a snapshot exported to the set queries, so that the ones it runs in
 * parallel on other connections read exactly the same data), reuses only sets counted at
 * that version, and counts missing ones at the `now` the reused sets were counted at. If
 * data changed since, nothing held is reused; sets held from different moments are never
 * combined. The answer says which moment it describes (`asOf`, `version`).
 *
 * A set being counted is shared by every count that needs it, and cancelled in Postgres
 * once none of them has waited for it for `CANCEL_GRACE_MS` (superseded previews, closed tabs).
 */

export const SET_TTL_MS = 60_000;
/** How long a set being counted that nobody waits for goes on, in case a count asks for it again. */
export const CANCEL_GRACE_MS = 2_000;
/** Profile numbers held across all sets (4 bytes each): older sets are dropped beyond this. */
const MAX_HELD = 40_000_000;
/**
 * Set queries running at once in this process: each holds a connection of the app's pool
 * (shared with everything else), and a definition may have dozens of conditions.
 */
const MAX_RUNNING = 3;
/** Moments open at once in this process: each holds a connection for its whole count; counts beyond wait their turn. */
const MAX_MOMENTS = 3;
/** One time limit for every set query, whoever asked first; each count has its own deadline. */
const SET_QUERY_TIMEOUT_MS = 120_000;

/** A set and the data version it describes (the version its own query read, in its snapshot). */
interface Counted {
  set: SeqSet;
  version: number;
}

interface Entry {
  /** Workspace, condition and which way round it is held: what `now` and `version` vary for. */
  condition: string;
  version: number;
  nowMs: number;
  /** When it was asked for: held for `SET_TTL_MS` after. */
  at: number;
  promise: Promise<Counted>;
  value?: Counted;
  /** Counts waiting on it while it is being counted; none for `CANCEL_GRACE_MS`, and it is cancelled. */
  waiters: number;
  grace?: ReturnType<typeof setTimeout>;
  controller: AbortController;
}

// Per process, not per module instance (Next.js may load this module once per bundle).
/** Places for work that holds a connection of the app's pool: at most `max` at once, the rest wait in order. */
interface Slots {
  max: number;
  taken: number;
  queue: (() => void)[];
}

interface State {
  entries: Map<string, Entry>;
  /** Set queries running, and those waiting for their turn. */
  sets: Slots;
  /** Moments open (each holds a connection for its whole count), and counts waiting to open one. */
  moments: Slots;
}
const globalForSets = globalThis as unknown as { junctionExactSets?: State };
const state: State = (globalForSets.junctionExactSets ??= {
  entries: new Map<string, Entry>(),
  sets: { max: MAX_RUNNING, taken: 0, queue: [] },
  moments: { max: MAX_MOMENTS, taken: 0, queue: [] },
});
const entries = state.entries;

function fresh(entry: Entry): boolean {
  return Date.now() - entry.at <= SET_TTL_MS;
}

/** Drops expired sets, then the oldest ones while more than `MAX_HELD` numbers are held. */
function evict() {
  let held = 0;
  for (const [key, entry] of entries) {
    if (entry.value === undefined) continue;
    if (Date.now() - entry.at > SET_TTL_MS) entries.delete(key);
    else held += entry.value.set.seqs.length;
  }
  for (const [key, entry] of entries) {
    if (held <= MAX_HELD) break;
    if (entry.value === undefined) continue;
    entries.delete(key); // oldest first: a Map keeps insertion order
    held -= entry.value.set.seqs.length;
  }
}

/** A place in `slots` once one is free (or an error, if `signal` aborts first); call the result to hand it on. */
async function acquire(slots: Slots, signal: AbortSignal): Promise<() => void> {
  if (slots.taken < slots.max) slots.taken++;
  else {
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener("abort", stop);
        resolve();
      };
      const stop = () => {
        slots.queue.splice(slots.queue.indexOf(go), 1);
        reject(new PreviewCancelled());
      };
      signal.addEventListener("abort", stop, { once: true });
      slots.queue.push(go);
    });
  }
  let handed = false;
  return () => {
    if (handed) return;
    handed = true;
    const next = slots.queue.shift();
    if (next) next();
    else slots.taken--;
  };
}

/** Runs `fn` once fewer than `MAX_RUNNING` set queries run (or not at all, if `signal` aborts meanwhile). */
async function limited<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const release = await acquire(state.sets, signal);
  try {
    if (signal.aborted) throw new PreviewCancelled();
    return await fn();
  } finally {
    release();
  }
}

/** The set under `key`, held or being counted, or `compute`'s — shared with every other caller meanwhile. */
async function shared(
  key: { condition: string; version: number; nowMs: number },
  signal: AbortSignal | undefined,
  compute: (signal: AbortSignal) => Promise<Counted>,
): Promise<{ value: Counted; reused: boolean }> {
  if (signal?.aborted) throw new PreviewCancelled();
  const id = entryKey(key);
  let entry = entries.get(id);
  if (entry && !fresh(entry)) {
    // Too old (one still being counted goes on for those waiting on it).
    entries.delete(id);
    entry = undefined;
  }
  if (entry?.value !== undefined) return { value: entry.value, reused: true };
  const reused = entry !== undefined;
  if (!entry) {
    const controller = new AbortController();
    const created: Entry = { ...key, at: Date.now(), waiters: 0, controller, promise: limited(controller.signal, () => compute(controller.signal)) };
    created.promise.then(
      (value) => {
        created.value = value;
        evict();
        setTimeout(evict, SET_TTL_MS + 1_000).unref(); // expired sets go even if nothing else is counted
      },
      () => {
        if (entries.get(id) === created) entries.delete(id);
      },
    );
    entries.set(id, created);
    entry = created;
  }
  const waiting = entry;
  waiting.waiters++;
  clearTimeout(waiting.grace);
  try {
    return await new Promise<{ value: Counted; reused: boolean }>((resolve, reject) => {
      const onAbort = () => reject(new PreviewCancelled());
      signal?.addEventListener("abort", onAbort, { once: true });
      waiting.promise.then(
        (value) => {
          signal?.removeEventListener("abort", onAbort);
          resolve({ value, reused });
        },
        (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  } finally {
    waiting.waiters--;
    if (waiting.waiters === 0 && waiting.value === undefined) {
      // Nobody waits for it any more. The builder's next exact count (after the edit that
      // cancelled this one) usually needs most of the same sets and asks a moment later:
      // stop counting only if nobody has asked again by then.
      waiting.grace = setTimeout(() => {
        if (waiting.waiters > 0 || waiting.value !== undefined) return;
        if (entries.get(id) === waiting) entries.delete(id);
        waiting.controller.abort();
      }, CANCEL_GRACE_MS);
      waiting.grace.unref();
    }
  }
}

const conditionKey = (workspaceId: string, child: SegmentNode, negate: boolean) => `${workspaceId}\0${negate ? "not" : "in"}\0${JSON.stringify(child)}`;
const entryKey = (key: { condition: string; version: number; nowMs: number }) => `${key.condition}\0${key.version}\0${key.nowMs}`;

/**
 * The clock reading to count at: the `now` that the most of these conditions' held sets
 * (of this version, fresh, within `SET_TTL_MS` of the asked-for `now`) were counted at —
 * the latest of those on a tie — or the asked-for `now` when none is held. Counting the
 * missing sets at the same `now` keeps the answer at one moment.
 */
function momentNow(conditions: string[], version: number, nowMs: number): number {
  const wanted = new Set(conditions);
  const votes = new Map<number, number>();
  for (const entry of entries.values()) {
    if (entry.version !== version || !wanted.has(entry.condition) || !fresh(entry) || Math.abs(entry.nowMs - nowMs) > SET_TTL_MS) continue;
    votes.set(entry.nowMs, (votes.get(entry.nowMs) ?? 0) + 1);
  }
  let best = nowMs;
  let most = 0;
  for (const [candidate, count] of votes) {
    if (count > most || (count === most && candidate > best)) [best, most] = [candidate, count];
  }
  return best;
}

const single = (node: SegmentNode): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children: [node] } });

export interface SetCount {
  exact: number;
  /** Exact count of each top-level condition on its own, in order. */
  conditions: number[];
  /** Conditions whose sets were already held (or being counted for another preview). */
  reused: number;
  /** The moment the count describes: the clock reading its windows were evaluated at… */
  asOf: Date;
  /** …and the workspace's data version. */
  version: number;
}

/** Counting again after sets turned out to describe another moment (their count lost its snapshot). */
const MOMENT_ATTEMPTS = 3;
/** `openMoment` once fewer than MAX_MOMENTS are open (or never, if `signal` aborts first); its release frees the place. */
async function openLimitedMoment(db: Db, workspaceId: string, signal: AbortSignal): Promise<Moment> {
  const handOver = await acquire(state.moments, signal);
  try {
    const moment = await openMoment(db, workspaceId);
    return {
      ...moment,
      release: () => {
        moment.release();
        handOver();
      },
    };
  } catch (error) {
    handOver();
    throw error;
  }
}

/** Sets of a workspace counted at an older data version can never be reused (versions only grow): let them go. */
function dropOlderVersions(workspaceId: string, version: number) {
  for (const [key, entry] of entries) {
    if (entry.value !== undefined && entry.version < version && entry.condition.startsWith(`${workspaceId}\0`)) entries.delete(key);
  }
}

/**
 * The exact count of `definition`, combined from one set per top-level condition.
 * `mostlyMatch[i]`: whether condition i is expected to hold for more than half the people
 * (from the estimate's sample) — its set is then kept as who does NOT match, the shorter list.
 */
export async function countFromSets(
  db: Db,
  input: { workspaceId: string; definition: SegmentDefinition; now: Date; mostlyMatch: boolean[]; signal?: AbortSignal; timeoutMs: number; workMem: string },
): Promise<SetCount> {
  const { workspaceId } = input;
  const children = input.definition.root.children;
  const conditions = children.map((child, i) => conditionKey(workspaceId, child, input.mostlyMatch[i] ?? false));
  // This count stops waiting at its own deadline, when its caller goes away, or when it is
  // done (answered, or one set failed); the sets go on for other counts, or stop once nobody waits.
  const done = new AbortController();
  const deadline = AbortSignal.timeout(input.timeoutMs);
  const signal = AbortSignal.any([done.signal, deadline, ...(input.signal ? [input.signal] : [])]);
  const options = { timeoutMs: SET_QUERY_TIMEOUT_MS, workMem: input.workMem };
  try {
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw new PreviewCancelled();
      const moment = await openLimitedMoment(db, workspaceId, signal);
      try {
        dropOlderVersions(workspaceId, moment.version);
        const nowMs = momentNow(conditions, moment.version, input.now.getTime());
        const now = new Date(nowMs);
        const held = await Promise.all(
          children.map((child, i) => {
            const negate = input.mostlyMatch[i] ?? false;
            return shared({ condition: conditions[i]!, version: moment.version, nowMs }, signal, async (own) => {
              const query = matchingSeqsQuery(single(child), { workspaceId, now, negate });
              // In the moment's snapshot; if that moment is over (the count that asked first
              // went away before this set's turn), in a snapshot of its own — it then says which version it saw.
              const rows = await runPreviewQuery<{ seqs: Buffer; version: number }>(db, query, { ...options, signal: own, snapshot: moment.snapshot }).catch((error: unknown) =>
                isLostSnapshot(error) ? runPreviewQuery<{ seqs: Buffer; version: number }>(db, query, { ...options, signal: own }) : Promise.reject(error),
              );
              return { set: { seqs: parseInt4ArraySend(rows[0]!.seqs), negated: negate }, version: rows[0]!.version };
            });
          }),
        );
        if (held.every((h) => h.value.version === moment.version)) {
          const root = input.definition.root;
          const combined = (root.op === "and" ? and : or)(held.map((h) => h.value.set));
          const people = moment.profiles;
          const clamp = (n: number) => Math.max(0, Math.min(people, n));
          return {
            exact: clamp(size(root.not ? not(combined) : combined, people)),
            conditions: held.map((h) => clamp(size(h.value.set, people))),
            reused: held.filter((h) => h.reused).length,
            asOf: now,
            version: moment.version,
          };
        }
        // Counted in a snapshot of their own: they describe another moment. Count them again.
        for (const [i, h] of held.entries()) {
          if (h.value.version !== moment.version) entries.delete(entryKey({ condition: conditions[i]!, version: moment.version, nowMs }));
        }
        if (attempt >= MOMENT_ATTEMPTS) throw new Error("The data kept changing while it was counted. Try again.");
      } finally {
        moment.release();
      }
    }
  } catch (error) {
    if (deadline.aborted && !input.signal?.aborted) throw new Error("The count took too long and was stopped.");
    throw error;
  } finally {
    done.abort();
  }
}

/** `SET TRANSACTION SNAPSHOT` of a snapshot whose transaction has ended. */
function isLostSnapshot(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && /snapshot/i.test(String((error as { message?: unknown }).message));
}

/** Forgets held sets: all of them, a workspace's, or one condition's (tests and the bench). */
export function dropSets(workspaceId?: string, node?: SegmentNode) {
  if (workspaceId === undefined) return entries.clear();
  for (const [key, entry] of entries) {
    if (!key.startsWith(`${workspaceId}\0`)) continue;
    if (node === undefined || entry.condition === conditionKey(workspaceId, node, false) || entry.condition === conditionKey(workspaceId, node, true)) entries.delete(key);
  }
}
