import { describe, expect, it } from "vitest";
import { canonicalJson, parseJsonObject } from "./json";

describe("json", () => {
  it("gives equal values equal text, whatever the key order", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3] } })).toBe(canonicalJson({ a: { c: [3], d: 2 }, b: 1 }));
  });

  it("reads a typed JSON object, empty as {}, and says what is wrong otherwise", () => {
    expect(parseJsonObject(' { "plan": "pro" } ', "Traits")).toEqual({ value: { plan: "pro" }, error: null });
    expect(parseJsonObject("  ", "Traits")).toEqual({ value: {}, error: null });
    expect(parseJsonObject("[1]", "Traits")).toEqual({ value: null, error: 'Traits must be a JSON object: { "key": "value" }' });
    expect(parseJsonObject("{ plan", "Properties").error).toMatch(/^Not valid JSON: /);
  });
});
