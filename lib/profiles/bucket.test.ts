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
  it("is a growing, duplicate-free sample spread over the whole range", () => {
    const all = sampleBuckets(BUCKETS);
    expect(new Set(all).size).toBe(BUCKETS);
    const small = sampleBuckets(100);
    expect(all.slice(0, 100)).toEqual(small);
    // A 1 % sample holds about 10 % of its buckets in the first 10 % of the range.
    const inFirstTenth = small.filter((b) => b < 1_000).length;
    expect(inFirstTenth).toBeGreaterThanOrEqual(5);
    expect(inFirstTenth).toBeLessThanOrEqual(15);
  });
});
