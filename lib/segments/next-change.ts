import { parseDate } from "@/lib/time";
import { compileComparison, compileEvaluator, fieldGetter, pathGetter, unitMs, windowBounds, type EvalInput } from "./evaluate";
import { SEGMENT_SCHEMA_VERSION, type DateOperator, type EventCondition, type Group, type SegmentDefinition, type SegmentNode } from "./schema";

/**
 * When can a person's answer change with nothing happening but time passing — no new event,
 * no trait, membership or subscription change? "No purchase in the last 30 days": a member
 * leaves when their last purchase turns 30 days old. Time-based re-checks are scheduled by
 * this.
 *
 * The answer is a moment `next` > now such that the evaluator (lib/segments/evaluate.ts)
 * gives the same answer at every instant from now until just before `next`; null when that
 * holds forever. It may be early (a re-check that finds no change costs one evaluation),
 * never late. It is exact for a date condition on its own (firstSeen, lastSeen, a trait),
 * and for a count in a window when no event is dated after now; close for the rest:
 *
 * - Everything that reads `now` in the evaluator, and nothing else, can move:
 *   - `event` windows: `last` (an event leaves at timestamp + window + 1 ms; a future-dated
 *     event enters at its timestamp) and `ever` (a future-dated event enters at its
 *     timestamp). `between` is fixed: `from ≤ t < to` whatever now is.
 *   - the relative date operators `withinLast` (true from t to t + amount, both included)
 *     and `moreThanAgo` (true from t + amount + 1 ms on), on firstSeen/lastSeen, on date
 *     traits and on date property filters. `before`/`after`/`between`/`notBetween` compare
 *     with fixed dates.
 *   - segment, bucket and subscription conditions, and every other comparison, never move.
 * - An event counts while its window and each of its timed filters hold; the first moment
 *   that may change is the soonest of theirs while it counts, and while it does not, the
 *   latest of those that fail (all of them must change before it counts).
 * - A count moves one event at a time, so "at least 3" held by 5 events can only fail once
 *   3 of them have left: the 3rd earliest leaving. Likewise for the entries a failing count
 *   needs, and for `lte` and `eq` (entries and leavings that only move the count away from
 *   the threshold are not waited for).
 * - A group that holds because of one child that never changes never changes; an `and`
 *   that holds changes when its first child does, one that fails not before every failing
 *   child has changed (the latest of theirs); `or` the other way round; `not` keeps the
 *   moment.
 *
 * Times are whole milliseconds, as the evaluator compares them. A moment after the last one
 * a Date can hold (year 275760) never comes: null.
 *
 * Cheap enough to run for every person an event touched against every saved segment: one
 * pass over the person's events per event condition, with no allocation per event (the
 * moments are gathered in arrays reused from one person to the next).
 */

/** Compile a definition once for `now`; the returned function gives the next moment (epoch ms > now), or null for never. */
export function compileNextChange(definition: SegmentDefinition, now: Date): (input: EvalInput) => number | null {
  const root = compileNode(definition.root, nowMs(now), now);
  return (input) => moment(root.run(input));
}

/** The next moment the person's answer may change by time alone, or null for never. */
export function nextChange(definition: SegmentDefinition, input: EvalInput, now: Date): Date | null {
  const next = compileNextChange(definition, now)(input);
  return next === null ? null : new Date(next);
}

/**
 * Whether the person matches now (exactly as compileEvaluator decides) and the next moment
 * that may change: both in one pass, for a re-check that schedules the one after it.
 */
export function compileTimeline(definition: SegmentDefinition, now: Date): (input: EvalInput) => { match: boolean; next: number | null } {
  const root = compileNode(definition.root, nowMs(now), now);
  return (input) => {
    const next = moment(root.run(input));
    return { match: root.holds, next };
  };
}

// ---------------------------------------------------------------------------------------

/** The last millisecond a Date can hold (±8.64e15): a change due later never comes. */
const LAST_TIME = 8.64e15;
const NEVER = Infinity;

function moment(next: number): number | null {
  return next <= LAST_TIME ? next : null;
}

function nowMs(now: Date): number {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new RangeError("now must be a valid Date");
  return ms;
}

interface Timed {
  /**
   * Decides the node for the person (into `holds`) and returns the first millisecond after
   * now at which its answer may differ: NEVER when it cannot by time alone.
   */
  run: (input: EvalInput) => number;
  holds: boolean;
  /** Rough cost, to run cheap children first: a child that never changes can decide its group. */
  cost: number;
}

function compileNode(node: SegmentNode, now: number, date: Date): Timed {
  switch (node.type) {
    case "group":
      return compileGroup(node, now, date);
    case "event":
      return compileEvent(node, now);
    case "trait": {
      const next = node.valueType === "date" ? relativeNext(node.operator, now) : null;
      if (next === null) return fixed(node, date);
      const get = fieldGetter(node.field);
      const test = compileComparison(node, now);
      const timed: Timed = {
        run: (i) => {
          const value = get(i.profile);
          timed.holds = test(value);
          return dateValueNext(value, next);
        },
        holds: false,
        cost: 3,
      };
      return timed;
    }
    case "firstSeen":
    case "lastSeen": {
      const next = relativeNext(node.operator, now);
      if (next === null) return fixed(node, date);
      const test = leafTest(node, date);
      const get = node.type === "firstSeen" ? (i: EvalInput) => i.profile.firstSeenAt : (i: EvalInput) => i.profile.lastSeenAt;
      const timed: Timed = {
        run: (i) => {
          timed.holds = test(i);
          return next(get(i).getTime());
        },
        holds: false,
        cost: 1,
      };
      return timed;
    }
    case "segment":
    case "bucket":
    case "subscription":
      return fixed(node, date);
    default:
      throw new Error(`Invalid segment definition: unknown node type ${JSON.stringify((node as { type: unknown }).type)}`);
  }
}

/** The evaluator's own test of one condition. */
function leafTest(node: SegmentNode, date: Date): (input: EvalInput) => boolean {
  return compileEvaluator({ schemaVersion: SEGMENT_SCHEMA_VERSION, root: { type: "group", op: "and", children: [node] } }, date);
}

/** A condition time does not move. */
function fixed(node: SegmentNode, date: Date): Timed {
  const test = leafTest(node, date);
  const timed: Timed = {
    run: (i) => {
      timed.holds = test(i);
      return NEVER;
    },
    holds: false,
    cost: 1,
  };
  return timed;
}

/**
 * For a relative date operator, the first millisecond after now at which its answer about
 * the time `t` may differ (NEVER when it cannot; an invalid time, NaN, never passes);
 * null for the operators that compare with fixed dates.
 */
function relativeNext(op: DateOperator, now: number): ((t: number) => number) | null {
  switch (op.op) {
    case "withinLast": {
      // now − span ≤ t ≤ now: from the moment t until t + span, both included.
      const span = op.amount * unitMs(op.unit);
      return (t) => (now < t ? t : now <= t + span ? t + span + 1 : NEVER);
    }
    case "moreThanAgo": {
      // t < now − span: from t + span + 1 on, for good.
      const span = op.amount * unitMs(op.unit);
      return (t) => (now <= t + span ? t + span + 1 : NEVER);
    }
    default:
      return null;
  }
}

/** `relativeNext` of a stored value: only a string in the date format is a time (as the evaluator reads it). */
function dateValueNext(value: unknown, next: (t: number) => number): number {
  if (typeof value !== "string") return NEVER;
  const t = parseDate(value);
  return t === null ? NEVER : next(t);
}

function compileGroup(group: Group, now: number, date: Date): Timed {
  const isAnd = group.op === "and" ? true : group.op === "or" ? false : invalid("group op", group.op);
  const negate = group.not === true;
  // Cheapest first (a stable sort), as the evaluator orders them.
  const children = group.children.map((child) => compileNode(child, now, date)).sort((a, b) => a.cost - b.cost);
  const n = children.length;
  const timed: Timed = {
    run: isAnd
      ? (i) => {
          // Holds: until any child changes. Fails: until every failing child has changed.
          let all = true;
          let firstTrue = NEVER;
          let lastFalse = -Infinity;
          for (let k = 0; k < n; k++) {
            const child = children[k]!;
            const next = child.run(i);
            if (child.holds) {
              if (next < firstTrue) firstTrue = next;
            } else {
              if (next === NEVER) {
                timed.holds = negate; // fails for good
                return NEVER;
              }
              all = false;
              if (next > lastFalse) lastFalse = next;
            }
          }
          timed.holds = all !== negate;
          return all ? firstTrue : lastFalse;
        }
      : (i) => {
          // Fails: until any child changes. Holds: until every holding child has changed.
          let any = false;
          let firstFalse = NEVER;
          let lastTrue = -Infinity;
          for (let k = 0; k < n; k++) {
            const child = children[k]!;
            const next = child.run(i);
            if (child.holds) {
              if (next === NEVER) {
                timed.holds = !negate; // holds for good
                return NEVER;
              }
              any = true;
              if (next > lastTrue) lastTrue = next;
            } else if (next < firstFalse) {
              firstFalse = next;
            }
          }
          timed.holds = any !== negate;
          return any ? lastTrue : firstFalse;
        },
    holds: false,
    cost: children.reduce((sum, c) => sum + c.cost, 0),
  };
  return timed;
}

function compileEvent(node: EventCondition, now: number): Timed {
  const name = node.event;
  const window = node.window;
  const [lo, hi] = windowBounds(window, now);
  // `last` and `ever` end at now: a future-dated event enters at its time. Only `last` starts
  // at a distance from now: an event leaves it `span` after its time (both ends included).
  const enters = window.kind !== "between";
  const span = window.kind === "last" ? window.amount * unitMs(window.unit) : NEVER;

  // Filters time does not move decide once whether an event can ever count; the relative
  // date filters move like windows.
  const fixedTests: ((properties: unknown) => boolean)[] = [];
  const timedGets: ((properties: unknown) => unknown)[] = [];
  const timedTests: ((value: unknown) => boolean)[] = [];
  const timedNexts: ((t: number) => number)[] = [];
  for (const f of node.where ?? []) {
    const get = pathGetter(f.path);
    const test = compileComparison(f, now);
    const next = f.valueType === "date" ? relativeNext(f.operator, now) : null;
    if (next === null) {
      fixedTests.push((properties) => test(get(properties)));
    } else {
      timedGets.push(get);
      timedTests.push(test);
      timedNexts.push(next);
    }
  }
  const nf = fixedTests.length;
  const nt = timedNexts.length;

  const { op, value: threshold } = node.count;
  if (op !== "gte" && op !== "lte" && op !== "eq") invalid("count op", op);

  // The moments counted events may leave, and other events may enter, reused per person.
  const leaving: number[] = [];
  const entering: number[] = [];

  const timed: Timed = {
    run: (i) => {
      const events = i.events;
      let count = 0;
      let nLeaving = 0;
      let nEntering = 0;
      let firstLeaving = NEVER;
      let firstEntering = NEVER;
      scan: for (let k = 0, len = events.length; k < len; k++) {
        const e = events[k]!;
        if (e.name !== name) continue;
        const t = e.timestamp.getTime();
        let counts: boolean;
        let next: number;
        if (t >= lo && t <= hi) {
          counts = true;
          next = t + span + 1; // NEVER unless `last`
        } else if (enters && t > now) {
          counts = false;
          next = t;
        } else {
          continue; // outside the window for good (or an invalid time, NaN, in no window)
        }
        for (let j = 0; j < nf; j++) if (!fixedTests[j]!(e.properties)) continue scan;
        if (nt > 0) {
          // Counts while the window and every timed filter hold.
          let all = counts;
          let first = counts ? next : NEVER;
          let last = counts ? -Infinity : next;
          for (let j = 0; j < nt; j++) {
            const value = timedGets[j]!(e.properties);
            const at = dateValueNext(value, timedNexts[j]!);
            if (timedTests[j]!(value)) {
              if (at < first) first = at;
            } else {
              if (at === NEVER) continue scan; // fails for good
              all = false;
              if (at > last) last = at;
            }
          }
          counts = all;
          next = all ? first : last;
        }
        if (counts) {
          count++;
          if (next !== NEVER) {
            leaving[nLeaving++] = next;
            if (next < firstLeaving) firstLeaving = next;
          }
        } else if (next !== NEVER) {
          entering[nEntering++] = next;
          if (next < firstEntering) firstEntering = next;
        }
      }

      // How many events must enter (up), or leave (down), before the answer can change.
      let holds: boolean;
      let up = NEVER;
      let down = NEVER;
      if (op === "gte") {
        holds = count >= threshold;
        if (holds) down = count - threshold + 1;
        else up = threshold - count;
      } else if (op === "lte") {
        holds = count <= threshold;
        if (holds) up = threshold - count + 1;
        else down = count - threshold;
      } else {
        holds = count === threshold;
        if (holds) up = down = 1;
        else if (count > threshold) down = count - threshold;
        else up = threshold - count;
      }
      timed.holds = holds;
      return Math.min(kthSmallest(entering, nEntering, up, firstEntering), kthSmallest(leaving, nLeaving, down, firstLeaving));
    },
    holds: false,
    cost: 100 + 20 * (nf + nt),
  };
  return timed;
}

/**
 * The k-th smallest (from 1) of a[0 … n−1], reordering them (quickselect); NEVER when there
 * are fewer than k. `min` is the smallest, known already. (Exported for its test.)
 */
export function kthSmallest(a: number[], n: number, k: number, min: number): number {
  if (k > n) return NEVER;
  if (k <= 1) return min;
  const target = k - 1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const x = a[i]!;
        a[i] = a[j]!;
        a[j] = x;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

function invalid(what: string, value: unknown): never {
  throw new Error(`Invalid segment definition: unknown ${what} ${JSON.stringify(value)}`);
}
