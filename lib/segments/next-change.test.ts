import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDate } from "@/lib/time";
import { arbCondition, arbDateOperator, arbDefinition, arbInput, arbTime, GENERATED_NOW, personAt } from "./arbitraries";
import { compileEvaluator, evaluate, type EvalInput } from "./evaluate";
import { compileNextChange, compileTimeline, kthSmallest, nextChange } from "./next-change";
import { UNIT_MS, validate, type EventCondition, type Group, type PropertyFilter, type SegmentDefinition, type SegmentNode, type TraitCondition, type Window } from "./schema";

const NOW = GENERATED_NOW;
const MS = NOW.getTime();
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (ms: number) => new Date(ms);
/** The last millisecond a Date can hold. */
const LAST_TIME = 8.64e15;

const { input, ev } = personAt(MS);
const purchase = (time: number, properties: Record<string, unknown> = {}) => ev("purchase", time, properties);
const definition = (...children: SegmentNode[]): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children } });
const trait = (field: string, valueType: string, operator: Record<string, unknown>) => ({ type: "trait", field, valueType, operator }) as TraitCondition;
const filter = (path: string, valueType: string, operator: Record<string, unknown>) => ({ path, valueType, operator }) as PropertyFilter;
const event = (name: string, count: EventCondition["count"], window: Window, where: PropertyFilter[] = []): EventCondition => ({ type: "event", event: name, where, count, window });
const group = (op: "and" | "or", children: SegmentNode[], not?: boolean): Group => ({ type: "group", op, children, ...(not === undefined ? {} : { not }) });
const ever: Window = { kind: "ever" };
const last = (amount: number, unit: "minutes" | "hours" | "days"): Window => ({ kind: "last", amount, unit });
const atLeast = (value: number) => ({ op: "gte" as const, value });
const iso = (ms: number) => new Date(ms).toISOString();

const matchAt = (def: SegmentDefinition, inp: EvalInput, t: number) => evaluate(def, inp, at(t)).match;

// ---------------------------------------------------------------------------------------

describe("nextChange: the case table (clock injected as `now`)", () => {
  // [name, condition, person, expected next (ms) or null, whether the answer changes exactly then]
  const cases: [string, SegmentNode, EvalInput, number | null, boolean][] = [
    // firstSeen / lastSeen
    ["lastSeen more than 7 days ago, seen 1 day ago: holds from seen + 7 days + 1 ms", { type: "lastSeen", operator: { op: "moreThanAgo", amount: 7, unit: "days" } }, input({ profile: { lastSeenAt: at(MS - DAY) } }), MS + 6 * DAY + 1, true],
    ["lastSeen more than 7 days ago, already: for good", { type: "lastSeen", operator: { op: "moreThanAgo", amount: 7, unit: "days" } }, input({ profile: { lastSeenAt: at(MS - 8 * DAY) } }), null, false],
    ["lastSeen more than 7 days ago, exactly 7 days ago: the next millisecond", { type: "lastSeen", operator: { op: "moreThanAgo", amount: 7, unit: "days" } }, input({ profile: { lastSeenAt: at(MS - 7 * DAY) } }), MS + 1, true],
    ["firstSeen within the last 30 days: fails 30 days + 1 ms after it", { type: "firstSeen", operator: { op: "withinLast", amount: 30, unit: "days" } }, input({ profile: { firstSeenAt: at(MS - 10 * DAY) } }), MS + 20 * DAY + 1, true],
    ["firstSeen within the last 30 days, exactly 30 days ago: the next millisecond", { type: "firstSeen", operator: { op: "withinLast", amount: 30, unit: "days" } }, input({ profile: { firstSeenAt: at(MS - 30 * DAY) } }), MS + 1, true],
    ["firstSeen within the last hour, in the future: holds from then", { type: "firstSeen", operator: { op: "withinLast", amount: 1, unit: "hours" } }, input({ profile: { firstSeenAt: at(MS + 5 * MINUTE) } }), MS + 5 * MINUTE, true],
    ["firstSeen within the last 30 days, 40 days ago: never again", { type: "firstSeen", operator: { op: "withinLast", amount: 30, unit: "days" } }, input({ profile: { firstSeenAt: at(MS - 40 * DAY) } }), null, false],
    ["firstSeen before a fixed date: never", { type: "firstSeen", operator: { op: "before", value: "2026-12-01" } }, input(), null, false],
    ["lastSeen between fixed dates: never", { type: "lastSeen", operator: { op: "between", from: "2026-11-01", to: "2026-12-01" } }, input(), null, false],
    ["lastSeen an invalid Date: never", { type: "lastSeen", operator: { op: "withinLast", amount: 1, unit: "days" } }, input({ profile: { lastSeenAt: new Date(NaN) } }), null, false],

    // date traits
    ["trait within the last 2 hours (offset format)", trait("traits.trial", "date", { op: "withinLast", amount: 2, unit: "hours" }), input({ traits: { trial: "2026-11-25T12:30+01:00" } }), MS + 90 * MINUTE + 1, true],
    ["trait more than 14 days ago, a date alone (midnight UTC)", trait("traits.signup", "date", { op: "moreThanAgo", amount: 14, unit: "days" }), input({ traits: { signup: "2026-11-20" } }), Date.parse("2026-12-04T00:00:00.001Z"), true],
    ["trait after a fixed date: never", trait("traits.signup", "date", { op: "after", value: "2026-11-01" }), input({ traits: { signup: "2026-11-20" } }), null, false],
    ["trait notBetween fixed dates: never", trait("traits.signup", "date", { op: "notBetween", from: "2026-11-01", to: "2026-11-30" }), input({ traits: { signup: "2026-11-20" } }), null, false],
    ["trait an impossible date: never", trait("traits.signup", "date", { op: "withinLast", amount: 30, unit: "days" }), input({ traits: { signup: "2026-02-30" } }), null, false],
    ["trait a number, not a date: never", trait("traits.signup", "date", { op: "moreThanAgo", amount: 1, unit: "minutes" }), input({ traits: { signup: MS - DAY } }), null, false],
    ["trait missing: never", trait("traits.signup", "date", { op: "withinLast", amount: 30, unit: "days" }), input(), null, false],
    ["built-in field holding a date", trait("email", "date", { op: "withinLast", amount: 1, unit: "minutes" }), input({ profile: { email: iso(MS - 30_000) } }), MS + 30_001, true],
    ["a string trait: never", trait("country", "string", { op: "equals", value: "DE" }), input(), null, false],

    // events: ever
    ["ever, past events only: never", event("purchase", atLeast(1), ever), input({ events: [purchase(MS - DAY)] }), null, false],
    ["ever, a future-dated event: enters at its time", event("purchase", atLeast(1), ever), input({ events: [purchase(MS + 5 * MINUTE)] }), MS + 5 * MINUTE, true],
    ["ever, an event exactly now is in already", event("purchase", atLeast(1), ever), input({ events: [purchase(MS)] }), null, false],
    ["ever, a future event of another name: never", event("purchase", atLeast(1), ever), input({ events: [ev("app_open", MS + MINUTE), ev(null, MS + MINUTE)] }), null, false],
    ["ever, a future event the filters refuse: never", event("purchase", atLeast(1), ever, [filter("amount", "number", { op: "gte", value: 10 })]), input({ events: [purchase(MS + MINUTE, { amount: 5 })] }), null, false],
    ["ever, gte 2 needs both future events: the second one's time", event("purchase", atLeast(2), ever), input({ events: [purchase(MS + 2 * HOUR), purchase(MS + HOUR)] }), MS + 2 * HOUR, true],

    // events: last N
    ["no purchase in the last 30 days, bought 10 and 20 days ago: the last one turns 30 days + 1 ms old", event("purchase", { op: "eq", value: 0 }, last(30, "days")), input({ events: [purchase(MS - 20 * DAY), purchase(MS - 10 * DAY)] }), MS + 20 * DAY + 1, true],
    ["no purchase in the last 30 days, none at all: never", event("purchase", { op: "eq", value: 0 }, last(30, "days")), input({ events: [purchase(MS - 31 * DAY)] }), null, false],
    ["no purchase in the last 30 days, one dated tomorrow: then", event("purchase", { op: "eq", value: 0 }, last(30, "days")), input({ events: [purchase(MS + DAY)] }), MS + DAY, true],
    ["at least 3 in the last 7 days, 4 of them: when the second oldest leaves", event("purchase", atLeast(3), last(7, "days")), input({ events: [1, 2, 3, 6].map((d) => purchase(MS - d * DAY)) }), MS + 4 * DAY + 1, true],
    ["at least 3 in the last 7 days, 2 of them and one dated in 2 hours: then", event("purchase", atLeast(3), last(7, "days")), input({ events: [purchase(MS - DAY), purchase(MS - 2 * DAY), purchase(MS + 2 * HOUR)] }), MS + 2 * HOUR, true],
    ["at least 3 in the last 7 days, 2 of them and nothing coming: never", event("purchase", atLeast(3), last(7, "days")), input({ events: [purchase(MS - DAY), purchase(MS - 2 * DAY)] }), null, false],
    ["at most 1 in the last hour, 3 of them: when the second leaves", event("purchase", { op: "lte", value: 1 }, last(1, "hours")), input({ events: [purchase(MS - 50 * MINUTE), purchase(MS - 10 * MINUTE), purchase(MS - 30 * MINUTE)] }), MS + 30 * MINUTE + 1, true],
    ["at most 1 in the last hour, 1 of them: only an entry matters", event("purchase", { op: "lte", value: 1 }, last(1, "hours")), input({ events: [purchase(MS - 50 * MINUTE), purchase(MS + 3 * HOUR)] }), MS + 3 * HOUR, false],
    ["exactly 2 in the last day, 2 of them: the first to leave", event("purchase", { op: "eq", value: 2 }, last(1, "days")), input({ events: [purchase(MS - 20 * HOUR), purchase(MS - 2 * HOUR)] }), MS + 4 * HOUR + 1, true],
    ["gte 0 holds for everyone: never", event("purchase", atLeast(0), last(1, "days")), input({ events: [purchase(MS - HOUR), purchase(MS + HOUR)] }), null, false],
    ["last 30 minutes, an event exactly 30 minutes ago: leaves the next millisecond", event("purchase", atLeast(1), last(30, "minutes")), input({ events: [purchase(MS - 30 * MINUTE)] }), MS + 1, true],
    ["an event at an invalid time: never", event("purchase", { op: "eq", value: 0 }, last(30, "days")), input({ events: [{ name: "purchase", timestamp: new Date(NaN), properties: {} }] }), null, false],

    // events: between (fixed), and filters that move
    ["between fixed dates, with a future-dated event inside: never", event("purchase", atLeast(1), { kind: "between", from: "2026-11-01", to: "2026-12-01" }), input({ events: [purchase(MS + DAY)] }), null, false],
    [
      "between fixed dates, with a withinLast filter on a property date",
      event("purchase", atLeast(1), { kind: "between", from: "2026-11-01", to: "2026-12-01" }, [filter("shipped", "date", { op: "withinLast", amount: 2, unit: "days" })]),
      input({ events: [purchase(MS - DAY, { shipped: iso(MS - DAY) })] }),
      MS + DAY + 1,
      true,
    ],
    [
      "a moreThanAgo filter: the event counts from then",
      event("purchase", atLeast(1), ever, [filter("shipped", "date", { op: "moreThanAgo", amount: 3, unit: "days" })]),
      input({ events: [purchase(MS - DAY, { shipped: iso(MS - DAY) })] }),
      MS + 2 * DAY + 1,
      true,
    ],
    [
      "an event that will enter the window but whose filter has passed for good: never",
      event("purchase", atLeast(1), last(7, "days"), [filter("shipped", "date", { op: "withinLast", amount: 1, unit: "hours" })]),
      input({ events: [purchase(MS + DAY, { shipped: iso(MS - DAY) })] }),
      null,
      false,
    ],
    [
      "an event counts once both the window and the filter let it in: the later of the two",
      event("purchase", atLeast(1), ever, [filter("shipped", "date", { op: "moreThanAgo", amount: 1, unit: "days" })]),
      input({ events: [purchase(MS + HOUR, { shipped: iso(MS - 2 * HOUR) })] }),
      MS + 22 * HOUR + 1,
      true,
    ],
    [
      "a filter on something else than a date does not move",
      event("purchase", atLeast(1), ever, [filter("shipped", "date", { op: "withinLast", amount: 1, unit: "hours" })]),
      input({ events: [purchase(MS - DAY, { shipped: MS - DAY }), purchase(MS - DAY, {})] }),
      null,
      false,
    ],

    // segment, bucket, subscription
    ["segment membership: never", { type: "segment", op: "in", segmentId: "s1" }, input({ memberships: ["s1"] }), null, false],
    ["bucket: never", { type: "bucket", from: 0, to: 999 }, input(), null, false],
    ["subscription: never", { type: "subscription", op: "unsubscribed", groupId: "g1" }, input(), null, false],
  ];

  it.each(cases)("%s", (_, node, inp, expected, exact) => {
    const def = definition(node);
    const valid = validate(def);
    expect(valid.ok ? [] : valid.errors).toEqual([]);
    const next = compileNextChange(def, NOW)(inp);
    expect(next === null ? null : iso(next)).toBe(expected === null ? null : iso(expected));
    expect(nextChange(def, inp, NOW)?.getTime() ?? null).toBe(expected);
    const before = matchAt(def, inp, MS);
    if (next !== null) {
      expect(next).toBeGreaterThan(MS);
      expect(matchAt(def, inp, next - 1)).toBe(before);
      if (exact) expect(matchAt(def, inp, next)).toBe(!before);
    }
  });

  it("the re-check at the moment returned finds the change, and schedules the next one", () => {
    // "No purchase in the last 30 days": out while the purchases are recent, in once the last turns 30 days old.
    const def = definition(event("purchase", { op: "eq", value: 0 }, last(30, "days")));
    const inp = input({ events: [purchase(MS - 20 * DAY), purchase(MS - 10 * DAY), purchase(MS + 40 * DAY)] });
    const first = compileTimeline(def, NOW)(inp);
    expect(first).toEqual({ match: false, next: MS + 20 * DAY + 1 });
    const second = compileTimeline(def, at(first.next!))(inp);
    expect(second).toEqual({ match: true, next: MS + 40 * DAY });
    const third = compileTimeline(def, at(second.next!))(inp);
    expect(third).toEqual({ match: false, next: MS + 70 * DAY + 1 });
    expect(compileTimeline(def, at(third.next!))(inp)).toEqual({ match: true, next: null });
  });
});

describe("nextChange: groups", () => {
  const inp = input({ profile: { lastSeenAt: at(MS - DAY), firstSeenAt: at(MS - 10 * DAY) }, memberships: ["s1"] });
  const seenWeekAgo = { type: "lastSeen", operator: { op: "moreThanAgo", amount: 7, unit: "days" } } as const; // fails until MS + 6 days + 1
  const seenTwoDays = { type: "lastSeen", operator: { op: "moreThanAgo", amount: 2, unit: "days" } } as const; // fails until MS + 1 day + 1
  const firstMonth = { type: "firstSeen", operator: { op: "withinLast", amount: 30, unit: "days" } } as const; // holds until MS + 20 days + 1
  const firstWeeks = { type: "firstSeen", operator: { op: "withinLast", amount: 14, unit: "days" } } as const; // holds until MS + 4 days + 1
  const member = { type: "segment", op: "in", segmentId: "s1" } as const; // holds for good
  const notMember = { type: "segment", op: "notIn", segmentId: "s1" } as const; // fails for good

  it.each([
    ["and, every child holds: the first to change", group("and", [firstMonth, firstWeeks, member]), MS + 4 * DAY + 1],
    ["and, some fail: not before every failing child changed (the latest)", group("and", [seenWeekAgo, seenTwoDays, firstMonth]), MS + 6 * DAY + 1],
    ["and, a child fails for good: never", group("and", [notMember, firstMonth, seenTwoDays]), null],
    ["or, none holds: the first to change", group("or", [seenWeekAgo, seenTwoDays, notMember]), MS + DAY + 1],
    ["or, some hold: not before every holding child changed (the latest)", group("or", [firstMonth, firstWeeks, seenTwoDays]), MS + 20 * DAY + 1],
    ["or, a child holds for good: never", group("or", [member, firstWeeks]), null],
    ["not keeps the moment", group("and", [firstWeeks, member], true), MS + 4 * DAY + 1],
    ["an empty and / or: never", group("or", [group("and", []), group("or", [])]), null],
    ["nested", group("and", [member, group("or", [group("and", [seenWeekAgo], true), notMember]), group("or", [seenTwoDays, firstWeeks])]), MS + 4 * DAY + 1],
  ] as const)("%s", (_, root, expected) => {
    const def: SegmentDefinition = { schemaVersion: 1, root };
    expect(validate(def).ok).toBe(true);
    const next = compileNextChange(def, NOW)(inp);
    expect(next).toBe(expected);
    const before = matchAt(def, inp, MS);
    if (next !== null) expect(matchAt(def, inp, next - 1)).toBe(before);
  });

  it("the root's not applies to the match, not to the moment", () => {
    const def: SegmentDefinition = { schemaVersion: 1, root: group("and", [firstWeeks], true) };
    expect(compileTimeline(def, NOW)(inp)).toEqual({ match: false, next: MS + 4 * DAY + 1 });
  });
});

describe("nextChange: edges", () => {
  it("a moment past the last a Date can hold never comes", () => {
    const now = at(LAST_TIME - HOUR);
    const def = definition(event("purchase", atLeast(1), last(1, "days")));
    expect(compileNextChange(def, now)(input({ events: [purchase(LAST_TIME - 2 * HOUR)] }))).toBeNull();
    // …but one on it does.
    expect(compileNextChange(definition(event("purchase", atLeast(1), ever)), now)(input({ events: [purchase(LAST_TIME)] }))).toBe(LAST_TIME);
  });

  it("times before 1970 work like any other", () => {
    const now = at(-10 * DAY);
    const def = definition({ type: "lastSeen", operator: { op: "withinLast", amount: 1, unit: "days" } });
    expect(compileNextChange(def, now)(input({ profile: { lastSeenAt: at(-10 * DAY - HOUR) } }))).toBe(-9 * DAY - HOUR + 1);
  });

  it("refuses an invalid now, and invalid definitions as the evaluator does", () => {
    expect(() => compileNextChange(definition(), new Date(NaN))).toThrow(/now/);
    expect(() => compileNextChange(definition(trait("email", "string", { op: "matches", value: "x" })), NOW)).toThrow(/unknown string operator/);
    expect(() => compileNextChange({ schemaVersion: 1, root: { ...group("and", []), op: "xor" as "and" } }, NOW)).toThrow(/unknown group op/);
    expect(() => compileNextChange(definition(event("purchase", { op: "gt" as "gte", value: 1 }, ever)), NOW)).toThrow(/unknown count op/);
  });

  it("one compiled function serves many people (nothing carried over from one to the next)", () => {
    const def = definition(event("purchase", atLeast(2), last(7, "days"), [filter("shipped", "date", { op: "withinLast", amount: 3, unit: "days" })]));
    const next = compileNextChange(def, NOW);
    const many = input({ events: [1, 2, 3, 4, 5, 6].map((d) => purchase(MS - d * HOUR, { shipped: iso(MS - d * HOUR) })) });
    const few = input({ events: [purchase(MS - HOUR, { shipped: iso(MS - HOUR) })] });
    // 6 count, so 5 must leave (count 1 < 2): the 5th to leave its filter's 3 days, the one 2 hours old.
    expect(next(many)).toBe(MS - 2 * HOUR + 3 * DAY + 1);
    expect(next(few)).toBeNull();
    expect(next(many)).toBe(MS - 2 * HOUR + 3 * DAY + 1);
  });

  it("kthSmallest is the k-th of the sorted values", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 30 }), fc.integer({ min: 1, max: 32 }), (values, k) => {
        const sorted = [...values].sort((a, b) => a - b);
        const a = [...values, 99, 99]; // stale entries past n are ignored
        expect(kthSmallest(a, values.length, k, sorted[0] ?? Infinity)).toBe(k > values.length ? Infinity : sorted[k - 1]);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Properties over generated definitions and people (lib/segments/arbitraries.ts).

/** Every relative span the definition uses (windows and date operators), in ms. */
function spans(def: SegmentDefinition): number[] {
  const out = new Set<number>();
  const go = (node: SegmentNode) => {
    if (node.type === "group") return node.children.forEach(go);
    const operators = node.type === "trait" ? [node.operator] : node.type === "firstSeen" || node.type === "lastSeen" ? [node.operator] : node.type === "event" ? node.where.map((f) => f.operator) : [];
    if (node.type === "event" && node.window.kind === "last") out.add(node.window.amount * UNIT_MS[node.window.unit]);
    for (const o of operators) if (o.op === "withinLast" || o.op === "moreThanAgo") out.add(o.amount * UNIT_MS[o.unit]);
  };
  go(def.root);
  return [...out];
}

/** Every time in the person: events, first and last seen, and any string in traits or properties that is a date. */
function times(inp: EvalInput): number[] {
  const out: number[] = [inp.profile.firstSeenAt.getTime(), inp.profile.lastSeenAt.getTime()];
  const walk = (value: unknown) => {
    if (typeof value === "string") {
      const t = parseDate(value);
      if (t !== null) out.push(t);
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === "object" && value !== null) Object.values(value).forEach(walk);
  };
  walk(inp.profile.traits);
  for (const [k, v] of Object.entries(inp.profile)) if (k !== "traits" && typeof v === "string") walk(v);
  for (const e of inp.events) {
    out.push(e.timestamp.getTime());
    walk(e.properties);
  }
  return out.filter(Number.isFinite);
}

/**
 * The only moments the evaluator's answer can change by time alone: a time x (something
 * enters a window or comes into `withinLast`) or x + span + 1 (it leaves, or passes
 * `moreThanAgo`); with their neighbours, for good measure.
 */
function candidateMoments(def: SegmentDefinition, inp: EvalInput): number[] {
  const out = new Set<number>();
  const ss = spans(def);
  for (const x of times(inp)) {
    for (const d of [-1, 0, 1]) out.add(x + d);
    for (const s of ss) for (const d of [0, 1, 2]) out.add(x + s + d);
  }
  return [...out];
}

/** The generated times sit on edges measured from MS; now is MS, or one of those times. */
const arbNow = fc.oneof({ arbitrary: fc.constant(MS), weight: 3 }, { arbitrary: arbTime, weight: 2 });

/** A condition that reads now: an event window that ends at now, a relative date operator anywhere. */
function readsNow(node: SegmentNode): boolean {
  const relative = (o: { op: string }) => o.op === "withinLast" || o.op === "moreThanAgo";
  switch (node.type) {
    case "event":
      return node.window.kind !== "between" || node.where.some((f) => relative(f.operator));
    case "trait":
    case "firstSeen":
    case "lastSeen":
      return relative(node.operator);
    default:
      return false;
  }
}

/** Event conditions filtered on a property date that moves (`d` and `o.d` mostly hold dates near the edges). */
const arbRelativeFilterEvent: fc.Arbitrary<SegmentNode> = fc
  .tuple(
    arbCondition.filter((c) => c.type === "event"),
    fc.array(
      fc.record({ path: fc.constantFrom("d", "o.d"), valueType: fc.constant("date" as const), operator: arbDateOperator.filter((o) => o.op === "withinLast" || o.op === "moreThanAgo") }),
      { minLength: 1, maxLength: 2 },
    ),
  )
  .map(([c, where]) => ({ ...(c as EventCondition), where }));

/**
 * Most generated definitions never change by time alone (a segment or bucket condition
 * decides them); these are mostly made of conditions that read now, and nest as deep.
 */
const arbTimedDefinition: fc.Arbitrary<SegmentDefinition> = fc
  .letrec<{ group: Group; node: SegmentNode }>((tie) => ({
    group: fc
      .record({ op: fc.constantFrom("and" as const, "or" as const), not: fc.option(fc.boolean(), { nil: undefined }), children: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) })
      .map(({ not, ...g }) => ({ type: "group" as const, ...g, ...(not === undefined ? {} : { not }) })),
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      // Generated filters seldom pass: half the event conditions go without.
      { arbitrary: fc.tuple(arbCondition.filter(readsNow), fc.boolean()).map(([c, bare]) => (bare && c.type === "event" && c.window.kind !== "between" ? { ...c, where: [] } : c)), weight: 4 },
      { arbitrary: arbRelativeFilterEvent, weight: 2 },
      { arbitrary: arbCondition, weight: 1 },
      { arbitrary: tie("group"), weight: 1 },
    ),
  }))
  .group.map((root) => ({ schemaVersion: 1 as const, root }));
const arbAnyDefinition = fc.oneof({ arbitrary: arbDefinition, weight: 1 }, { arbitrary: arbTimedDefinition, weight: 3 });

describe("properties", () => {
  it("the answer is the same at every moment from now until just before the next change, which is after now", () => {
    fc.assert(
      fc.property(arbAnyDefinition, arbInput, arbNow, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }), (def, inp, now, fractions) => {
        const next = compileNextChange(def, at(now))(inp);
        if (next !== null) {
          expect(Number.isInteger(next)).toBe(true);
          expect(next).toBeGreaterThan(now);
          expect(next).toBeLessThanOrEqual(LAST_TIME);
        }
        expect(nextChange(def, inp, at(now))?.getTime() ?? null).toBe(next);
        const base = compileEvaluator(def, at(now))(inp);
        expect(compileTimeline(def, at(now))(inp)).toEqual({ match: base, next });

        const end = next ?? LAST_TIME + 1; // exclusive
        const moments = new Set<number>([now + 1, end - 1, ...fractions.map((f) => now + Math.floor(f * (end - 1 - now)))]);
        for (const t of candidateMoments(def, inp)) moments.add(t);
        for (const t of moments) {
          if (t <= now || t >= end) continue;
          if (compileEvaluator(def, at(t))(inp) !== base) {
            expect.fail(`the answer changes at ${iso(t)}, before the next change reported (${next === null ? "never" : iso(next)}), from now ${iso(now)}`);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("exact for one condition of firstSeen, lastSeen or a trait: the answer changes at the moment returned", () => {
    const timeCondition = arbCondition.filter((c) => c.type === "firstSeen" || c.type === "lastSeen" || c.type === "trait");
    fc.assert(
      fc.property(timeCondition, arbInput, arbNow, (node, inp, now) => {
        const def = definition(node);
        const next = compileNextChange(def, at(now))(inp);
        if (next !== null) expect(matchAt(def, inp, next)).toBe(!matchAt(def, inp, now));
      }),
      { numRuns: 500 },
    );
  });

  it("exact for an at least / at most count in a last-N window without filters, when no event is dated after now", () => {
    const countCondition = arbCondition.filter(
      (c): c is EventCondition => c.type === "event" && c.window.kind === "last" && c.where.length === 0 && c.count.op !== "eq",
    );
    fc.assert(
      fc.property(countCondition, arbInput, arbNow, (node, inp, now) => {
        const past = { ...inp, events: inp.events.map((e) => ({ ...e, timestamp: at(Math.min(e.timestamp.getTime(), now)) })) };
        const def = definition(node);
        const next = compileNextChange(def, at(now))(past);
        if (next !== null) expect(matchAt(def, past, next)).toBe(!matchAt(def, past, now));
      }),
      { numRuns: 500 },
    );
  });

  it("not vacuous: the generated definitions and people often have a next change, and it often is a change", () => {
    expect(fc.sample(arbTimedDefinition, { numRuns: 200, seed: 3 }).every((def) => validate(def).ok)).toBe(true);
    const samples = fc.sample(fc.tuple(arbAnyDefinition, arbInput, arbNow), { numRuns: 2000, seed: 11 });
    let some = 0;
    let changes = 0;
    for (const [def, inp, now] of samples) {
      const next = compileNextChange(def, at(now))(inp);
      if (next === null) continue;
      some++;
      if (matchAt(def, inp, next) !== matchAt(def, inp, now)) changes++;
    }
    // (Most change by time alone at no moment at all, and that claim is checked too.)
    expect(some / samples.length).toBeGreaterThan(0.08);
    expect(changes / some).toBeGreaterThan(0.8);
  });
});
