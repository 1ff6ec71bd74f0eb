import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STORABLE, describeProblem, findUnstorable, isStorableText } from "./storable";

describe("isStorableText", () => {
  it.each([
    ["plain", true],
    ["emoji 🏃 whole", true],
    ["", true],
    ["nul \u0000 inside", false],
    ["cut \ud83d", false],
    ["\udc00 low first", false],
    ["reversed \udc00\ud800", false],
  ])("%j → %s", (text, storable) => {
    expect(isStorableText(text)).toBe(storable);
    expect(STORABLE.test(text)).toBe(storable);
  });

  it("agrees with the STORABLE pattern on any string (property)", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), fc.constantFrom("", "\u0000", "\ud800", "\udfff", "\ud83d\ude00"), (a, b) => {
      const text = a + b;
      expect(isStorableText(text)).toBe(STORABLE.test(text));
    }));
  });
});

describe("findUnstorable", () => {
  it("finds NUL and lone surrogates in values (with their path) and keys (at their object)", () => {
    expect(findUnstorable({ properties: { list: ["ok", "x\u0000"] } }, 10)?.path).toEqual(["properties", "list", 1]);
    expect(findUnstorable({ traits: { ["k\ud800"]: 1 } }, 10)).toMatchObject({ path: ["traits"], message: expect.stringMatching(/^keys /) });
    expect(findUnstorable({ fine: [{ a: "🏃" }], n: 1, b: true, z: null }, 10)).toBeNull();
  });

  it("bounds depth without recursion: 100,000 levels are checked, not overflowed", () => {
    let value: unknown = "bottom";
    for (let i = 0; i < 100_000; i++) value = [value];
    const problem = findUnstorable({ properties: value }, 64);
    expect(problem?.message).toBe("must not nest deeper than 64 levels");
    expect(problem?.path).toEqual(["properties"]);
    expect(findUnstorable({ a: { b: { c: 1 } } }, 3)).toBeNull();
    expect(findUnstorable({ a: { b: { c: {} } } }, 3)).not.toBeNull();
  });

  it("describes the problem with its dotted path", () => {
    expect(describeProblem({ path: ["properties", "title"], message: "bad" })).toBe("properties.title: bad");
    expect(describeProblem({ path: [], message: "bad" }, ["definition"])).toBe("definition: bad");
    expect(describeProblem({ path: [], message: "bad" })).toBe("bad");
  });
});
