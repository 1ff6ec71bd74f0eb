import type { SegmentDefinition } from "./schema";

/** Starter segments offered on an empty segments page (from the brief's fitness-watch shop). */
export const STARTER_SEGMENTS: { key: string; name: string; description: string; definition: SegmentDefinition }[] = [
  {
    key: "cart-abandoners",
    name: "Cart abandoners",
    description: "Added to cart in the last 7 days but did not buy.",
    definition: {
      schemaVersion: 1,
      root: {
        type: "group",
        op: "and",
        children: [
          { type: "event", event: "add_to_cart", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 7, unit: "days" } },
          { type: "event", event: "purchase", where: [], count: { op: "eq", value: 0 }, window: { kind: "last", amount: 7, unit: "days" } },
        ],
      },
    },
  },
  {
    key: "lapsed-buyers",
    name: "Lapsed buyers",
    description: "Bought before, but nothing in the last 90 days.",
    definition: {
      schemaVersion: 1,
      root: {
        type: "group",
        op: "and",
        children: [
          { type: "event", event: "purchase", where: [], count: { op: "gte", value: 1 }, window: { kind: "ever" } },
          { type: "event", event: "purchase", where: [], count: { op: "eq", value: 0 }, window: { kind: "last", amount: 90, unit: "days" } },
        ],
      },
    },
  },
  {
    key: "feature-explorers",
    name: "Feature explorers who never finish",
    description: "Used the tariff calculator 3× in 30 days without ever seeing a result.",
    definition: {
      schemaVersion: 1,
      root: {
        type: "group",
        op: "and",
        children: [
          {
            type: "event",
            event: "feature_used",
            where: [{ path: "feature", valueType: "string", operator: { op: "equals", value: "tariff_calculator" } }],
            count: { op: "gte", value: 3 },
            window: { kind: "last", amount: 30, unit: "days" },
          },
          { type: "event", event: "tariff_result_viewed", where: [], count: { op: "eq", value: 0 }, window: { kind: "ever" } },
        ],
      },
    },
  },
];
