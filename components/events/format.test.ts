import { describe, expect, it } from "vitest";
import { countTicks, labelledIndexes, pluralEvents } from "./format";

describe("events explorer formatting", () => {
  it("makes round, whole-number ticks covering the maximum", () => {
    expect(countTicks(0)).toEqual([0, 1]);
    expect(countTicks(1)).toEqual([0, 1]);
    expect(countTicks(3)).toEqual([0, 1, 2, 3]);
    expect(countTicks(5)).toEqual([0, 2, 4, 6]);
    expect(countTicks(100)).toEqual([0, 50, 100]);
    expect(countTicks(130)).toEqual([0, 50, 100, 150]);
    expect(countTicks(12_345)).toEqual([0, 5000, 10_000, 15_000]);
    for (const max of [1, 2, 7, 9, 11, 99, 101, 999, 4321]) {
      const ticks = countTicks(max);
      expect(ticks.at(-1)!).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeLessThanOrEqual(6);
      expect(ticks.every(Number.isInteger)).toBe(true);
    }
  });

  it("labels evenly spaced days, always the newest", () => {
    expect(labelledIndexes(31)).toEqual([0, 6, 12, 18, 24, 30]);
    expect(labelledIndexes(8)).toEqual([1, 3, 5, 7]);
    expect(labelledIndexes(3)).toEqual([0, 1, 2]);
    expect(labelledIndexes(0)).toEqual([]);
  });

  it("counts events in words", () => {
    expect(pluralEvents(1)).toBe("1 event");
    expect(pluralEvents(2000)).toBe("2,000 events");
  });
});
