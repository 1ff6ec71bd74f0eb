import fc from "fast-check";
import type { Comparison, DateOperator, SubscriptionCondition } from "./schema";

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
