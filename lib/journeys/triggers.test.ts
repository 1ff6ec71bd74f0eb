import { describe, expect, it } from "vitest";
import type { EvalEvent } from "@/lib/segments/evaluate";
import { countWithin, eventMatches, eventTriggerVerdict, type EventTrigger } from "./triggers";

const ev = (name: string, minute: number, properties: Record<string, unknown> = {}): EvalEvent => ({ name, properties, timestamp: new Date(Date.UTC(2026, 11, 10, 12, minute)) });

describe("event triggers", () => {
  const thrice: EventTrigger = { type: "event", event: "tariff_calculator_opened", filters: [], count: { atLeast: 3, within: { amount: 1, unit: "hours" } } };

  it("match on name and property filters", () => {
    const filtered: EventTrigger = { type: "event", event: "order_placed", filters: [{ path: "total", valueType: "number", operator: { op: "gte", value: 100 } }] };
    expect(eventMatches(ev("order_placed", 0, { total: 120 }), filtered.event, filtered.filters)).toBe(true);
    expect(eventMatches(ev("order_placed", 0, { total: 80 }), filtered.event, filtered.filters)).toBe(false);
    expect(eventTriggerVerdict(filtered, ev("order_placed", 0, { total: 80 }), [])).toEqual({ enrolls: false, reason: "order_placed happened, but its properties did not pass the trigger's filters." });
    expect(eventTriggerVerdict(filtered, ev("page_viewed", 0), [])).toMatchObject({ enrolls: false });
  });

  it("“at least 3 times within an hour” counts the events in the hour up to this one", () => {
    const first = ev("tariff_calculator_opened", 0);
    const second = ev("tariff_calculator_opened", 20);
    const third = ev("tariff_calculator_opened", 70);
    expect(countWithin(thrice, third, [first, second, third])).toBe(2);
    expect(eventTriggerVerdict(thrice, third, [first, second, third])).toEqual({ enrolls: false, reason: "tariff_calculator_opened happened 2 times within 1 hours; the trigger needs 3." });
    const fourth = ev("tariff_calculator_opened", 71);
    expect(eventTriggerVerdict(thrice, fourth, [first, second, third, fourth])).toEqual({ enrolls: true });
    // The event itself counts when it is not among the history given.
    expect(countWithin(thrice, fourth, [second, third])).toBe(3);
  });
});
