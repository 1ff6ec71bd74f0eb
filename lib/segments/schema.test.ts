import { describe, expect, it } from "vitest";
import { MAX_DEFINITION_BYTES, validate } from "./schema";

function nested(levels: number): unknown {
  let node: unknown = { type: "group", op: "and", children: [] };
  for (let i = 1; i < levels; i++) node = { type: "group", op: "and", children: [node] };
  return { schemaVersion: 1, root: node };
}

describe("validate: depth and size before anything recursive", () => {
  it("refuses a definition nested 10,000 deep with one short error (no stack overflow)", () => {
    const result = validate(nested(10_000));
    expect(result).toEqual({ ok: false, errors: [{ path: [], message: "a definition must not nest deeper than 32 levels of JSON" }] });
  });

  it("groups nested 8 deep are fine; 9 deep name the too-deep node", () => {
    expect(validate(nested(8)).ok).toBe(true);
    const result = validate(nested(9));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toHaveLength(1);
  });

  it("refuses a definition over the size limit, and NUL or broken Unicode with its path", () => {
    const values = Array.from({ length: 500 }, () => "x".repeat(500));
    const condition = { type: "trait", field: "country", valueType: "string", operator: { op: "in", values } };
    const big = { schemaVersion: 1, root: { type: "group", op: "and", children: [condition, condition] } };
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_DEFINITION_BYTES);
    expect(validate(big)).toEqual({ ok: false, errors: [{ path: [], message: "a definition must be at most 256 KB" }] });
    const bad = { schemaVersion: 1, root: { type: "group", op: "and", children: [{ ...condition, operator: { op: "equals", value: "a\u0000" } }] } };
    expect(validate(bad)).toMatchObject({ ok: false, errors: [{ path: ["root", "children", 0, "operator", "value"] }] });
  });
});
