import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { and, difference, EMPTY, EVERYONE, fromUnsorted, intersect, not, or, parseInt4ArraySend, size, union, type SeqSet } from "./sets";

/** A small workspace of people 0…UNIVERSE-1, and a set over it held either way round. */
const UNIVERSE = 40;
const everyone = Array.from({ length: UNIVERSE }, (_, i) => i);
const members = fc.uniqueArray(fc.integer({ min: 0, max: UNIVERSE - 1 }), { maxLength: UNIVERSE });
const seqSet = fc.record({ members, negated: fc.boolean() }).map(({ members: m, negated }) => ({
  members: new Set(m),
  set: { seqs: fromUnsorted(negated ? everyone.filter((x) => !m.includes(x)) : m), negated } satisfies SeqSet,
}));
/** Who a set holds, as a sorted plain list. */
const who = (set: SeqSet) => (set.negated ? everyone.filter((x) => !set.seqs.includes(x)) : [...set.seqs]);
const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);

describe("sets", () => {
  it("fromUnsorted sorts and removes duplicates", () => {
    expect([...fromUnsorted([5, 1, 5, 3, 1, -2])]).toEqual([-2, 1, 3, 5]);
    expect([...fromUnsorted([])]).toEqual([]);
  });

  it("intersect, union and difference agree with Set", () => {
    fc.assert(
      fc.property(members, members, (a, b) => {
        const [x, y] = [fromUnsorted(a), fromUnsorted(b)];
        expect([...intersect(x, y)]).toEqual(sorted(new Set(a.filter((v) => b.includes(v)))));
        expect([...union(x, y)]).toEqual(sorted(new Set([...a, ...b])));
        expect([...difference(x, y)]).toEqual(sorted(new Set(a.filter((v) => !b.includes(v)))));
      }),
    );
  });

  it("and, or and not hold the right people whichever way round each set is kept", () => {
    fc.assert(
      fc.property(fc.array(seqSet, { maxLength: 5 }), (sets) => {
        const all = sets.map((s) => s.set);
        const inAll = everyone.filter((x) => sets.every((s) => s.members.has(x)));
        const inAny = everyone.filter((x) => sets.some((s) => s.members.has(x)));
        expect(who(and(all))).toEqual(inAll);
        expect(who(or(all))).toEqual(inAny);
        expect(who(not(and(all)))).toEqual(everyone.filter((x) => !inAll.includes(x)));
        expect(size(and(all), UNIVERSE)).toBe(inAll.length);
        expect(size(or(all), UNIVERSE)).toBe(inAny.length);
      }),
    );
  });

  it("an empty and holds everyone, an empty or no one", () => {
    expect(size(and([]), 7)).toBe(7);
    expect(size(or([]), 7)).toBe(0);
    expect(size(EMPTY, 7)).toBe(0);
    expect(size(EVERYONE, 7)).toBe(7);
  });

  it("reads Postgres' binary int4 arrays (array_send)", () => {
    const encode = (values: number[]) => {
      if (values.length === 0) return new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23]);
      const view = new DataView(new ArrayBuffer(20 + 8 * values.length));
      view.setInt32(0, 1);
      view.setInt32(4, 0);
      view.setInt32(8, 23);
      view.setInt32(12, values.length);
      view.setInt32(16, 1);
      values.forEach((v, i) => {
        view.setInt32(20 + 8 * i, 4);
        view.setInt32(24 + 8 * i, v);
      });
      return new Uint8Array(view.buffer);
    };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2 ** 31 - 1 })), (values) => {
        expect([...parseInt4ArraySend(encode(values))]).toEqual(sorted(new Set(values)));
      }),
    );
    const withNull = encode([1]);
    withNull[7] = 1;
    expect(() => parseInt4ArraySend(withNull)).toThrow(/NULL/);
  });
});
