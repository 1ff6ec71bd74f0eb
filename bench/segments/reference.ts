import type { SegmentDefinition, SegmentNode } from "../../lib/segments/schema";

/**
 * The 12 reference definitions of issue 4, over the demo generator's data (a shop selling
 * fitness watches with an app). Used by bench/segments and by the parity table. Definitions
 * 11 and 12 refer to saved segments: `REFERENCED` lists the ones to save first.
 */

const and = (...children: SegmentNode[]): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children } });
const event = (name: string, op: "gte" | "lte" | "eq", value: number, window: Record<string, unknown>, where: unknown[] = []) =>
  ({ type: "event", event: name, where, count: { op, value }, window }) as SegmentNode;
const last = (amount: number, unit: "minutes" | "hours" | "days" = "days") => ({ kind: "last", amount, unit });
const EVER = { kind: "ever" };

/** Saved first so that definitions can refer to them: id → definition. */
export const REFERENCED: Record<string, { name: string; definition: SegmentDefinition }> = {
  ref_buyers_90d: { name: "Bought in the last 90 days", definition: and(event("purchase", "gte", 1, last(90))) },
  ref_german_speaking: {
    name: "German-speaking countries",
    definition: and({ type: "trait", field: "traits.country", valueType: "string", operator: { op: "in", values: ["DE", "AT", "CH"] } }),
  },
};

export const REFERENCE_DEFINITIONS: { name: string; definition: SegmentDefinition }[] = [
  {
    name: "1. trait only: plan = pro and country = DE",
    definition: and(
      { type: "trait", field: "traits.plan", valueType: "string", operator: { op: "equals", value: "pro" } },
      { type: "trait", field: "traits.country", valueType: "string", operator: { op: "equals", value: "DE" } },
    ),
  },
  {
    name: "2. trait only: age 25–40, iPhone, goal run_faster",
    definition: and(
      { type: "trait", field: "traits.age", valueType: "number", operator: { op: "between", min: 25, max: 40 } },
      { type: "trait", field: "traits.device", valueType: "string", operator: { op: "equals", value: "iphone" } },
      { type: "trait", field: "traits.goal", valueType: "string", operator: { op: "equals", value: "run_faster" } },
    ),
  },
  {
    name: "3. windowed count with a property filter: purchase ≥ 2 over 150 € in 90 days",
    definition: and(event("purchase", "gte", 2, last(90), [{ path: "amount", valueType: "number", operator: { op: "gt", value: 150 } }])),
  },
  {
    name: "4. windowed count with a property filter: tariff calculator used ≥ 3 times in 30 days",
    definition: and(event("feature_used", "gte", 3, last(30), [{ path: "feature", valueType: "string", operator: { op: "equals", value: "tariff_calculator" } }])),
  },
  {
    name: "5. did not perform: viewed products in 30 days, never added to cart",
    definition: and(event("product_viewed", "gte", 1, last(30)), event("add_to_cart", "eq", 0, EVER)),
  },
  {
    name: "6. bought more than 3× in the last 30 days but inactive for 7 days",
    definition: and(event("purchase", "gte", 4, last(30)), { type: "lastSeen", operator: { op: "moreThanAgo", amount: 7, unit: "days" } }),
  },
  {
    name: "7. opens emails but never converts",
    definition: and(event("email_opened", "gte", 3, last(90)), event("purchase", "eq", 0, EVER)),
  },
  {
    name: "8. nested and/or: (DE or AT) and (pro or bought in 30 days) and not app_open in 7 days",
    definition: and(
      {
        type: "group",
        op: "or",
        children: [
          { type: "trait", field: "traits.country", valueType: "string", operator: { op: "equals", value: "DE" } },
          { type: "trait", field: "traits.country", valueType: "string", operator: { op: "equals", value: "AT" } },
        ],
      },
      {
        type: "group",
        op: "or",
        children: [
          { type: "trait", field: "traits.plan", valueType: "string", operator: { op: "equals", value: "pro" } },
          event("purchase", "gte", 1, last(30)),
        ],
      },
      { type: "group", op: "and", not: true, children: [event("app_open", "gte", 1, last(7))] },
    ),
  },
  {
    name: "9. onboarding drop-off: started onboarding, never reached step 4, signed up in 60 days",
    definition: and(
      event("onboarding_step", "gte", 1, EVER),
      event("onboarding_step", "eq", 0, EVER, [{ path: "step", valueType: "number", operator: { op: "gte", value: 4 } }]),
      { type: "firstSeen", operator: { op: "withinLast", amount: 60, unit: "days" } },
    ),
  },
  {
    name: "10. bucket range: a fixed 10 % holdout of active app users",
    definition: and({ type: "bucket", from: 0, to: 999 }, event("app_open", "gte", 1, last(30))),
  },
  {
    name: "11. segment reference: recent buyers in German-speaking countries",
    definition: and(
      { type: "segment", op: "in", segmentId: "ref_buyers_90d" },
      { type: "segment", op: "in", segmentId: "ref_german_speaking" },
    ),
  },
  {
    name: "12. segment reference, negated: German-speaking, not a recent buyer, cart in 14 days",
    definition: and(
      { type: "segment", op: "in", segmentId: "ref_german_speaking" },
      { type: "segment", op: "notIn", segmentId: "ref_buyers_90d" },
      event("add_to_cart", "gte", 1, last(14)),
    ),
  },
];
