/**
 * Undo/redo history of a value (the segment builder's draft). Pure: the component keeps a
 * `History<T>` in state and replaces it with what these functions return.
 *
 * Edits that carry the same `group` within `COALESCE_MS` of each other are one step: typing
 * "Germany" into a field is one undo, not seven.
 */

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** The group and time of the last edit, for coalescing. */
  last?: { group: string; at: number };
}

export const COALESCE_MS = 1_000;
/** Steps kept; older ones are dropped. */
export const HISTORY_LIMIT = 200;

export function createHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

/** Records `next` as the present. An edit with the same `group` soon after the last one replaces it instead of adding a step. */
export function record<T>(history: History<T>, next: T, options: { group?: string; now?: number } = {}): History<T> {
  if (Object.is(next, history.present)) return history;
  const now = options.now ?? Date.now();
  const coalesce =
    options.group !== undefined && history.last?.group === options.group && now - history.last.at <= COALESCE_MS && history.past.length > 0;
  const past = coalesce ? history.past : [...history.past, history.present].slice(-HISTORY_LIMIT);
  return { past, present: next, future: [], last: options.group !== undefined ? { group: options.group, at: now } : undefined };
}

/** Ends a burst of edits (the marketer left the field): the next edit is a step of its own. */
export function seal<T>(history: History<T>): History<T> {
  return history.last ? { ...history, last: undefined } : history;
}

export function undo<T>(history: History<T>): History<T> {
  if (history.past.length === 0) return history;
  return { past: history.past.slice(0, -1), present: history.past[history.past.length - 1]!, future: [history.present, ...history.future] };
}

export function redo<T>(history: History<T>): History<T> {
  if (history.future.length === 0) return history;
  return { past: [...history.past, history.present], present: history.future[0]!, future: history.future.slice(1) };
}
