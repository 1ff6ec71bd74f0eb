import type { Db } from "../db/client";
import { and, not, or, parseInt4ArraySend, size, type SeqSet } from "../../lib/segments/sets";
import type { SegmentDefinition, SegmentNode } from "../../lib/segments/schema";
import { matchingSeqsQuery, profileCountQuery } from "./compile-sql";
import { PreviewCancelled, runPreviewQuery } from "./preview-query";

/**
 * Exact counts of big workspaces, condition by condition: each top-level condition of a
 * definition is counted on its own into the set of profiles it holds (`profiles.seq`
 * numbers, from one query), the sets are kept in this process for a minute, and the
 * definition's count is their combination in memory (lib/segments/sets.ts). A marketer's
 * edit changes one condition at a time, so the next exact count queries only that one and
 * reuses the others — the cost of one condition instead of the whole definition.
 *
 * A set is "exact as of" when it was counted: a set is reused while it is at most
 * `SET_TTL_MS` old and was counted for a `now` at most that far from the new one (relative
 * windows move with `now`), and events that arrive meanwhile are missing until it expires —
 * the same freshness as the builder's own cache of answers.
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
/** One time limit for every set query, whoever asked first; each count has its own deadline. */
const SET_QUERY_TIMEOUT_MS = 120_000;

interface Entry {
  nowMs: number;
  at: number;
  promise: Promise<SeqSet>;
  value?: SeqSet;
  /** Counts waiting on it while it is being counted; none for `CANCEL_GRACE_MS`, and it is cancelled. */
  waiters: number;
  grace?: ReturnType<typeof setTimeout>;
  controller: AbortController;
}

// Per process, not per module instance (Next.js may load this module once per bundle).
interface State {
  entries: Map<string, Entry>;
  /** Set queries running, and those waiting for their turn. */
  running: number;
  queue: (() => void)[];
}
const globalForSets = globalThis as unknown as { junctionExactSets?: State };
const state: State = (globalForSets.junctionExactSets ??= { entries: new Map<string, Entry>(), running: 0, queue: [] });
const entries = state.entries;

function fresh(entry: Entry, nowMs: number): boolean {
  return Date.now() - entry.at <= SET_TTL_MS && Math.abs(nowMs - entry.nowMs) <= SET_TTL_MS;
}

/** Drops expired sets, then the oldest ones while more than `MAX_HELD` numbers are held. */
function evict() {
  let held = 0;
  for (const [key, entry] of entries) {
    if (entry.value === undefined) continue;
    if (Date.now() - entry.at > SET_TTL_MS) entries.delete(key);
    else held += entry.value.seqs.length;
  }
  for (const [key, entry] of entries) {
    if (held <= MAX_HELD) break;
    if (entry.value === undefined) continue;
    entries.delete(key); // oldest first: a Map keeps insertion order
    held -= entry.value.seqs.length;
  }
}

/** Runs `fn` once fewer than `MAX_RUNNING` set queries run (or not at all, if `signal` aborts meanwhile). */
async function limited<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  if (state.running < MAX_RUNNING) state.running++;
  else {
    // Wait for a running one to hand its place over.
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener("abort", stop);
        resolve();
      };
      const stop = () => {
        state.queue.splice(state.queue.indexOf(go), 1);
        reject(new PreviewCancelled());
      };
      signal.addEventListener("abort", stop, { once: true });
      state.queue.push(go);
    });
  }
  try {
    if (signal.aborted) throw new PreviewCancelled();
    return await fn();
  } finally {
    const next = state.queue.shift();
    if (next) next();
    else state.running--;
  }
}

/** The set under `key`, held or being counted, or `compute`'s — shared with every other caller meanwhile. */
async function shared(key: string, nowMs: number, signal: AbortSignal | undefined, compute: (signal: AbortSignal) => Promise<SeqSet>): Promise<{ value: SeqSet; reused: boolean }> {
  if (signal?.aborted) throw new PreviewCancelled();
  let entry = entries.get(key);
  if (entry && !fresh(entry, nowMs)) {
    // Too old (one still being counted for an older `now` goes on for those waiting on it).
    entries.delete(key);
    entry = undefined;
  }
  if (entry?.value !== undefined) return { value: entry.value, reused: true };
  const reused = entry !== undefined;
  if (!entry) {
    const controller = new AbortController();
    const created: Entry = { nowMs, at: Date.now(), waiters: 0, controller, promise: limited(controller.signal, () => compute(controller.signal)) };
    created.promise.then(
      (value) => {
        created.value = value; // as of when it was asked for (`at`)
        evict();
        setTimeout(evict, SET_TTL_MS + 1_000).unref(); // expired sets go even if nothing else is counted
      },
      () => {
        if (entries.get(key) === created) entries.delete(key);
      },
    );
    entries.set(key, created);
    entry = created;
  }
  const waiting = entry;
  waiting.waiters++;
  clearTimeout(waiting.grace);
  try {
    return await new Promise<{ value: SeqSet; reused: boolean }>((resolve, reject) => {
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
        if (entries.get(key) === waiting) entries.delete(key);
        waiting.controller.abort();
      }, CANCEL_GRACE_MS);
      waiting.grace.unref();
    }
  }
}

const setKey = (workspaceId: string, child: SegmentNode, negate: boolean) => `${workspaceId}\0${negate ? "not" : "in"}\0${JSON.stringify(child)}`;

/** Whether any top-level condition's set is held, or being counted, for a `now` this close. */
export function anySetHeld(input: { workspaceId: string; definition: SegmentDefinition; now: Date; mostlyMatch: boolean[] }): boolean {
  return input.definition.root.children.some((child, i) => {
    const entry = entries.get(setKey(input.workspaceId, child, input.mostlyMatch[i] ?? false));
    return entry !== undefined && fresh(entry, input.now.getTime());
  });
}

const single = (node: SegmentNode): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children: [node] } });

export interface SetCount {
  exact: number;
  /** Exact count of each top-level condition on its own, in order. */
  conditions: number[];
  /** Conditions whose sets were already held (or being counted for another preview). */
  reused: number;
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
  const { workspaceId, now } = input;
  const nowMs = now.getTime();
  const children = input.definition.root.children;
  // This count stops waiting at its own deadline, when its caller goes away, or when it is
  // done (answered, or one set failed); the sets go on for other counts, or stop once nobody waits.
  const done = new AbortController();
  const deadline = AbortSignal.timeout(input.timeoutMs);
  const signal = AbortSignal.any([done.signal, deadline, ...(input.signal ? [input.signal] : [])]);
  const options = { timeoutMs: SET_QUERY_TIMEOUT_MS, workMem: input.workMem };
  try {
    const sets = children.map((child, i) => {
      const negate = input.mostlyMatch[i] ?? false;
      return shared(setKey(workspaceId, child, negate), nowMs, signal, async (own) => {
        const [row] = await runPreviewQuery<{ seqs: Buffer }>(db, matchingSeqsQuery(single(child), { workspaceId, now, negate }), { ...options, signal: own });
        return { seqs: parseInt4ArraySend(row!.seqs), negated: negate };
      });
    });
    // Everyone in the workspace now: sets held as who does not match count from it. Counted
    // fresh each time (a set may be up to a minute old: people created since then count as
    // not in its list, and no count goes below 0 or above everyone).
    const total = runPreviewQuery<{ total: number }>(db, profileCountQuery(workspaceId), { timeoutMs: input.timeoutMs, signal }).then(([row]) => row!.total);
    const [held, people] = await Promise.all([Promise.all(sets), total]);
    const root = input.definition.root;
    const combined = (root.op === "and" ? and : or)(held.map((h) => h.value));
    const clamp = (n: number) => Math.max(0, Math.min(people, n));
    return {
      exact: clamp(size(root.not ? not(combined) : combined, people)),
      conditions: held.map((h) => clamp(size(h.value, people))),
      reused: held.filter((h) => h.reused).length,
    };
  } catch (error) {
    if (deadline.aborted && !input.signal?.aborted) throw new Error("The count took too long and was stopped.");
    throw error;
  } finally {
    done.abort();
  }
}

/** Forgets held sets: all of them, a workspace's, or one condition's (tests and the bench). */
export function dropSets(workspaceId?: string, node?: SegmentNode) {
  if (workspaceId === undefined) return entries.clear();
  for (const key of entries.keys()) {
    if (!key.startsWith(`${workspaceId}\0`)) continue;
    if (node === undefined || key === setKey(workspaceId, node, false) || key === setKey(workspaceId, node, true)) entries.delete(key);
  }
}
