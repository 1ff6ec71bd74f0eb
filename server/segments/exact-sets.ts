import type { Db } from "../db/client";
import { and, not, or, parseInt4ArraySend, size, type SeqSet } from "../../lib/segments/sets";
import type { SegmentDefinition, SegmentNode } from "../../lib/segments/schema";
import { matchingSeqsQuery } from "./compile-sql";
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

interface Entry<T> {
  nowMs: number;
  at: number;
  promise: Promise<T>;
  value?: T;
  /** Counts waiting on it while it is being counted; at 0 the query is cancelled. */
  waiters: number;
  controller: AbortController;
  held: number;
}

// Per process, not per module instance (Next.js may load this module once per bundle).
const globalForSets = globalThis as unknown as { junctionExactSets?: Map<string, Entry<SeqSet | number>> };
const entries = (globalForSets.junctionExactSets ??= new Map());

function fresh(entry: Entry<unknown>, nowMs: number): boolean {
  return Date.now() - entry.at <= SET_TTL_MS && Math.abs(nowMs - entry.nowMs) <= SET_TTL_MS;
}

function evict() {
  let held = 0;
  for (const [key, entry] of entries) {
    if (Date.now() - entry.at > SET_TTL_MS && entry.value !== undefined) entries.delete(key);
    else held += entry.held;
  }
  // Oldest first (a Map keeps insertion order).
  for (const [key, entry] of entries) {
    if (held <= MAX_HELD) break;
    if (entry.value === undefined) continue;
    entries.delete(key);
    held -= entry.held;
  }
}

/** The cached value under `key`, or `compute`'s — shared with every other caller meanwhile. */
async function shared<T extends SeqSet | number>(
  key: string,
  nowMs: number,
  signal: AbortSignal | undefined,
  compute: (signal: AbortSignal) => Promise<T>,
): Promise<{ value: T; reused: boolean }> {
  if (signal?.aborted) throw new PreviewCancelled();
  let entry = entries.get(key) as Entry<T> | undefined;
  if (entry && !fresh(entry, nowMs)) {
    // Too old (one still being counted for an older `now` goes on for those waiting on it).
    entries.delete(key);
    entry = undefined;
  }
  if (entry?.value !== undefined) return { value: entry.value, reused: true };
  const reused = entry !== undefined;
  if (!entry) {
    const controller = new AbortController();
    const created: Entry<T> = { nowMs, at: Date.now(), waiters: 0, controller, held: 0, promise: compute(controller.signal) };
    created.promise.then(
      (value) => {
        created.value = value; // as of when its query started (`at`)
        created.held = typeof value === "number" ? 0 : value.seqs.length;
        evict();
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
  try {
    return await new Promise<{ value: T; reused: boolean }>((resolve, reject) => {
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
      setTimeout(() => {
        if (waiting.waiters > 0 || waiting.value !== undefined) return;
        if (entries.get(key) === waiting) entries.delete(key);
        waiting.controller.abort();
      }, CANCEL_GRACE_MS).unref();
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
  const { workspaceId, now, signal } = input;
  const nowMs = now.getTime();
  const children = input.definition.root.children;
  const options = { timeoutMs: input.timeoutMs, workMem: input.workMem };
  const sets = children.map((child, i) => {
    const negate = input.mostlyMatch[i] ?? false;
    return shared<SeqSet>(setKey(workspaceId, child, negate), nowMs, signal, async (own) => {
      const [row] = await runPreviewQuery<{ seqs: Buffer }>(db, matchingSeqsQuery(single(child), { workspaceId, now, negate }), { ...options, signal: own });
      return { seqs: parseInt4ArraySend(row!.seqs), negated: negate };
    });
  });
  const total = shared<number>(`${workspaceId}\0total`, nowMs, signal, async (own) => {
    const [row] = await runPreviewQuery<{ total: number }>(db, { sql: "SELECT count(*)::int AS total FROM profiles WHERE workspace_id = $1", params: [workspaceId] }, { ...options, signal: own });
    return row!.total;
  });
  const [held, people] = await Promise.all([Promise.all(sets), total]);
  const root = input.definition.root;
  const combined = (root.op === "and" ? and : or)(held.map((h) => h.value));
  return {
    exact: size(root.not ? not(combined) : combined, people.value),
    conditions: held.map((h) => size(h.value, people.value)),
    reused: held.filter((h) => h.reused).length,
  };
}

/** Forgets held sets: all of them, a workspace's, or one condition's (tests and the bench). */
export function dropSets(workspaceId?: string, node?: SegmentNode) {
  if (workspaceId === undefined) return entries.clear();
  for (const key of entries.keys()) {
    if (!key.startsWith(`${workspaceId}\0`)) continue;
    if (node === undefined || key === setKey(workspaceId, node, false) || key === setKey(workspaceId, node, true)) entries.delete(key);
  }
}
