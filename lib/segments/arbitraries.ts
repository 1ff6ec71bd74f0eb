import fc from "fast-check";
import { parseDate } from "@/lib/time";
import type { EvalEvent, EvalInput, EvalProfile } from "./evaluate";
import { BUILTIN_FIELDS, type Comparison, type DateOperator, type Group, type PropertyFilter, type SegmentDefinition, type SegmentNode, type SubscriptionCondition, type TraitCondition, type Window } from "./schema";

/** A comparison without the path it applies to (trait conditions and property filters add their own). */
export type ComparisonShape = Comparison extends infer C ? (C extends unknown ? Omit<C, "path"> : never) : never;

/**
 * fast-check generators of comparisons, shared by the evaluator's property tests and the
 * evaluator ↔ SQL parity suite (tests only). Every operator of every value type, with
 * `ignoreCase` and `includeMissing` where the schema allows them, over the values given.
 */
export function comparisonArbitrary(input: {
  strings: readonly string[];
  numbers: readonly number[];
  dateOperator: fc.Arbitrary<DateOperator>;
  /** Most comparisons are generated without the flags, as people write them. */
  flagged?: number;
}): fc.Arbitrary<ComparisonShape> {
  const string = fc.constantFrom(...input.strings);
  const number = fc.constantFrom(...input.numbers);
  const listValue = fc.oneof(string, number);
  const flag = fc.option(fc.boolean(), { nil: undefined, freq: input.flagged ?? 2 });
  // Optional flags only when set: a definition as people write them has no `undefined` keys.
  const withFlags = <T extends object>(operator: T, flags: Record<string, boolean | undefined>) =>
    ({ ...operator, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) }) as T;
  const between = fc.tuple(number, number).map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) }));
  const comparisons = [
    fc.record({ valueType: fc.constant("any" as const), operator: fc.record({ op: fc.constantFrom("exists" as const, "notExists" as const) }) }),
    fc.record({
      valueType: fc.constant("string" as const),
      operator: fc.oneof(
        fc.tuple(fc.constantFrom("equals" as const, "contains" as const, "startsWith" as const, "endsWith" as const), string, flag).map(([op, value, ignoreCase]) => withFlags({ op, value }, { ignoreCase })),
        fc
          .tuple(fc.constantFrom("notEquals" as const, "notContains" as const, "notStartsWith" as const, "notEndsWith" as const), string, flag, flag)
          .map(([op, value, ignoreCase, includeMissing]) => withFlags({ op, value }, { ignoreCase, includeMissing })),
        fc.tuple(fc.uniqueArray(string, { minLength: 1, maxLength: 3 }), flag).map(([values, ignoreCase]) => withFlags({ op: "in" as const, values }, { ignoreCase })),
        fc.tuple(fc.uniqueArray(string, { minLength: 1, maxLength: 3 }), flag, flag).map(([values, ignoreCase, includeMissing]) => withFlags({ op: "notIn" as const, values }, { ignoreCase, includeMissing })),
        flag.map((includeMissing) => withFlags({ op: "isEmpty" as const }, { includeMissing })),
        fc.constant({ op: "isNotEmpty" as const }),
      ),
    }),
    fc.record({
      valueType: fc.constant("number" as const),
      operator: fc.oneof(
        fc.record({ op: fc.constantFrom("equals" as const, "gt" as const, "gte" as const, "lt" as const, "lte" as const), value: number }),
        fc.tuple(number, flag).map(([value, includeMissing]) => withFlags({ op: "notEquals" as const, value }, { includeMissing })),
        between.map((b) => ({ op: "between" as const, ...b })),
        fc.tuple(between, flag).map(([b, includeMissing]) => withFlags({ op: "notBetween" as const, ...b }, { includeMissing })),
        fc.uniqueArray(number, { minLength: 1, maxLength: 3 }).map((values) => ({ op: "in" as const, values })),
        fc.tuple(fc.uniqueArray(number, { minLength: 1, maxLength: 3 }), flag).map(([values, includeMissing]) => withFlags({ op: "notIn" as const, values }, { includeMissing })),
      ),
    }),
    fc.record({ valueType: fc.constant("boolean" as const), operator: fc.record({ op: fc.constant("equals" as const), value: fc.boolean() }) }),
    fc.record({
      valueType: fc.constant("date" as const),
      operator: fc.tuple(input.dateOperator, flag).map(([operator, includeMissing]) => (operator.op === "notBetween" ? withFlags(operator, { includeMissing }) : operator)),
    }),
    fc.record({
      valueType: fc.constant("list" as const),
      operator: fc.oneof(
        listValue.map((value) => ({ op: "contains" as const, value })),
        fc.tuple(listValue, flag).map(([value, includeMissing]) => withFlags({ op: "notContains" as const, value }, { includeMissing })),
        fc.record({ op: fc.constantFrom("containsAny" as const, "containsAll" as const), values: fc.array(listValue, { minLength: 1, maxLength: 3 }) }),
        fc.tuple(fc.array(listValue, { minLength: 1, maxLength: 3 }), flag).map(([values, includeMissing]) => withFlags({ op: "containsNone" as const, values }, { includeMissing })),
        flag.map((includeMissing) => withFlags({ op: "isEmpty" as const }, { includeMissing })),
        fc.constant({ op: "isNotEmpty" as const }),
      ),
    }),
  ];
  return fc.oneof(...comparisons) as fc.Arbitrary<ComparisonShape>;
}

/**
 * Subscription conditions over `groupIds` (name some that do not exist, or belong to
 * another workspace: nobody is subscribed to those).
 */
export function subscriptionConditionArbitrary(groupIds: readonly string[]): fc.Arbitrary<SubscriptionCondition> {
  return fc.record({
    type: fc.constant("subscription" as const),
    op: fc.constantFrom("subscribed" as const, "unsubscribed" as const),
    groupId: fc.constantFrom(...groupIds),
  });
}

/** A person's answers, per group of `groupIds`: yes, no, or none given (no entry: the group's default applies). */
export function subscriptionAnswersArbitrary(groupIds: readonly string[]): fc.Arbitrary<{ groupId: string; subscribed: boolean }[]> {
  return fc
    .tuple(...groupIds.map(() => fc.constantFrom<boolean | null>(true, false, null)))
    .map((answers) => answers.flatMap((subscribed, i) => (subscribed === null ? [] : [{ groupId: groupIds[i]!, subscribed }])));
}

// ---------------------------------------------------------------------------------------
// Definitions and people, for the property tests of the in-memory evaluator and of what
// is built on it (next-change.ts), generated around one clock reading, GENERATED_NOW.

/** The clock the generators below are built around (their edges are measured from it). */
export const GENERATED_NOW = new Date("2026-11-25T12:00:00.000Z");
const MS = GENERATED_NOW.getTime();
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (ms: number) => new Date(ms);

// Small domains, so that conditions often hold, often fail, and often sit on an edge.
const DATES = ["1970-01-01", "2026-11-01", "2026-11-18T12:00Z", "2026-11-24T12:00:00+00:00", "2026-11-25T12:00Z", "2026-11-25T13:00+01:00", "2026-11-26", "2199-12-31"];
const sortedDates = [...DATES].sort((a, b) => parseDate(a)! - parseDate(b)!);
const STRINGS = ["pro", "Pro", "PRO", "", "free", "p", "P", "2026-11-20", "7", "ä", "Ä"];
const NUMBERS = [0, -0, 1, 3, 7, 2.5, -1, 100];

// Times on and around the edges that the generated windows and operators use.
const EDGES = [0, 1, -1, MINUTE, HOUR, DAY, 7 * DAY, 30 * DAY, 7 * HOUR, 7 * MINUTE, 30 * HOUR];
/** Epoch milliseconds on and around the edges (of the windows, operators and dates below), and anywhere from 40 days before to a day after GENERATED_NOW. */
export const arbTime = fc.oneof(
  fc.tuple(fc.constantFrom(...EDGES), fc.constantFrom(-1, 0, 1)).map(([d, e]) => MS - d + e),
  fc.tuple(fc.constantFrom(...DATES), fc.constantFrom(-1, 0, 1)).map(([d, e]) => parseDate(d)! + e),
  fc.integer({ min: MS - 40 * DAY, max: MS + DAY }),
);
/** Date strings in every format (and some that are not dates), near the edges. */
export const arbDateString = fc.oneof(
  arbTime.map((t) => new Date(t).toISOString()),
  arbTime.map((t) => new Date(t + HOUR).toISOString().replace("Z", "+01:00")),
  arbTime.map((t) => new Date(t).toISOString().slice(0, 16).replace("T", " ")),
  fc.constantFrom(...DATES, "2026-02-30", "2026-11-25T25:00", "1969-12-31", "2026-11-25T12:00:00.5Z", "2026-11-25"),
);

const arbScalar = fc.oneof(fc.constantFrom<unknown>(...STRINGS), fc.constantFrom<unknown>(...NUMBERS), fc.boolean(), fc.constant(null), arbDateString);
const arbJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { arbitrary: arbScalar, weight: 5 },
    { arbitrary: fc.array(tie("value"), { maxLength: 3 }), weight: 1 },
    { arbitrary: fc.dictionary(fc.constantFrom("s", "x"), tie("value"), { maxKeys: 2 }), weight: 1 },
  ),
})).value;

/** Mostly the type its name says (s string, n number, b boolean, d date, l list), sometimes anything. */
const slot = (typed: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: typed, weight: 4 }, { arbitrary: arbJson, weight: 1 });
const typedSlots = {
  s: slot(fc.constantFrom(...STRINGS)),
  n: slot(fc.constantFrom(...NUMBERS)),
  b: slot(fc.boolean()),
  d: slot(arbDateString),
  l: slot(fc.array(fc.oneof({ arbitrary: fc.constantFrom<unknown>(...STRINGS, ...NUMBERS), weight: 4 }, { arbitrary: arbJson, weight: 1 }), { maxLength: 4 })),
};
const arbObject: fc.Arbitrary<Record<string, unknown>> = fc.record(
  { ...typedSlots, o: slot(fc.record(typedSlots, { requiredKeys: [] })), x: arbJson, constructor: arbJson, "c d": arbJson },
  { requiredKeys: [] },
);

const TYPED_KEY = { string: "s", number: "n", boolean: "b", date: "d", list: "l", any: "x" } as const;
const OTHER_PATHS = ["x", "o", "constructor", "c d", "s.x", "l.0", "x.s", "zz", "toString"];
/** A path that usually leads to a value of the comparison's type, sometimes elsewhere. */
const arbPathFor = (valueType: keyof typeof TYPED_KEY) =>
  fc.oneof(
    { arbitrary: fc.constant(TYPED_KEY[valueType]), weight: 5 },
    { arbitrary: fc.constant(`o.${TYPED_KEY[valueType]}`), weight: 2 },
    { arbitrary: fc.constantFrom(...OTHER_PATHS, ...Object.values(TYPED_KEY)), weight: 2 },
  );

/** Date operators over DATES and the relative amounts the generated times sit on the edges of. */
export const arbDateOperator: fc.Arbitrary<DateOperator> = fc.oneof(
  fc.record({ op: fc.constantFrom("before" as const, "after" as const), value: fc.constantFrom(...DATES) }),
  fc
    .tuple(fc.integer({ min: 0, max: sortedDates.length - 1 }), fc.integer({ min: 0, max: sortedDates.length - 1 }))
    .filter(([i, j]) => parseDate(sortedDates[i]!)! < parseDate(sortedDates[j]!)!)
    .chain(([i, j]) => fc.constantFrom("between" as const, "notBetween" as const).map((op) => ({ op, from: sortedDates[i]!, to: sortedDates[j]! }))),
  fc.record({ op: fc.constantFrom("withinLast" as const, "moreThanAgo" as const), amount: fc.constantFrom(1, 7, 30), unit: fc.constantFrom("minutes" as const, "hours" as const, "days" as const) }),
);

const arbComparison = comparisonArbitrary({ strings: STRINGS, numbers: NUMBERS, dateOperator: arbDateOperator });
/** A comparison with a path into traits or properties. */
const arbPathComparison = arbComparison.chain((c) => arbPathFor(c.valueType).map((path) => ({ path, ...c }) as PropertyFilter));

const arbWindow: fc.Arbitrary<Window> = fc.oneof(
  fc.constant({ kind: "ever" as const }),
  fc.record({ kind: fc.constant("last" as const), amount: fc.constantFrom(1, 7, 30), unit: fc.constantFrom("minutes" as const, "hours" as const, "days" as const) }),
  arbDateOperator.filter((o) => o.op === "between" || o.op === "notBetween").map((o) => ({ kind: "between" as const, from: (o as { from: string }).from, to: (o as { to: string }).to })),
);

const maybeId = fc.option(fc.constantFrom("n1", "n2"), { nil: undefined });
const withId = <T extends object>(node: T, id: string | undefined) => (id === undefined ? node : { ...node, id });

/** Any condition (every node type but group), valid as generated. */
export const arbCondition: fc.Arbitrary<SegmentNode> = fc.oneof(
  fc.tuple(arbPathComparison, maybeId).map(([{ path, ...c }, id]) => withId({ type: "trait", field: `traits.${path}`, ...c }, id) as TraitCondition),
  fc
    .tuple(fc.constantFrom(...BUILTIN_FIELDS), arbComparison.filter((c) => c.valueType === "string" || c.valueType === "any" || c.valueType === "date"), maybeId)
    .map(([field, c, id]) => withId({ type: "trait", field, ...c }, id) as TraitCondition),
  fc
    .record({
      event: fc.constantFrom("purchase", "app_open"),
      where: fc.array(arbPathComparison, { maxLength: 2 }),
      count: fc.record({ op: fc.constantFrom("gte" as const, "lte" as const, "eq" as const), value: fc.integer({ min: 0, max: 3 }) }),
      window: arbWindow,
      id: maybeId,
    })
    .map(({ id, ...e }) => withId({ type: "event" as const, ...e }, id)),
  fc.record({ type: fc.constantFrom("firstSeen" as const, "lastSeen" as const), operator: arbDateOperator }),
  fc.record({ type: fc.constant("segment" as const), op: fc.constantFrom("in" as const, "notIn" as const), segmentId: fc.constantFrom("s1", "s2") }),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 9999 })).map(([x, y]) => ({ type: "bucket" as const, from: Math.min(x, y), to: Math.max(x, y) })),
  subscriptionConditionArbitrary(["g1", "g2"]),
);

/** Groups nested a few levels deep, with `not` and ids sometimes. */
export const arbGroup: fc.Arbitrary<Group> = fc.letrec<{ group: Group; node: SegmentNode }>((tie) => ({
  group: fc
    .record({ op: fc.constantFrom("and" as const, "or" as const), not: fc.option(fc.boolean(), { nil: undefined }), children: fc.array(tie("node"), { maxLength: 4 }), id: maybeId })
    .map(({ not, id, ...g }) => withId({ type: "group" as const, ...g, ...(not === undefined ? {} : { not }) }, id)),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, arbCondition, arbCondition, tie("group")),
})).group;

export const arbDefinition: fc.Arbitrary<SegmentDefinition> = arbGroup.map((root) => ({ schemaVersion: 1, root }));

/** Events: mostly the names conditions ask for, at times on the edges. */
export const arbEvent: fc.Arbitrary<EvalEvent> = fc.record({
  name: fc.constantFrom<string | null>("purchase", "purchase", "app_open", "Purchase", null),
  timestamp: arbTime.map(at),
  properties: arbObject,
});
/** People: built-in fields, traits, times and events that often sit on the edges of the generated conditions. */
export const arbInput: fc.Arbitrary<EvalInput> = fc
  .record({
    builtins: fc.record(
      Object.fromEntries(BUILTIN_FIELDS.map((f) => [f, fc.oneof(fc.constantFrom<string | null>(null, ...STRINGS), arbDateString)])) as Record<(typeof BUILTIN_FIELDS)[number], fc.Arbitrary<string | null>>,
    ),
    traits: arbObject,
    bucket: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 9999)),
    firstSeenAt: arbTime,
    lastSeenAt: arbTime,
    events: fc.array(arbEvent, { maxLength: 12 }),
    memberships: fc.subarray(["s1", "s2"]),
    subscriptions: fc.subarray(["g1", "g2"]),
  })
  .map((r) => ({
    profile: { id: "p", ...r.builtins, traits: r.traits, bucket: r.bucket, firstSeenAt: at(r.firstSeenAt), lastSeenAt: at(r.lastSeenAt) },
    events: r.events,
    memberships: new Set(r.memberships),
    subscriptions: new Set(r.subscriptions),
  }));

/**
 * Hand-made people for case tables (the evaluator's and next-change's): seen first 100 days
 * and last an hour before `nowMs`, in Germany; `input` takes traits, events, memberships and
 * subscriptions; `ev` makes an event `time` ms since the epoch.
 */
export function personAt(nowMs: number) {
  const profile = (over: Partial<EvalProfile> = {}): EvalProfile => ({
    id: "p-1",
    userId: "u-1",
    email: "ada@example.com",
    phone: null,
    timezone: "Europe/Berlin",
    locale: "de-DE",
    country: "DE",
    traits: {},
    bucket: 500,
    firstSeenAt: new Date(nowMs - 100 * 86_400_000),
    lastSeenAt: new Date(nowMs - 3_600_000),
    ...over,
  });
  const input = (
    over: { profile?: Partial<EvalProfile>; traits?: Record<string, unknown>; events?: EvalEvent[]; memberships?: string[]; subscriptions?: string[] } = {},
  ): EvalInput => ({
    profile: profile({ ...over.profile, ...(over.traits ? { traits: over.traits } : {}) }),
    events: over.events ?? [],
    memberships: new Set(over.memberships ?? []),
    subscriptions: new Set(over.subscriptions ?? []),
  });
  const ev = (name: string | null, time: number, properties: Record<string, unknown> = {}): EvalEvent => ({ name, timestamp: new Date(time), properties });
  return { profile, input, ev };
}
