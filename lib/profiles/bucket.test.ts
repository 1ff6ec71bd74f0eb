import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUCKETS, bucketOf, sampleBuckets } from "./bucket";

describe("bucketOf", () => {
  it("is stable: these ids keep these buckets in every version (FNV-1a 32 bit mod 10,000)", () => {
    // Changing the hash would move people between holdout and treatment: pin it.
    expect(bucketOf("")).toBe(6261);
    expect(["user-1", "user-2", "8a2ea090-2bd7-9b6e-3a5e-0c55e1452ec8"].map(bucketOf)).toEqual([8500, 1357, 8272]);
  });

  it("is always in [0, 10000) (property)", () => {
    fc.assert(fc.property(fc.string(), (id) => {
      const b = bucketOf(id);
      expect(Number.isInteger(b) && b >= 0 && b < BUCKETS).toBe(true);
    }));
  });

  it("spreads ids evenly: each tenth of the range gets 10 % ± 1 % of 100,000 ids", () => {
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[Math.floor(bucketOf(`profile-${i}`) / 1000)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(1_000);
  });
});

describe("sampleBuckets", () => {
  it("is a growing, duplicate-free sample of every bucket", () => {
    const all = sampleBuckets(BUCKETS);
    expect(new Set(all).size).toBe(BUCKETS);
    expect(all.every((b) => Number.isInteger(b) && b >= 0 && b < BUCKETS)).toBe(true);
    expect(all.slice(0, 100)).toEqual(sampleBuckets(100));
    expect(sampleBuckets(12)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 100, 1100]);
  });

  it("gives every range of buckets its share of a sample, to within a bucket for 10, 100 and 1,000 buckets", () => {
    for (const size of [10, 100, 1_000]) {
      const sample = sampleBuckets(size);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: BUCKETS - 1 }), fc.integer({ min: 0, max: BUCKETS - 1 }), (a, b) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const inRange = sample.filter((x) => from <= x && x <= to).length;
          return Math.abs(inRange - (size * (to - from + 1)) / BUCKETS) <= 1;
        }),
      );
    }
    // Any other size: within a few buckets.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: BUCKETS }), fc.integer({ min: 0, max: BUCKETS - 1 }), fc.integer({ min: 0, max: BUCKETS - 1 }), (size, a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const inRange = sampleBuckets(size).filter((x) => from <= x && x <= to).length;
        return Math.abs(inRange - (size * (to - from + 1)) / BUCKETS) <= 8;
      }),
      { numRuns: 200 },
    );
  });
});
