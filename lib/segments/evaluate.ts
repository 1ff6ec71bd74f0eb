import { parseDate } from "@/lib/time";
import {
  foldCase,
  includesMissing,
  BUILTIN_FIELDS,
  UNIT_MS,
  type BuiltinField,
  type DateOperator,
  type EventCondition,
  type Group,
  type PropertyFilter,
  type SegmentDefinition,
  type SegmentNode,
  type TraitCondition,
  type Window,
} from "./schema";

/**
 * The in-memory evaluator: decides whether one person matches a segment definition,
 * exactly as docs/segment-definition.md says (the SQL compiler in
 * server/segments/compile-sql.ts follows the same page; the parity suite holds them to it).
 *
 * A definition is compiled once into closures — dates parsed, windows turned into
 * millisecond bounds, `in` lists into Sets, cheap conditions ordered before event scans —
 * and the result is run per person. `compileEvaluator` is the fast path (short-circuits,
 * stops counting events once the answer is known); `evaluate` also returns a trace of every
 * node, for "why does this person match".
 */

export interface EvalProfile {
  id: string;
  userId: string | null;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  locale: string | null;
  country: string | null;
  traits: Record<string, unknown>;
  bucket: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export interface EvalEvent {
  /** The track event's name, or the page/screen name; null for other kinds of events. */
  name: string | null;
  timestamp: Date;
  properties: Record<string, unknown>;
}

export interface EvalInput {
  profile: EvalProfile;
  events: readonly EvalEvent[];
  /** Ids of the saved segments the person is currently a member of. */
  memberships: ReadonlySet<string>;
  /**
   * Ids of the subscription groups the person is subscribed to now: their own answer, or
   * the group's default when they gave none (opt-out groups count them in). Built by
   * `subscribedGroups` (lib/consent/schema.ts) from the workspace's groups.
   */
  subscriptions: ReadonlySet<string>;
}

export interface Trace {
  /** Path to the node, as in validation errors: `["root", "children", 1]`. */
  path: (string | number)[];
  id?: string;
  type: SegmentNode["type"];
  /** Whether the node holds (for a group: after `not`). */
  holds: boolean;
  /**
   * What the condition looked at: trait → the value found (undefined if missing or null);
   * event → the number of matching events; firstSeen/lastSeen → the ISO time; bucket → the
   * bucket; segment → whether the person is a member; subscription → whether they are
   * subscribed; group → undefined.
   */
  seen: unknown;
  children?: Trace[];
}

/** Whether the person matches, with the trace of every node (every child is evaluated). */
export function evaluate(definition: SegmentDefinition, input: EvalInput, now: Date): { match: boolean; trace: Trace } {
  const trace = compileNode(definition.root, nowMs(now)).explain(input, ["root"]);
  return { match: trace.holds, trace };
}

/** Compile a definition once for `now`; the returned function decides membership (no trace). */
export function compileEvaluator(definition: SegmentDefinition, now: Date): (input: EvalInput) => boolean {
  return compileNode(definition.root, nowMs(now)).test;
}

/**
 * Per-condition counts in one pass: the returned function writes into `children[k]`
 * whether the root's k-th child holds on its own (the root's `not` not applied) and
 * returns whether the person matches the whole definition. Every child is evaluated (no
 * short-circuit), so this costs one evaluation of each child, not one more of the root.
 */
export function compileConditionEvaluator(definition: SegmentDefinition, now: Date): (input: EvalInput, children: boolean[]) => boolean {
  const ms = nowMs(now);
  const root = definition.root;
  const tests = root.children.map((child) => compileNode(child, ms).test);
  const isAnd = root.op === "and" ? true : root.op === "or" ? false : unsupported("group op", root.op);
  const negate = root.not === true;
  const n = tests.length;
  return (input, children) => {
    let holds = isAnd;
    for (let k = 0; k < n; k++) {
      const h = tests[k]!(input);
      children[k] = h;
      if (isAnd ? !h : h) holds = !isAnd;
    }
    return negate ? !holds : holds;
  };
}

/** Whether one node (a condition or a group) holds for the person: per-condition ✓/✗, journey branches. */
export function evaluateCondition(node: SegmentNode, input: EvalInput, now: Date): boolean {
  return compileNode(node, nowMs(now)).test(input);
}

// ---------------------------------------------------------------------------------------
// Compilation. (windowBounds, the value getters, compileComparison and unitMs are exported
// for lib/segments/next-change.ts, which must read windows and values exactly as this does.)

type Pred = (input: EvalInput) => boolean;
type Path = (string | number)[];

interface CompiledNode {
  /** Fast: short-circuits, no allocation. */
  test: Pred;
  /** Complete: evaluates every child and reports what it saw. */
  explain: (input: EvalInput, path: Path) => Trace;
  /** Rough cost, to run cheap children of a group first (the result does not depend on order). */
  cost: number;
}

function nowMs(now: Date): number {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new RangeError("now must be a valid Date");
  return ms;
}

function definitionDate(value: string): number {
  const t = parseDate(value);
  if (t === null) throw new Error(`Invalid segment definition: ${JSON.stringify(value)} is not a date`);
  return t;
}

function unsupported(what: string, value: unknown): never {
  throw new Error(`Invalid segment definition: unknown ${what} ${JSON.stringify(value)}`);
}

function trace(node: SegmentNode, path: Path, holds: boolean, seen: unknown, children?: Trace[]): Trace {
  const t: Trace = { path, type: node.type, holds, seen };
  if (node.id !== undefined) t.id = node.id;
  if (children) t.children = children;
  return t;
}

function compileNode(node: SegmentNode, now: number): CompiledNode {
  switch (node.type) {
    case "group":
      return compileGroup(node, now);
    case "trait":
      return compileTrait(node, now);
    case "event":
      return compileEvent(node, now);
    case "firstSeen":
    case "lastSeen": {
      const test = compileDateTest(node.operator, now);
      const get = node.type === "firstSeen" ? (i: EvalInput) => i.profile.firstSeenAt : (i: EvalInput) => i.profile.lastSeenAt;
      return {
        test: (i) => test(get(i).getTime()),
        explain: (i, path) => {
          const d = get(i);
          const t = d.getTime();
          return trace(node, path, test(t), Number.isFinite(t) ? d.toISOString() : undefined);
        },
        cost: 1,
      };
    }
    case "segment": {
      const { segmentId } = node;
      const wantIn = node.op === "in" ? true : node.op === "notIn" ? false : unsupported("segment op", node.op);
      return {
        test: wantIn ? (i) => i.memberships.has(segmentId) : (i) => !i.memberships.has(segmentId),
        explain: (i, path) => {
          const member = i.memberships.has(segmentId);
          return trace(node, path, member === wantIn, member);
        },
        cost: 1,
      };
    }
    case "bucket": {
      const { from, to } = node;
      return {
        test: (i) => from <= i.profile.bucket && i.profile.bucket <= to,
        explain: (i, path) => {
          const b = i.profile.bucket;
          return trace(node, path, from <= b && b <= to, b);
        },
        cost: 1,
      };
    }
    case "subscription": {
      const { groupId } = node;
      const wanted = node.op === "subscribed" ? true : node.op === "unsubscribed" ? false : unsupported("subscription op", node.op);
      return {
        test: wanted ? (i) => i.subscriptions.has(groupId) : (i) => !i.subscriptions.has(groupId),
        explain: (i, path) => {
          const subscribed = i.subscriptions.has(groupId);
          return trace(node, path, subscribed === wanted, subscribed);
        },
        cost: 1,
      };
    }
    default:
      return unsupported("node type", (node as { type: unknown }).type);
  }
}

function compileGroup(group: Group, now: number): CompiledNode {
  const compiled = group.children.map((child) => compileNode(child, now));
  const negate = group.not === true;
  const isAnd = group.op === "and" ? true : group.op === "or" ? false : unsupported("group op", group.op);
  // Cheapest first for the fast path: a country check before a scan of 200 events.
  const ordered = byCost(compiled).map((c) => c.test);

  let test: Pred;
  if (ordered.length === 0) {
    test = isAnd ? () => true : () => false;
  } else if (ordered.length === 1) {
    test = ordered[0]!;
  } else if (ordered.length === 2) {
    const [a, b] = ordered as [Pred, Pred];
    test = isAnd ? (i) => a(i) && b(i) : (i) => a(i) || b(i);
  } else if (ordered.length === 3) {
    const [a, b, c] = ordered as [Pred, Pred, Pred];
    test = isAnd ? (i) => a(i) && b(i) && c(i) : (i) => a(i) || b(i) || c(i);
  } else {
    const n = ordered.length;
    test = isAnd
      ? (i) => {
          for (let k = 0; k < n; k++) if (!ordered[k]!(i)) return false;
          return true;
        }
      : (i) => {
          for (let k = 0; k < n; k++) if (ordered[k]!(i)) return true;
          return false;
        };
  }
  if (negate) {
    const inner = test;
    test = (i) => !inner(i);
  }

  return {
    test,
    explain: (i, path) => {
      // Every child, in the definition's order, so the trace is complete.
      const children = compiled.map((c, k) => c.explain(i, [...path, "children", k]));
      let holds = isAnd ? children.every((c) => c.holds) : children.some((c) => c.holds);
      if (negate) holds = !holds;
      return trace(group, path, holds, undefined, children);
    },
    cost: compiled.reduce((sum, c) => sum + c.cost, 0),
  };
}

function compileTrait(node: TraitCondition, now: number): CompiledNode {
  const get = fieldGetter(node.field);
  const test = compileComparison(node, now);
  return {
    test: (i) => test(get(i.profile)),
    explain: (i, path) => {
      const value = get(i.profile);
      return trace(node, path, test(value), value);
    },
    cost: node.valueType === "date" ? 3 : 1,
  };
}

/**
 * Inclusive millisecond bounds of an event window. Event times are whole milliseconds
 * (a Date holds an integer), so the exclusive end of `between` (t < to) is t ≤ to − 1.
 */
export function windowBounds(window: Window, now: number): [number, number] {
  switch (window.kind) {
    case "ever":
      return [-Infinity, now];
    case "last":
      return [now - window.amount * unitMs(window.unit), now];
    case "between":
      return [definitionDate(window.from), definitionDate(window.to) - 1];
    default:
      return unsupported("window", (window as { kind: unknown }).kind);
  }
}

/** Counts a person's events that are the condition's (name, window, property filters), no further than `stopAt`. */
function eventCounter(node: EventCondition, now: number): (events: readonly EvalEvent[], stopAt: number) => number {
  const name = node.event;
  const [lo, hi] = windowBounds(node.window, now);
  const filters = (node.where ?? []).map((f) => {
    const get = pathGetter(f.path);
    const test = compileComparison(f, now);
    return (properties: unknown) => test(get(properties));
  });
  const nf = filters.length;
  const where: ((properties: unknown) => boolean) | null =
    nf === 0
      ? null
      : nf === 1
        ? filters[0]!
        : (properties) => {
            for (let k = 0; k < nf; k++) if (!filters[k]!(properties)) return false;
            return true;
          };
  return (events, stopAt) => {
    let c = 0;
    for (let k = 0, len = events.length; k < len; k++) {
      const e = events[k]!;
      if (e.name !== name) continue;
      const t = e.timestamp.getTime();
      if (!(t >= lo && t <= hi)) continue; // (an invalid Date, NaN, is in no window)
      if (where !== null && !where(e.properties)) continue;
      if (++c >= stopAt) break;
    }
    return c;
  };
}

/**
 * How many of the person's events are the condition's (its count is ignored), counting no
 * further than `max`: the threshold helper's histogram, in memory.
 */
export function compileEventCounter(node: EventCondition, now: Date, max: number): (input: EvalInput) => number {
  const count = eventCounter(node, nowMs(now));
  return (input) => count(input.events, max);
}

function compileEvent(node: EventCondition, now: number): CompiledNode {
  const count = eventCounter(node, now);
  const nf = (node.where ?? []).length;

  const { op, value: n } = node.count;
  const holds: (count: number) => boolean =
    op === "gte" ? (c) => c >= n : op === "lte" ? (c) => c <= n : op === "eq" ? (c) => c === n : unsupported("count op", op);

  // gte n is decided at n matches, lte n and eq n at n + 1; "gte 0" holds for everyone.
  const stopAt = op === "gte" ? n : n + 1;
  return {
    test: stopAt <= 0 ? () => true : (i) => holds(count(i.events, stopAt)),
    explain: (i, path) => {
      const c = count(i.events, Infinity);
      return trace(node, path, holds(c), c);
    },
    cost: 100 + 20 * nf,
  };
}

/** Stable sort by cost (insertion sort: groups are small, and this runs on every compile). */
function byCost(nodes: CompiledNode[]): CompiledNode[] {
  const out = nodes.slice();
  for (let k = 1; k < out.length; k++) {
    const node = out[k]!;
    let j = k - 1;
    while (j >= 0 && out[j]!.cost > node.cost) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = node;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Values: paths into traits and properties, and typed comparisons.

type Getter = (root: unknown) => unknown;

/** Keys every plain object inherits; only for these does a lookup need an own-property check. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The value at a dot path, walking object keys only: an absent key, or a step into an
 * array, a primitive or null, is missing (undefined). A JSON null is missing too.
 */
export function pathGetter(path: string): Getter {
  const keys = path.split(".");
  // Only own keys count: `constructor` or `toString` must not find Object.prototype's.
  const inherited = keys.map((k) => PROTOTYPE_KEYS.has(k));
  if (keys.length === 1 && !inherited[0]) {
    const key = keys[0]!;
    return (root) => {
      if (!isObject(root)) return undefined;
      const v = root[key];
      return v === null ? undefined : v;
    };
  }
  const n = keys.length;
  return (root) => {
    let current = root;
    for (let k = 0; k < n; k++) {
      if (!isObject(current)) return undefined;
      const key = keys[k]!;
      if (inherited[k] && !Object.hasOwn(current, key)) return undefined;
      current = current[key];
    }
    return current === null ? undefined : current;
  };
}

/** A profile field's value (`traits.<path>` or a built-in field); null is missing (undefined). */
export function fieldGetter(field: string): (profile: EvalProfile) => unknown {
  if (field.startsWith("traits.")) {
    const get = pathGetter(field.slice("traits.".length));
    return (p) => get(p.traits);
  }
  if ((BUILTIN_FIELDS as readonly string[]).includes(field)) {
    const key = field as BuiltinField;
    return (p) => {
      const v = p[key];
      return v === null ? undefined : v;
    };
  }
  return unsupported("field", field);
}

type ValueTest = (value: unknown) => boolean;

/**
 * A typed comparison. A value of another type than `valueType`, or a missing one, fails
 * every operator of that type, the negative ones included — unless the operator says
 * `includeMissing`: then a missing value (absent or null) passes; a value of another type
 * still fails.
 */
export function compileComparison(c: TraitCondition | PropertyFilter, now: number): ValueTest {
  const test = compileTypedTest(c, now);
  return includesMissing(c.operator) ? (v) => v === undefined || v === null || test(v) : test;
}

function compileTypedTest(c: TraitCondition | PropertyFilter, now: number): ValueTest {
  switch (c.valueType) {
    case "any": {
      const op = c.operator.op;
      if (op === "exists") return (v) => v !== undefined && v !== null;
      if (op === "notExists") return (v) => v === undefined || v === null;
      return unsupported("operator", op);
    }
    case "string": {
      const o = c.operator;
      const fold = "ignoreCase" in o && o.ignoreCase ? foldCase : (text: string) => text;
      const str = (test: (v: string) => boolean): ValueTest => (v) => typeof v === "string" && test(fold(v));
      switch (o.op) {
        case "equals": {
          const x = fold(o.value);
          return str((v) => v === x);
        }
        case "notEquals": {
          const x = fold(o.value);
          return str((v) => v !== x);
        }
        case "contains": {
          const x = fold(o.value);
          return str((v) => v.includes(x));
        }
        case "notContains": {
          const x = fold(o.value);
          return str((v) => !v.includes(x));
        }
        case "startsWith": {
          const x = fold(o.value);
          return str((v) => v.startsWith(x));
        }
        case "notStartsWith": {
          const x = fold(o.value);
          return str((v) => !v.startsWith(x));
        }
        case "endsWith": {
          const x = fold(o.value);
          return str((v) => v.endsWith(x));
        }
        case "notEndsWith": {
          const x = fold(o.value);
          return str((v) => !v.endsWith(x));
        }
        case "in": {
          const set = new Set<string>(o.values.map(fold));
          return str((v) => set.has(v));
        }
        case "notIn": {
          const set = new Set<string>(o.values.map(fold));
          return str((v) => !set.has(v));
        }
        case "isEmpty":
          return (v) => v === "";
        case "isNotEmpty":
          return (v) => typeof v === "string" && v !== "";
        default:
          return unsupported("string operator", (o as { op: unknown }).op);
      }
    }
    case "number": {
      const o = c.operator;
      const num = (test: (v: number) => boolean): ValueTest => (v) => typeof v === "number" && test(v);
      switch (o.op) {
        case "equals": {
          const x = o.value;
          return num((v) => v === x);
        }
        case "notEquals": {
          const x = o.value;
          return num((v) => v !== x);
        }
        case "gt": {
          const x = o.value;
          return num((v) => v > x);
        }
        case "gte": {
          const x = o.value;
          return num((v) => v >= x);
        }
        case "lt": {
          const x = o.value;
          return num((v) => v < x);
        }
        case "lte": {
          const x = o.value;
          return num((v) => v <= x);
        }
        case "between": {
          const { min, max } = o;
          return num((v) => min <= v && v <= max);
        }
        case "notBetween": {
          const { min, max } = o;
          return num((v) => v < min || v > max);
        }
        case "in": {
          const set = new Set<number>(o.values);
          return num((v) => set.has(v));
        }
        case "notIn": {
          const set = new Set<number>(o.values);
          return num((v) => !set.has(v));
        }
        default:
          return unsupported("number operator", (o as { op: unknown }).op);
      }
    }
    case "boolean": {
      const o = c.operator;
      if (o.op !== "equals") return unsupported("boolean operator", o.op);
      const x = o.value;
      return (v) => typeof v === "boolean" && v === x;
    }
    case "date": {
      const test = compileDateTest(c.operator, now);
      return (v) => {
        if (typeof v !== "string") return false;
        const t = parseDate(v);
        return t !== null && test(t);
      };
    }
    case "list": {
      const o = c.operator;
      const list = (test: (v: unknown[]) => boolean): ValueTest => (v) => Array.isArray(v) && test(v);
      switch (o.op) {
        case "contains": {
          // Array.includes is SameValueZero: the same JSON type and value, for strings and numbers.
          const x = o.value;
          return list((v) => v.includes(x));
        }
        case "notContains": {
          const x = o.value;
          return list((v) => !v.includes(x));
        }
        case "containsAny": {
          const set = new Set<unknown>(o.values);
          return list((v) => v.some((e) => set.has(e)));
        }
        case "containsAll": {
          const wanted = [...new Set<unknown>(o.values)];
          return list((v) => wanted.every((w) => v.includes(w)));
        }
        case "containsNone": {
          const set = new Set<unknown>(o.values);
          return list((v) => !v.some((e) => set.has(e)));
        }
        case "isEmpty":
          return list((v) => v.length === 0);
        case "isNotEmpty":
          return list((v) => v.length > 0);
        default:
          return unsupported("list operator", (o as { op: unknown }).op);
      }
    }
    default:
      return unsupported("valueType", (c as { valueType: unknown }).valueType);
  }
}

/** A date operator on milliseconds; dates in the definition are parsed once, here. */
function compileDateTest(op: DateOperator, now: number): (t: number) => boolean {
  switch (op.op) {
    case "before": {
      const x = definitionDate(op.value);
      return (t) => t < x;
    }
    case "after": {
      const x = definitionDate(op.value);
      return (t) => t > x;
    }
    case "between": {
      const from = definitionDate(op.from);
      const to = definitionDate(op.to);
      return (t) => from <= t && t < to;
    }
    case "notBetween": {
      const from = definitionDate(op.from);
      const to = definitionDate(op.to);
      return (t) => t < from || t >= to;
    }
    case "withinLast": {
      const from = now - op.amount * unitMs(op.unit);
      return (t) => from <= t && t <= now;
    }
    case "moreThanAgo": {
      const before = now - op.amount * unitMs(op.unit);
      return (t) => t < before;
    }
    default:
      return unsupported("date operator", (op as { op: unknown }).op);
  }
}

/** Milliseconds in one `unit` of a window or a relative date operator. */
export function unitMs(unit: string): number {
  const ms = (UNIT_MS as Record<string, number>)[unit];
  return ms ?? unsupported("unit", unit);
}
