import { arbCondition, arbDefinition, arbGroup, arbInput, GENERATED_NOW, personAt } from "./arbitraries";
import { parseDate } from "@/lib/time";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileConditionEvaluator, compileEvaluator, evaluate, evaluateCondition, type EvalInput, type EvalProfile, type Trace } from "./evaluate";
import {
  BUILTIN_FIELDS,
  UNIT_MS,
  validate,
  type DateOperator,
  type EventCondition,
  type Group,
  type PropertyFilter,
  type SegmentDefinition,
  type SegmentNode,
  type TimeUnit,
  type TraitCondition,
  type Window,
} from "./schema";

const NOW = GENERATED_NOW; // 2026-11-25T12:00:00.000Z, the clock the generated people and definitions are built around
const MS = NOW.getTime();
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (ms: number) => new Date(ms);

const { profile, input, ev } = personAt(MS);

const definition = (...children: SegmentNode[]): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children } });

/**
 * Whether `node` holds, asserted to be the same by every entry point: evaluateCondition,
 * compileEvaluator and evaluate (with trace) — and that the definition is valid.
 */
function holds(node: SegmentNode, inp: EvalInput, now: Date = NOW): boolean {
  const def = definition(node);
  const valid = validate(def);
  expect(valid.ok ? [] : valid.errors).toEqual([]);
  const one = evaluateCondition(node, inp, now);
  expect(compileEvaluator(def, now)(inp)).toBe(one);
  const { match, trace } = evaluate(def, inp, now);
  expect(match).toBe(one);
  expect(trace.children![0]!.holds).toBe(one);
  return one;
}

const trait = (field: string, valueType: string, operator: Record<string, unknown>) => ({ type: "trait", field, valueType, operator }) as TraitCondition;
const filter = (path: string, valueType: string, operator: Record<string, unknown>) => ({ path, valueType, operator }) as PropertyFilter;
const event = (name: string, count: EventCondition["count"], window: Window, where: PropertyFilter[] = []): EventCondition => ({ type: "event", event: name, where, count, window });
const group = (op: "and" | "or", children: SegmentNode[], not?: boolean): Group => ({ type: "group", op, children, ...(not === undefined ? {} : { not }) });
const ever: Window = { kind: "ever" };

/** `traits.x` with value `value`, compared. */
const traitHolds = (value: unknown, valueType: string, operator: Record<string, unknown>) =>
  holds(trait("traits.x", valueType, operator), input({ traits: value === undefined ? {} : { x: value } }));

// ---------------------------------------------------------------------------------------

describe("string comparisons", () => {
  it.each([
    ["equals", { value: "pro" }, "pro", true],
    ["equals", { value: "pro" }, "Pro", false],
    ["equals", { value: "pro" }, "pro ", false],
    ["notEquals", { value: "pro" }, "free", true],
    ["notEquals", { value: "pro" }, "pro", false],
    ["contains", { value: "ß" }, "straße", true],
    ["contains", { value: "STR" }, "straße", false],
    ["contains", { value: "" }, "anything", true],
    ["notContains", { value: "x" }, "abc", true],
    ["notContains", { value: "b" }, "abc", false],
    ["notContains", { value: "" }, "abc", false],
    ["startsWith", { value: "ab" }, "abc", true],
    ["startsWith", { value: "bc" }, "abc", false],
    ["endsWith", { value: "bc" }, "abc", true],
    ["endsWith", { value: "ab" }, "abc", false],
    ["in", { values: ["pro", "team"] }, "team", true],
    ["in", { values: ["pro", "team"] }, "Team", false],
    ["notIn", { values: ["pro", "team"] }, "free", true],
    ["notIn", { values: ["pro", "team"] }, "pro", false],
  ] as const)("%s %j on %j is %s", (op, rest, value, expected) => {
    expect(traitHolds(value, "string", { op, ...rest })).toBe(expected);
  });

  const everyStringOperator = [
    { op: "equals", value: "5" },
    { op: "notEquals", value: "5" },
    { op: "contains", value: "5" },
    { op: "notContains", value: "x" },
    { op: "startsWith", value: "" },
    { op: "endsWith", value: "" },
    { op: "in", values: ["5"] },
    { op: "notIn", values: ["x"] },
  ];

  it.each([
    ["missing", undefined],
    ["null", null],
    ["a number", 5],
    ["a boolean", true],
    ["a list", ["5"]],
    ["an object", { a: "5" }],
  ])("fails every operator, the negative ones too, when the value is %s", (_, value) => {
    for (const operator of everyStringOperator) expect(traitHolds(value, "string", operator)).toBe(false);
  });

  it("the same operators hold for a string (the control for the test above)", () => {
    expect(everyStringOperator.filter((operator) => traitHolds("5", "string", operator)).map((o) => o.op)).toEqual([
      "equals",
      "contains",
      "notContains",
      "startsWith",
      "endsWith",
      "in",
      "notIn",
    ]);
  });
});

describe("number comparisons", () => {
  it.each([
    ["equals", { value: 5 }, 5, true],
    ["equals", { value: 5 }, 5.0000001, false],
    ["equals", { value: 0 }, -0, true],
    ["equals", { value: 0.3 }, 0.1 + 0.2, false], // 64-bit floating point, no rounding
    ["notEquals", { value: 5 }, 4, true],
    ["notEquals", { value: 5 }, 5, false],
    ["gt", { value: 5 }, 5, false],
    ["gt", { value: 5 }, 5.5, true],
    ["gte", { value: 5 }, 5, true],
    ["gte", { value: 5 }, 4.999, false],
    ["lt", { value: 5 }, 5, false],
    ["lt", { value: -1 }, -1.5, true],
    ["lte", { value: 5 }, 5, true],
    ["lte", { value: 5 }, 6, false],
    ["between", { min: 1, max: 3 }, 1, true],
    ["between", { min: 1, max: 3 }, 3, true],
    ["between", { min: 1, max: 3 }, 3.0001, false],
    ["between", { min: 1, max: 3 }, 0.9999, false],
    ["between", { min: 2, max: 2 }, 2, true],
  ] as const)("%s %j on %j is %s", (op, rest, value, expected) => {
    expect(traitHolds(value, "number", { op, ...rest })).toBe(expected);
  });

  it.each([
    ["missing", undefined],
    ["null", null],
    ["a numeric string", "5"],
    ["a boolean", false],
    ["a list", [5]],
  ])("fails every operator when the value is %s", (_, value) => {
    for (const operator of [
      { op: "equals", value: 5 },
      { op: "notEquals", value: 7 },
      { op: "gt", value: -1000 },
      { op: "gte", value: -1000 },
      { op: "lt", value: 1000 },
      { op: "lte", value: 1000 },
      { op: "between", min: -1000, max: 1000 },
    ]) {
      expect(traitHolds(value, "number", operator)).toBe(false);
    }
  });
});

describe("boolean comparisons", () => {
  it.each([
    [true, true, true],
    [false, false, true],
    [true, false, false],
    [false, true, false],
    ["true", true, false],
    [1, true, false],
    [0, false, false],
    [null, false, false],
    [undefined, false, false],
  ])("%j equals %j is %s", (value, expected, result) => {
    expect(traitHolds(value, "boolean", { op: "equals", value: expected })).toBe(result);
  });
});

describe("date comparisons", () => {
  const dateHolds = (value: unknown, operator: DateOperator) => traitHolds(value, "date", operator);

  it("reads every format of the doc: date alone (midnight UTC), T or space, seconds, fraction, Z or offset", () => {
    const exactly = (value: string, iso: string) => {
      expect(dateHolds(value, { op: "between", from: iso, to: new Date(Date.parse(iso) + 1).toISOString() })).toBe(true);
      expect(dateHolds(value, { op: "before", value: iso })).toBe(false);
      expect(dateHolds(value, { op: "after", value: iso })).toBe(false);
    };
    exactly("2026-11-25", "2026-11-25T00:00:00.000Z");
    exactly("2026-11-25T10:30", "2026-11-25T10:30:00.000Z");
    exactly("2026-11-25 10:30:15", "2026-11-25T10:30:15.000Z");
    exactly("2026-11-25T10:30:15.123Z", "2026-11-25T10:30:15.123Z");
    exactly("2026-11-25T10:30:15.123999Z", "2026-11-25T10:30:15.123Z"); // only milliseconds count (truncated)
    exactly("2026-11-25T10:30:00+01:00", "2026-11-25T09:30:00.000Z");
    exactly("2026-11-25T10:30:00-05:30", "2026-11-25T16:00:00.000Z");
    exactly("2026-11-25T00:30+02:00", "2026-11-24T22:30:00.000Z");
    exactly("2024-02-29", "2024-02-29T00:00:00.000Z");
  });

  it.each([
    ["an impossible date", "2026-02-30"],
    ["an impossible time", "2026-11-25T24:00"],
    ["a date before 1970", "1969-12-31T23:59:59Z"],
    ["a date from 2200", "2200-01-01"],
    ["a year below 100 (Date.UTC would read 0070 as 1970)", "0070-01-01"],
    ["year 0", "0000-01-01"],
    ["another format", "25.11.2026"],
    ["an ISO week", "2026-W48"],
    ["a timestamp in milliseconds (numbers are not dates)", MS - DAY],
    ["a numeric string", "1795600800000"],
    ["null", null],
    ["missing", undefined],
    ["a Date-like object", { iso: "2026-11-25" }],
  ])("fails every operator for %s", (_, value) => {
    for (const operator of [
      { op: "before", value: "2199-12-31" },
      { op: "after", value: "1970-01-01" },
      { op: "between", from: "1970-01-01", to: "2199-12-31" },
      { op: "withinLast", amount: 100_000, unit: "days" },
      { op: "moreThanAgo", amount: 1, unit: "minutes" },
    ] as DateOperator[]) {
      expect(dateHolds(value, operator)).toBe(false);
    }
  });

  it("before and after are strict; between includes its start and excludes its end", () => {
    const v = "2026-11-01T00:00:00Z";
    expect(dateHolds(v, { op: "before", value: "2026-11-01" })).toBe(false);
    expect(dateHolds(v, { op: "before", value: "2026-11-01T00:00:00.001Z" })).toBe(true);
    expect(dateHolds(v, { op: "after", value: "2026-11-01" })).toBe(false);
    expect(dateHolds(v, { op: "after", value: "2026-10-31T23:59:59.999Z" })).toBe(true);
    expect(dateHolds(v, { op: "between", from: "2026-11-01", to: "2026-12-01" })).toBe(true);
    expect(dateHolds("2026-12-01", { op: "between", from: "2026-11-01", to: "2026-12-01" })).toBe(false);
    expect(dateHolds("2026-11-30T23:59:59.999Z", { op: "between", from: "2026-11-01", to: "2026-12-01" })).toBe(true);
    // Offsets count on both sides: 01:00+01:00 is midnight UTC.
    expect(dateHolds("2026-11-01T01:00+01:00", { op: "between", from: "2026-11-01", to: "2026-11-02" })).toBe(true);
    expect(dateHolds("2026-11-01T00:59+01:00", { op: "between", from: "2026-11-01", to: "2026-11-02" })).toBe(false);
  });

  it("withinLast is now − amount·unit ≤ t ≤ now; moreThanAgo is t < now − amount·unit", () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    for (const [unit, ms] of Object.entries(UNIT_MS) as [TimeUnit, number][]) {
      const edge = MS - 7 * ms;
      expect(dateHolds(iso(edge), { op: "withinLast", amount: 7, unit })).toBe(true);
      expect(dateHolds(iso(edge), { op: "moreThanAgo", amount: 7, unit })).toBe(false);
      expect(dateHolds(iso(edge - 1), { op: "withinLast", amount: 7, unit })).toBe(false);
      expect(dateHolds(iso(edge - 1), { op: "moreThanAgo", amount: 7, unit })).toBe(true);
      expect(dateHolds(iso(MS), { op: "withinLast", amount: 7, unit })).toBe(true);
      expect(dateHolds(iso(MS + 1), { op: "withinLast", amount: 7, unit })).toBe(false); // the future is not "within the last"
      expect(dateHolds(iso(MS + 1), { op: "moreThanAgo", amount: 7, unit })).toBe(false);
    }
    // A day is 24 hours.
    expect(dateHolds(iso(MS - 24 * HOUR), { op: "withinLast", amount: 1, unit: "days" })).toBe(true);
    expect(dateHolds(iso(MS - 24 * HOUR - 1), { op: "withinLast", amount: 1, unit: "days" })).toBe(false);
  });

  it("`now` is the argument, never the clock", () => {
    const node = trait("traits.x", "date", { op: "withinLast", amount: 1, unit: "hours" });
    const inp = input({ traits: { x: "2001-01-01T12:00Z" } });
    expect(holds(node, inp, new Date("2001-01-01T12:30Z"))).toBe(true);
    expect(holds(node, inp, new Date("2001-01-01T13:30Z"))).toBe(false);
  });
});

describe("list comparisons", () => {
  it.each([
    ["contains", { value: "vip" }, ["beta", "vip"], true],
    ["contains", { value: "vip" }, ["VIP"], false],
    ["contains", { value: 7 }, ["7"], false], // same JSON type and value
    ["contains", { value: "7" }, [7], false],
    ["contains", { value: 7 }, [7.0], true],
    ["contains", { value: "true" }, [true, null, { a: "true" }, ["true"]], false],
    ["contains", { value: "a" }, [], false],
    ["notContains", { value: "vip" }, ["beta"], true],
    ["notContains", { value: "vip" }, ["beta", "vip"], false],
    ["notContains", { value: 7 }, ["7"], true],
    ["notContains", { value: "x" }, [], true],
    ["containsAny", { values: ["a", 1] }, ["b", 1], true],
    ["containsAny", { values: ["a", 1] }, ["1", "A"], false],
    ["containsAny", { values: ["a", 1] }, [[1], { a: 1 }, null, true], false],
    ["containsNone", { values: ["a", 1] }, ["1", "A", null], true],
    ["containsNone", { values: ["a", 1] }, ["b", "a"], false],
    ["containsNone", { values: ["a"] }, [], true],
    ["isEmpty", {}, [], true],
    ["isEmpty", {}, [null], false],
    ["isNotEmpty", {}, [null], true],
    ["isNotEmpty", {}, [], false],
  ] as const)("%s %j on %j is %s", (op, rest, value, expected) => {
    expect(traitHolds(value, "list", { op, ...rest })).toBe(expected);
  });

  it.each([
    ["missing", undefined],
    ["null", null],
    ["a string", "vip"],
    ["an object", { 0: "vip", length: 1 }],
    ["an empty string", ""],
    ["an empty object", {}],
  ])("fails every operator when the value is %s", (_, value) => {
    for (const operator of [
      { op: "contains", value: "vip" },
      { op: "notContains", value: "x" },
      { op: "containsAny", values: ["vip"] },
      { op: "containsNone", values: ["x"] },
      { op: "isEmpty" },
      { op: "isNotEmpty" },
    ]) {
      expect(traitHolds(value, "list", operator)).toBe(false);
    }
  });
});

describe("exists / notExists (valueType any)", () => {
  it.each([
    ["a string", "x", true],
    ["an empty string", "", true],
    ["zero", 0, true],
    ["false", false, true],
    ["an empty list", [], true],
    ["an empty object", {}, true],
    ["null", null, false],
    ["missing", undefined, false],
  ])("%s exists: %s", (_, value, exists) => {
    expect(traitHolds(value, "any", { op: "exists" })).toBe(exists);
    expect(traitHolds(value, "any", { op: "notExists" })).toBe(!exists);
  });
});

describe("fields and paths", () => {
  it.each(BUILTIN_FIELDS.map((f) => [f]))("built-in %s: a string is read, null is missing", (field) => {
    const eq = trait(field, "string", { op: "equals", value: "v" });
    const exists = trait(field, "any", { op: "exists" });
    expect(holds(eq, input({ profile: { [field]: "v" } }))).toBe(true);
    expect(holds(eq, input({ profile: { [field]: "w" } }))).toBe(false);
    expect(holds(exists, input({ profile: { [field]: null } }))).toBe(false);
    expect(holds(trait(field, "string", { op: "notEquals", value: "v" }), input({ profile: { [field]: null } }))).toBe(false);
  });

  it("built-in fields are not traits, and traits are not built-in fields", () => {
    const inp = input({ profile: { country: "DE" }, traits: { country: "FR" } });
    expect(holds(trait("country", "string", { op: "equals", value: "DE" }), inp)).toBe(true);
    expect(holds(trait("traits.country", "string", { op: "equals", value: "FR" }), inp)).toBe(true);
  });

  it("walks nested object keys", () => {
    const inp = input({ traits: { answers: { goal: "run", deep: { er: { est: 3 } } }, "favourite colour": "teal", "a-b$c_d": 1 } });
    expect(holds(trait("traits.answers.goal", "string", { op: "equals", value: "run" }), inp)).toBe(true);
    expect(holds(trait("traits.answers.deep.er.est", "number", { op: "equals", value: 3 }), inp)).toBe(true);
    expect(holds(trait("traits.favourite colour", "string", { op: "equals", value: "teal" }), inp)).toBe(true);
    expect(holds(trait("traits.a-b$c_d", "number", { op: "equals", value: 1 }), inp)).toBe(true);
    expect(holds(trait("traits.answers", "any", { op: "exists" }), inp)).toBe(true);
  });

  it("a step into an array, a primitive or null is missing", () => {
    const inp = input({ traits: { items: ["a", { b: 1 }], plan: "pro", nothing: null, n: 5, yes: true } });
    const exists = (field: string) => holds(trait(field, "any", { op: "exists" }), inp);
    expect(exists("traits.items.0")).toBe(false); // arrays are not walked: no indexes
    expect(exists("traits.items.1.b")).toBe(false);
    expect(exists("traits.items.length")).toBe(false);
    expect(exists("traits.plan.length")).toBe(false);
    expect(exists("traits.plan.0")).toBe(false);
    expect(exists("traits.nothing.x")).toBe(false);
    expect(exists("traits.n.x")).toBe(false);
    expect(exists("traits.yes.x")).toBe(false);
    expect(exists("traits.absent.x")).toBe(false);
    expect(holds(trait("traits.items.0", "string", { op: "notEquals", value: "zzz" }), inp)).toBe(false);
  });

  it("only the object's own keys count (nothing inherited from Object.prototype)", () => {
    const inp = input({ traits: { a: {} } });
    for (const key of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
      expect(holds(trait(`traits.${key}`, "any", { op: "exists" }), inp)).toBe(false);
      expect(holds(trait(`traits.a.${key}`, "any", { op: "exists" }), inp)).toBe(false);
    }
    // …but a key with such a name that the person does have is read like any other.
    const own = input({ traits: JSON.parse('{"constructor": "c", "__proto__": {"toString": 5}}') as Record<string, unknown> });
    expect(holds(trait("traits.constructor", "string", { op: "equals", value: "c" }), own)).toBe(true);
    expect(holds(trait("traits.__proto__.toString", "number", { op: "equals", value: 5 }), own)).toBe(true);
  });

  it("traits that are not an object (bad data) have no values", () => {
    const inp = { ...input(), profile: profile({ traits: ["x"] as unknown as Record<string, unknown> }) };
    expect(holds(trait("traits.0", "any", { op: "exists" }), inp)).toBe(false);
  });
});

describe("event conditions", () => {
  const purchase = (daysAgo: number, properties: Record<string, unknown> = {}) => ev("purchase", MS - daysAgo * DAY, properties);

  it("counts events with exactly that name (case-sensitive; nameless events never count)", () => {
    const inp = input({ events: [purchase(1), ev("Purchase", MS - DAY), ev("purchase ", MS - DAY), ev(null, MS - DAY), ev("app_open", MS - DAY)] });
    expect(holds(event("purchase", { op: "eq", value: 1 }, ever), inp)).toBe(true);
    expect(evaluate(definition(event("purchase", { op: "gte", value: 0 }, ever)), inp, NOW).trace.children![0]!.seen).toBe(1);
  });

  it("count gte / lte / eq, including people with no such events", () => {
    const three = input({ events: [purchase(1), purchase(2), purchase(3)] });
    const none = input({ events: [ev("app_open", MS)] });
    const cases: [EventCondition["count"], boolean, boolean][] = [
      [{ op: "gte", value: 3 }, true, false],
      [{ op: "gte", value: 4 }, false, false],
      [{ op: "gte", value: 0 }, true, true],
      [{ op: "lte", value: 3 }, true, true],
      [{ op: "lte", value: 2 }, false, true],
      [{ op: "lte", value: 0 }, false, true],
      [{ op: "eq", value: 3 }, true, false],
      [{ op: "eq", value: 2 }, false, false],
      [{ op: "eq", value: 0 }, false, true], // "did not perform"
    ];
    for (const [count, forThree, forNone] of cases) {
      expect([count, holds(event("purchase", count, ever), three)]).toEqual([count, forThree]);
      expect([count, holds(event("purchase", count, ever), none)]).toEqual([count, forNone]);
    }
  });

  it("ever: every event up to now, including now, not after it", () => {
    const node = event("purchase", { op: "gte", value: 1 }, ever);
    expect(holds(node, input({ events: [ev("purchase", MS)] }))).toBe(true);
    expect(holds(node, input({ events: [ev("purchase", 0)] }))).toBe(true);
    expect(holds(node, input({ events: [ev("purchase", MS + 1)] }))).toBe(false);
    expect(holds(node, input({ events: [ev("purchase", MS + 365 * DAY)] }))).toBe(false);
  });

  it("last N units: exactly N ago is inside, a millisecond earlier and the future are not", () => {
    for (const [unit, ms] of [
      ["minutes", MINUTE],
      ["hours", HOUR],
      ["days", DAY],
    ] as const) {
      const node = event("purchase", { op: "gte", value: 1 }, { kind: "last", amount: 30, unit });
      expect(holds(node, input({ events: [ev("purchase", MS - 30 * ms)] }))).toBe(true);
      expect(holds(node, input({ events: [ev("purchase", MS - 30 * ms - 1)] }))).toBe(false);
      expect(holds(node, input({ events: [ev("purchase", MS)] }))).toBe(true);
      expect(holds(node, input({ events: [ev("purchase", MS + 1)] }))).toBe(false);
    }
  });

  it("between: from ≤ t < to (the end is exclusive), with offsets", () => {
    const node = event("purchase", { op: "gte", value: 1 }, { kind: "between", from: "2026-11-01", to: "2026-11-02T00:00+01:00" });
    const from = Date.parse("2026-11-01T00:00:00Z");
    const to = Date.parse("2026-11-01T23:00:00Z");
    expect(holds(node, input({ events: [ev("purchase", from)] }))).toBe(true);
    expect(holds(node, input({ events: [ev("purchase", from - 1)] }))).toBe(false);
    expect(holds(node, input({ events: [ev("purchase", to - 1)] }))).toBe(true);
    expect(holds(node, input({ events: [ev("purchase", to)] }))).toBe(false);
  });

  it("between is exactly from ≤ t < to, as the doc says: a window reaching past now counts events after now", () => {
    const node = event("purchase", { op: "gte", value: 1 }, { kind: "between", from: "2026-11-01", to: "2026-12-01" });
    expect(holds(node, input({ events: [ev("purchase", MS + DAY)] }))).toBe(true);
  });

  it("where: every filter must pass; a missing or wrong-typed property fails, negative operators too", () => {
    const big = filter("amount", "number", { op: "gte", value: 100 });
    const watch = filter("product.category", "string", { op: "equals", value: "watch" });
    const node = event("purchase", { op: "gte", value: 2 }, ever, [big, watch]);
    const events = [
      purchase(1, { amount: 150, product: { category: "watch" } }),
      purchase(2, { amount: 99.99, product: { category: "watch" } }),
      purchase(3, { amount: 100, product: { category: "strap" } }),
      purchase(4, { amount: "150", product: { category: "watch" } }),
      purchase(5, { amount: 100, product: "watch" }),
      purchase(6, { amount: null, product: { category: "watch" } }),
    ];
    expect(holds(node, input({ events }))).toBe(false);
    expect(holds(node, input({ events: [...events, purchase(7, { amount: 100, product: { category: "watch", x: 1 } })] }))).toBe(true);

    const notWatch = event("purchase", { op: "eq", value: 1 }, ever, [filter("product.category", "string", { op: "notEquals", value: "watch" })]);
    expect(holds(notWatch, input({ events }))).toBe(true); // only the strap: missing and wrong-typed categories don't count
    const noCoupon = event("purchase", { op: "eq", value: 6 }, ever, [filter("coupon", "any", { op: "notExists" })]);
    expect(holds(noCoupon, input({ events }))).toBe(true);
  });

  it("where filters on every value type", () => {
    const e = purchase(1, { tags: ["gift", 3], ok: true, at: "2026-11-20T10:00+01:00", s: "abc" });
    const one = (f: PropertyFilter) => holds(event("purchase", { op: "eq", value: 1 }, ever, [f]), input({ events: [e] }));
    expect(one(filter("tags", "list", { op: "contains", value: 3 }))).toBe(true);
    expect(one(filter("tags", "list", { op: "contains", value: "3" }))).toBe(false);
    expect(one(filter("ok", "boolean", { op: "equals", value: true }))).toBe(true);
    expect(one(filter("at", "date", { op: "withinLast", amount: 6, unit: "days" }))).toBe(true); // 5 days 3 hours ago
    expect(one(filter("at", "date", { op: "moreThanAgo", amount: 6, unit: "days" }))).toBe(false);
    expect(one(filter("at", "date", { op: "moreThanAgo", amount: 5, unit: "days" }))).toBe(true);
    expect(one(filter("s", "string", { op: "in", values: ["abc"] }))).toBe(true);
    expect(one(filter("s", "list", { op: "isNotEmpty" }))).toBe(false);
  });

  it("properties that are not an object (bad data) have no values", () => {
    const e = { name: "purchase", timestamp: at(MS - DAY), properties: [1, 2] as unknown as Record<string, unknown> };
    expect(holds(event("purchase", { op: "eq", value: 0 }, ever, [filter("0", "any", { op: "exists" })]), input({ events: [e] }))).toBe(true);
  });

  it("stops counting early only where the answer is already known", () => {
    const five = input({ events: [1, 2, 3, 4, 5].map((d) => purchase(d)) });
    expect(holds(event("purchase", { op: "gte", value: 5 }, ever), five)).toBe(true);
    expect(holds(event("purchase", { op: "gte", value: 6 }, ever), five)).toBe(false);
    expect(holds(event("purchase", { op: "lte", value: 4 }, ever), five)).toBe(false);
    expect(holds(event("purchase", { op: "lte", value: 5 }, ever), five)).toBe(true);
    expect(holds(event("purchase", { op: "eq", value: 4 }, ever), five)).toBe(false);
    expect(holds(event("purchase", { op: "eq", value: 5 }, ever), five)).toBe(true);
    // The trace always reports the full count.
    expect(evaluate(definition(event("purchase", { op: "gte", value: 1 }, ever)), five, NOW).trace.children![0]!.seen).toBe(5);
  });

  it("an event at an invalid time is in no window", () => {
    const bad = { name: "purchase", timestamp: new Date(NaN), properties: {} };
    expect(holds(event("purchase", { op: "eq", value: 0 }, ever), input({ events: [bad] }))).toBe(true);
  });
});

describe("firstSeen / lastSeen", () => {
  it("compare the profile's times with date operators", () => {
    const inp = input({ profile: { firstSeenAt: at(MS - 30 * DAY), lastSeenAt: at(MS - 7 * DAY) } });
    expect(holds({ type: "firstSeen", operator: { op: "withinLast", amount: 30, unit: "days" } }, inp)).toBe(true);
    expect(holds({ type: "firstSeen", operator: { op: "moreThanAgo", amount: 30, unit: "days" } }, inp)).toBe(false);
    expect(holds({ type: "lastSeen", operator: { op: "moreThanAgo", amount: 7, unit: "days" } }, inp)).toBe(false);
    expect(holds({ type: "lastSeen", operator: { op: "moreThanAgo", amount: 10079, unit: "minutes" } }, inp)).toBe(true);
    expect(holds({ type: "lastSeen", operator: { op: "withinLast", amount: 167, unit: "hours" } }, inp)).toBe(false);
    expect(holds({ type: "firstSeen", operator: { op: "before", value: "2026-10-26T12:00:00.001Z" } }, inp)).toBe(true);
    expect(holds({ type: "firstSeen", operator: { op: "before", value: "2026-10-26T12:00:00Z" } }, inp)).toBe(false);
    expect(holds({ type: "firstSeen", operator: { op: "after", value: "2026-10-26T13:00+01:00" } }, inp)).toBe(false);
    expect(holds({ type: "lastSeen", operator: { op: "between", from: "2026-11-18T12:00Z", to: "2026-11-18T12:00:00.001Z" } }, inp)).toBe(true);
    expect(holds({ type: "lastSeen", operator: { op: "between", from: "2026-11-18", to: "2026-11-18T12:00Z" } }, inp)).toBe(false);
  });
});

describe("segment, bucket and subscription conditions", () => {
  it("subscribed / unsubscribed read the groups the person is in now", () => {
    const person = input({ subscriptions: ["news"] });
    expect(holds({ type: "subscription", op: "subscribed", groupId: "news" }, person)).toBe(true);
    expect(holds({ type: "subscription", op: "unsubscribed", groupId: "news" }, person)).toBe(false);
    expect(holds({ type: "subscription", op: "subscribed", groupId: "sms" }, person)).toBe(false);
    expect(holds({ type: "subscription", op: "unsubscribed", groupId: "sms" }, person)).toBe(true);
  });

  it("segment in / notIn read the memberships", () => {
    const member = input({ memberships: ["seg-a"] });
    expect(holds({ type: "segment", op: "in", segmentId: "seg-a" }, member)).toBe(true);
    expect(holds({ type: "segment", op: "notIn", segmentId: "seg-a" }, member)).toBe(false);
    expect(holds({ type: "segment", op: "in", segmentId: "seg-b" }, member)).toBe(false);
    expect(holds({ type: "segment", op: "notIn", segmentId: "seg-b" }, member)).toBe(true);
  });

  it("bucket: from ≤ bucket ≤ to", () => {
    const b = (bucket: number, from: number, to: number) => holds({ type: "bucket", from, to }, input({ profile: { bucket } }));
    expect(b(0, 0, 999)).toBe(true);
    expect(b(999, 0, 999)).toBe(true);
    expect(b(1000, 0, 999)).toBe(false);
    expect(b(4242, 4242, 4242)).toBe(true);
    expect(b(4241, 4242, 4242)).toBe(false);
    expect(b(9999, 0, 9999)).toBe(true);
  });
});

describe("groups", () => {
  const yes = trait("country", "string", { op: "equals", value: "DE" });
  const no = trait("country", "string", { op: "equals", value: "FR" });
  const inp = input({ profile: { country: "DE" } });

  it("an empty and holds for everyone, an empty or for no one; not negates", () => {
    expect(holds(group("and", []), inp)).toBe(true);
    expect(holds(group("or", []), inp)).toBe(false);
    expect(holds(group("and", [], true), inp)).toBe(false);
    expect(holds(group("or", [], true), inp)).toBe(true);
    expect(evaluate({ schemaVersion: 1, root: group("and", []) }, inp, NOW).match).toBe(true);
    expect(evaluate({ schemaVersion: 1, root: group("or", []) }, inp, NOW).match).toBe(false);
    expect(compileEvaluator({ schemaVersion: 1, root: group("or", [], true) }, NOW)(inp)).toBe(true);
  });

  it.each([
    ["and", [yes, yes], true],
    ["and", [yes, no], false],
    ["and", [no, yes, yes, yes], false],
    ["and", [yes, yes, yes, yes, yes], true],
    ["or", [no, no], false],
    ["or", [no, yes], true],
    ["or", [no, no, no, yes], true],
    ["or", [no, no, no, no, no], false],
  ] as const)("%s of %#", (op, children, expected) => {
    expect(holds(group(op, [...children]), inp)).toBe(expected);
    expect(holds(group(op, [...children], true), inp)).toBe(!expected);
    expect(holds(group(op, [...children], false), inp)).toBe(expected);
  });

  it("nests", () => {
    const def = group("or", [group("and", [yes, group("or", [no], true)]), no]);
    expect(holds(def, inp)).toBe(true);
    expect(holds(group("and", [def, group("and", [def], true)]), inp)).toBe(false);
  });
});

describe("evaluate: the trace", () => {
  const docExample: SegmentDefinition = {
    schemaVersion: 1,
    root: {
      type: "group",
      op: "and",
      children: [
        { type: "trait", id: "country", field: "country", valueType: "string", operator: { op: "equals", value: "DE" } },
        {
          type: "event",
          id: "buyers",
          event: "purchase",
          where: [{ path: "amount", valueType: "number", operator: { op: "gte", value: 100 } }],
          count: { op: "gte", value: 3 },
          window: { kind: "last", amount: 30, unit: "days" },
        },
        {
          type: "group",
          op: "and",
          not: true,
          children: [{ type: "event", event: "app_open", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 7, unit: "days" } }],
        },
      ],
    },
  };

  it("reports every node with its path, id, result and what it saw (the doc's example)", () => {
    expect(validate(docExample).ok).toBe(true);
    const inp = input({
      profile: { country: "FR" },
      events: [
        ev("purchase", MS - DAY, { amount: 100 }),
        ev("purchase", MS - 2 * DAY, { amount: 250 }),
        ev("purchase", MS - 40 * DAY, { amount: 500 }),
        ev("purchase", MS - 3 * DAY, { amount: 20 }),
        ev("purchase", MS - 4 * DAY, { amount: 120 }),
        ev("app_open", MS - 8 * DAY),
      ],
    });
    const { match, trace } = evaluate(docExample, inp, NOW);
    expect(match).toBe(false);
    expect(trace).toEqual<Trace>({
      path: ["root"],
      type: "group",
      holds: false,
      seen: undefined,
      children: [
        { path: ["root", "children", 0], id: "country", type: "trait", holds: false, seen: "FR" },
        { path: ["root", "children", 1], id: "buyers", type: "event", holds: true, seen: 3 },
        {
          path: ["root", "children", 2],
          type: "group",
          holds: true,
          seen: undefined,
          children: [{ path: ["root", "children", 2, "children", 0], type: "event", holds: false, seen: 0 }],
        },
      ],
    });
    expect(Object.keys(trace.children![2]!)).not.toContain("id");
    // Germany makes it a match.
    expect(evaluate(docExample, { ...inp, profile: { ...inp.profile, country: "DE" } }, NOW).match).toBe(true);
  });

  it("evaluates every child even when the answer is known after the first", () => {
    const def: SegmentDefinition = {
      schemaVersion: 1,
      root: group("or", [
        trait("country", "string", { op: "equals", value: "DE" }),
        event("purchase", { op: "gte", value: 1 }, ever),
        trait("traits.plan", "string", { op: "equals", value: "pro" }),
      ]),
    };
    const { trace } = evaluate(def, input({ profile: { country: "DE" }, traits: { plan: "pro" }, events: [ev("purchase", MS), ev("purchase", MS)] }), NOW);
    expect(trace.children!.map((c) => [c.holds, c.seen])).toEqual([
      [true, "DE"],
      [true, 2],
      [true, "pro"],
    ]);
  });

  it("seen: undefined for missing and null traits, the value otherwise (even when it has the wrong type)", () => {
    const def = definition(
      trait("traits.a", "string", { op: "equals", value: "x" }),
      trait("traits.b", "string", { op: "equals", value: "x" }),
      trait("traits.c", "string", { op: "equals", value: "x" }),
      trait("email", "any", { op: "exists" }),
      trait("traits.d", "list", { op: "isEmpty" }),
    );
    const { trace } = evaluate(def, input({ traits: { b: null, c: 5, d: [] }, profile: { email: null } }), NOW);
    expect(trace.children!.map((c) => c.seen)).toEqual([undefined, undefined, 5, undefined, []]);
    expect(trace.children!.map((c) => c.holds)).toEqual([false, false, false, false, true]);
  });

  it("seen: ISO times for firstSeen/lastSeen, the bucket, membership as a boolean", () => {
    const def = definition(
      { type: "firstSeen", operator: { op: "before", value: "2030-01-01" } },
      { type: "lastSeen", operator: { op: "after", value: "2030-01-01" } },
      { type: "bucket", from: 0, to: 10 },
      { type: "segment", op: "notIn", segmentId: "s" },
      { type: "segment", op: "in", segmentId: "t" },
      { type: "subscription", op: "unsubscribed", groupId: "news" },
    );
    const inp = input({ profile: { bucket: 42, firstSeenAt: new Date("2026-01-02T03:04:05.678Z"), lastSeenAt: new Date("2026-11-25T11:00:00Z") }, memberships: ["s"], subscriptions: ["news"] });
    const { trace } = evaluate(def, inp, NOW);
    expect(trace.children!.map((c) => [c.type, c.seen, c.holds])).toEqual([
      ["firstSeen", "2026-01-02T03:04:05.678Z", true],
      ["lastSeen", "2026-11-25T11:00:00.000Z", false],
      ["bucket", 42, false],
      ["segment", true, false],
      ["segment", false, false],
      ["subscription", true, false],
    ]);
  });
});

describe("definitions that did not pass validate()", () => {
  it("throw instead of guessing", () => {
    const badDate = definition({ type: "firstSeen", operator: { op: "before", value: "2026-02-30" } });
    expect(() => compileEvaluator(badDate, NOW)).toThrow(/not a date/);
    expect(() => evaluate(badDate, input(), NOW)).toThrow(/not a date/);
    const badField = definition(trait("nope", "string", { op: "equals", value: "x" }));
    expect(() => compileEvaluator(badField, NOW)).toThrow(/unknown field/);
    const badOp = definition(trait("email", "string", { op: "matches", value: "x" }));
    expect(() => compileEvaluator(badOp, NOW)).toThrow(/unknown string operator/);
    expect(() => compileEvaluator(definition(), new Date(NaN))).toThrow(/now/);
  });
});

// ---------------------------------------------------------------------------------------
// Properties: random definitions and people, checked against a direct, unoptimised reading
// of docs/segment-definition.md.

/** The doc, read literally: no compilation, no short-circuits, no early exits. */
function reference(node: SegmentNode, inp: EvalInput, now: number): boolean {
  const valueAt = (root: unknown, path: string): unknown => {
    let current = root;
    for (const key of path.split(".")) {
      if (typeof current !== "object" || current === null || Array.isArray(current) || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    }
    return current === null ? undefined : current;
  };
  const date = (op: DateOperator, t: number): boolean => {
    switch (op.op) {
      case "before":
        return t < parseDate(op.value)!;
      case "after":
        return t > parseDate(op.value)!;
      case "between":
        return parseDate(op.from)! <= t && t < parseDate(op.to)!;
      case "notBetween":
        return !(parseDate(op.from)! <= t && t < parseDate(op.to)!);
      case "withinLast":
        return now - op.amount * UNIT_MS[op.unit] <= t && t <= now;
      case "moreThanAgo":
        return t < now - op.amount * UNIT_MS[op.unit];
    }
  };
  const sameJson = (a: unknown, b: unknown) => (typeof a === "string" || typeof a === "number") && typeof a === typeof b && a === b;
  const lower = (x: string) => [...x].map((ch) => (ch >= "A" && ch <= "Z" ? ch.toLowerCase() : ch)).join("");
  const compare = (c: TraitCondition | PropertyFilter, v: unknown): boolean => {
    // "includeMissing": a missing value passes; otherwise it fails like any value of another type.
    if (v === undefined && "includeMissing" in c.operator && c.operator.includeMissing) return true;
    switch (c.valueType) {
      case "any":
        return (c.operator.op === "exists") === (v !== undefined);
      case "string": {
        if (typeof v !== "string") return false;
        const o = c.operator;
        if (o.op === "isEmpty") return v.length === 0;
        if (o.op === "isNotEmpty") return v.length > 0;
        const f = "ignoreCase" in o && o.ignoreCase ? lower : (x: string) => x;
        const s = f(v);
        if ("values" in o) return o.values.map(f).includes(s) === (o.op === "in");
        const x = f(o.value);
        const starts = s.slice(0, x.length) === x;
        const ends = s.length >= x.length && s.slice(s.length - x.length) === x;
        return {
          equals: s === x,
          notEquals: s !== x,
          contains: s.indexOf(x) >= 0,
          notContains: s.indexOf(x) < 0,
          startsWith: starts,
          notStartsWith: !starts,
          endsWith: ends,
          notEndsWith: !ends,
        }[o.op];
      }
      case "number": {
        if (typeof v !== "number") return false;
        const o = c.operator;
        if (o.op === "between") return o.min <= v && v <= o.max;
        if (o.op === "notBetween") return !(o.min <= v && v <= o.max);
        if (o.op === "in") return o.values.some((x) => x === v);
        if (o.op === "notIn") return !o.values.some((x) => x === v);
        return { equals: v === o.value, notEquals: v !== o.value, gt: v > o.value, gte: v >= o.value, lt: v < o.value, lte: v <= o.value }[o.op];
      }
      case "boolean":
        return typeof v === "boolean" && v === c.operator.value;
      case "date": {
        const t = typeof v === "string" ? parseDate(v) : null;
        return t !== null && date(c.operator, t);
      }
      case "list": {
        if (!Array.isArray(v)) return false;
        const o = c.operator;
        switch (o.op) {
          case "contains":
            return v.some((e) => sameJson(e, o.value));
          case "notContains":
            return !v.some((e) => sameJson(e, o.value));
          case "containsAny":
            return v.some((e) => o.values.some((x) => sameJson(e, x)));
          case "containsAll":
            return o.values.every((x) => v.some((e) => sameJson(e, x)));
          case "containsNone":
            return !v.some((e) => o.values.some((x) => sameJson(e, x)));
          case "isEmpty":
            return v.length === 0;
          case "isNotEmpty":
            return v.length > 0;
        }
      }
    }
  };
  switch (node.type) {
    case "group": {
      const results = node.children.map((c) => reference(c, inp, now));
      const r = node.op === "and" ? !results.includes(false) : results.includes(true);
      return node.not ? !r : r;
    }
    case "trait": {
      const raw = node.field.startsWith("traits.") ? valueAt(inp.profile.traits, node.field.slice(7)) : inp.profile[node.field as keyof EvalProfile];
      return compare(node, raw === null ? undefined : raw);
    }
    case "event": {
      const w = node.window;
      const inWindow = (t: number) =>
        w.kind === "ever" ? t <= now : w.kind === "last" ? now - w.amount * UNIT_MS[w.unit] <= t && t <= now : parseDate(w.from)! <= t && t < parseDate(w.to)!;
      const n = inp.events.filter((e) => e.name === node.event && inWindow(e.timestamp.getTime()) && node.where.every((f) => compare(f, valueAt(e.properties, f.path)))).length;
      return node.count.op === "gte" ? n >= node.count.value : node.count.op === "lte" ? n <= node.count.value : n === node.count.value;
    }
    case "firstSeen":
      return date(node.operator, inp.profile.firstSeenAt.getTime());
    case "lastSeen":
      return date(node.operator, inp.profile.lastSeenAt.getTime());
    case "segment":
      return inp.memberships.has(node.segmentId) === (node.op === "in");
    case "bucket":
      return node.from <= inp.profile.bucket && inp.profile.bucket <= node.to;
    case "subscription":
      return inp.subscriptions.has(node.groupId) === (node.op === "subscribed");
  }
}

function nodeAt(root: Group, path: (string | number)[]): SegmentNode {
  let node: SegmentNode = root;
  for (let k = 1; k < path.length; k += 2) node = (node as Group).children[path[k + 1] as number]!;
  return node;
}

function flatten(trace: Trace): Trace[] {
  return [trace, ...(trace.children ?? []).flatMap(flatten)];
}

describe("properties", () => {
  it("the generator makes valid definitions (so the properties below test real ones)", () => {
    fc.assert(
      fc.property(arbDefinition, (def) => {
        const result = validate(def);
        expect(result.ok ? [] : result.errors).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("the generated people and conditions are not vacuous: every kind of condition both holds and fails often", () => {
    const tally = new Map<string, [number, number]>();
    const samples = fc.sample(fc.tuple(arbCondition, arbInput), { numRuns: 4000, seed: 7 });
    for (const [node, inp] of samples) {
      const key = node.type === "trait" ? `trait ${node.valueType}` : node.type;
      const t = tally.get(key) ?? [0, 0];
      t[evaluateCondition(node, inp, NOW) ? 0 : 1]++;
      tally.set(key, t);
    }
    expect([...tally.keys()].sort()).toEqual(["bucket", "event", "firstSeen", "lastSeen", "segment", "subscription", ...["any", "boolean", "date", "list", "number", "string"].map((v) => `trait ${v}`)].sort());
    for (const [key, [yes, no]] of tally) expect([key, Math.min(yes, no) / (yes + no) > 0.15]).toEqual([key, true]);
  });

  it("evaluate, compileEvaluator, evaluateCondition and a literal reading of the doc agree", () => {
    fc.assert(
      fc.property(arbDefinition, fc.array(arbInput, { minLength: 1, maxLength: 4 }), (def, inputs) => {
        const fast = compileEvaluator(def, NOW);
        for (const inp of inputs) {
          const expected = reference(def.root, inp, MS);
          expect(fast(inp)).toBe(expected);
          expect(evaluate(def, inp, NOW).match).toBe(expected);
          expect(evaluateCondition(def.root, inp, NOW)).toBe(expected);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("compileConditionEvaluator: the whole definition and each top-level child, as evaluated alone", () => {
    fc.assert(
      fc.property(arbDefinition, fc.array(arbInput, { minLength: 1, maxLength: 4 }), (def, inputs) => {
        const both = compileConditionEvaluator(def, NOW);
        const children: boolean[] = [];
        for (const inp of inputs) {
          expect(both(inp, children)).toBe(reference(def.root, inp, MS));
          expect(children).toEqual(def.root.children.map((child) => reference(child, inp, MS)));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("every node of the trace holds exactly when that node, evaluated on its own, holds", () => {
    fc.assert(
      fc.property(arbDefinition, arbInput, (def, inp) => {
        const { trace } = evaluate(def, inp, NOW);
        for (const t of flatten(trace)) {
          const node = nodeAt(def.root, t.path);
          expect(t.type).toBe(node.type);
          expect(t.id).toBe(node.id);
          expect(t.holds).toBe(evaluateCondition(node, inp, NOW));
          expect(t.holds).toBe(reference(node, inp, MS));
          if (node.type === "group") expect(t.children).toHaveLength(node.children.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("not of a group is the negation of the group; De Morgan holds", () => {
    fc.assert(
      fc.property(arbGroup, arbInput, (g, inp) => {
        const plain = evaluateCondition(g, inp, NOW);
        expect(evaluateCondition({ ...g, not: !g.not }, inp, NOW)).toBe(!plain);
        const flipped: Group = { type: "group", op: g.op === "and" ? "or" : "and", not: !g.not, children: g.children.map((c) => group("and", [c], true)) };
        expect(evaluateCondition(flipped, inp, NOW)).toBe(plain);
      }),
      { numRuns: 300 },
    );
  });

  it("the order of a group's children does not matter", () => {
    fc.assert(
      fc.property(arbGroup, arbInput, fc.integer(), (g, inp, seed) => {
        const children = [...g.children].sort((a, b) => ((JSON.stringify(a).length * 31 + seed) % 7) - ((JSON.stringify(b).length * 31 + seed) % 7)).reverse();
        expect(compileEvaluator({ schemaVersion: 1, root: { ...g, children } }, NOW)(inp)).toBe(compileEvaluator({ schemaVersion: 1, root: g }, NOW)(inp));
      }),
      { numRuns: 200 },
    );
  });
});
