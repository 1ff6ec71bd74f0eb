import { describe, expect, it } from "vitest";
import {
  finishedPart,
  allowsFlag,
  changeOperator,
  checkDraft,
  describeNode,
  emptyDraft,
  errorsByNode,
  insertAt,
  moveWithin,
  newCondition,
  newGroup,
  nodeAt,
  OPERATORS,
  removeAt,
  splitErrorPath,
  updateAt,
  withIds,
  type ConditionKind,
} from "./editing";
import { validate, VALUE_TYPES, type SegmentDefinition } from "./schema";

const KINDS: ConditionKind[] = ["trait", "event", "firstSeen", "lastSeen", "segment", "bucket", "subscription"];

function filled(): SegmentDefinition {
  let d = emptyDraft();
  d = insertAt(d, [], { type: "trait", id: "a", field: "country", valueType: "string", operator: { op: "equals", value: "DE" } });
  d = insertAt(d, [], { ...newGroup("or"), id: "g" });
  d = insertAt(d, [1], { type: "trait", id: "b", field: "traits.plan", valueType: "string", operator: { op: "equals", value: "pro" } });
  d = insertAt(d, [1], { type: "bucket", id: "c", from: 0, to: 99 });
  return d;
}

describe("tree edits", () => {
  it("insert, update, remove and move by child indices, leaving the input untouched", () => {
    const d = filled();
    const before = JSON.stringify(d);
    expect(nodeAt(d, [1, 1]).id).toBe("c");
    const moved = moveWithin(d, [1, 1], 0);
    expect((nodeAt(moved, [1]) as { children: { id: string }[] }).children.map((c) => c.id)).toEqual(["c", "b"]);
    const removed = removeAt(d, [0]);
    expect(removed.root.children.map((c) => c.id)).toEqual(["g"]);
    const negated = updateAt(d, [1], (g) => ({ ...g, not: true }));
    expect(nodeAt(negated, [1])).toMatchObject({ not: true });
    expect(JSON.stringify(d)).toBe(before);
    expect(() => removeAt(d, [])).toThrow();
    expect(() => nodeAt(d, [5])).toThrow();
  });

  it("gives every node an id and keeps existing ones", () => {
    const d = withIds({ schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "bucket", from: 0, to: 1 }, { type: "bucket", id: "keep", from: 0, to: 1 }] } });
    expect(d.root.id).toBeTruthy();
    expect(d.root.children[0]!.id).toBeTruthy();
    expect(d.root.children[1]!.id).toBe("keep");
  });
});

describe("new conditions and operators", () => {
  it("every kind starts as a valid shape; those needing input are unfinished until filled", () => {
    for (const kind of KINDS) {
      const d = insertAt(emptyDraft(), [], newCondition(kind));
      const check = checkDraft(d);
      if (kind === "trait" || kind === "event" || kind === "segment" || kind === "subscription") expect(check.ok, kind).toBe(false);
      else expect(check, kind).toMatchObject({ ok: true });
    }
  });

  it("offers only operators of the value type, and every one of them validates once filled", () => {
    for (const valueType of VALUE_TYPES) {
      for (const { op, operand } of OPERATORS[valueType]) {
        const operator = changeOperator(undefined, valueType, op);
        const fill: Record<string, unknown> = {
          value: { string: "x", number: 3, boolean: true, date: "2026-01-01", list: "x", any: "x" }[valueType],
          values: valueType === "number" ? [3] : ["x"],
          min: 1,
          max: 2,
          from: "2026-01-01",
          to: "2026-02-01",
        };
        for (const key of Object.keys(operator)) if (key !== "op" && key in fill && operand !== "relative") operator[key] = fill[key];
        const d: SegmentDefinition = { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.x", valueType, operator } as never] } };
        expect(validate(d).ok, `${valueType} ${op}`).toBe(true);
      }
    }
  });

  it("offers ignoring case and counting in people without a value only where the schema has them, and says so in words", () => {
    for (const valueType of VALUE_TYPES) {
      for (const { op, operand } of OPERATORS[valueType]) {
        for (const flag of ["ignoreCase", "includeMissing"] as const) {
          if (!allowsFlag(valueType, op, flag)) continue;
          const operator: Record<string, unknown> = { ...changeOperator(undefined, valueType, op), [flag]: true };
          if (operand === "value") operator.value = valueType === "number" ? 3 : valueType === "date" ? "2026-01-01" : "x";
          if (operand === "values") operator.values = valueType === "number" ? [3] : ["x"];
          if (operand === "range") Object.assign(operator, { min: 1, max: 2 });
          if (operand === "dates") Object.assign(operator, { from: "2026-01-01", to: "2026-02-01" });
          const d: SegmentDefinition = { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.x", valueType, operator } as never] } };
          const checked = validate(d);
          expect(checked.ok && (checked.definition.root.children[0] as { operator: Record<string, unknown> }).operator[flag], `${valueType} ${op} ${flag}`).toBe(true);
        }
      }
    }
    const plan = (operator: Record<string, unknown>) => describeNode({ type: "trait", field: "traits.plan", valueType: "string", operator } as never);
    expect(plan({ op: "notEquals", value: "pro" })).toBe("plan is not “pro”, among those with a value");
    expect(plan({ op: "notEquals", value: "pro", includeMissing: true })).toBe("plan is not “pro”, or has no value");
    expect(plan({ op: "equals", value: "Pro", ignoreCase: true })).toBe("plan is “Pro” (any case)");
    expect(plan({ op: "equals", value: "pro" })).toBe("plan is “pro”");
  });

  it("drops a flag the new operator does not have", () => {
    expect(changeOperator({ op: "notEquals", value: "DE", includeMissing: true, ignoreCase: true }, "string", "equals")).toEqual({ op: "equals", value: "DE", ignoreCase: true });
  });

  it("keeps the typed value when the new operator takes the same operand", () => {
    expect(changeOperator({ op: "equals", value: "DE" }, "string", "notEquals")).toEqual({ op: "notEquals", value: "DE" });
    expect(changeOperator({ op: "equals", value: "DE" }, "string", "in")).toEqual({ op: "in", values: [] });
    expect(changeOperator({ op: "gt", value: 5 }, "number", "between")).toMatchObject({ op: "between" });
  });
});

describe("checking a draft", () => {
  it("marks empty values on their node, and passes a finished draft through validate()", () => {
    let d = insertAt(emptyDraft(), [], newCondition("trait"));
    d = insertAt(d, [], newCondition("event"));
    const check = checkDraft(d);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    const byNode = errorsByNode(check.errors);
    expect(byNode.get("0")).toEqual([{ field: "operator.value", message: "is required" }]);
    expect(byNode.get("1")).toEqual([{ field: "event", message: "is required" }]);
    d = updateAt(d, [0], (n) => ({ ...n, operator: { op: "equals", value: "DE" } }) as never);
    d = updateAt(d, [1], (n) => ({ ...n, event: "purchase" }) as never);
    expect(checkDraft(d).ok).toBe(true);
    // Beyond empty values, validate()'s rules apply (a window that ends before it starts).
    d = updateAt(d, [1], (n) => ({ ...n, window: { kind: "between", from: "2026-02-01", to: "2026-01-01" } }) as never);
    const late = checkDraft(d);
    expect(late.ok ? [] : late.errors.map((e) => e.path.join("."))).toEqual(["root.children.1.window.to"]);
  });

  it("splits error paths into the node and the field", () => {
    expect(splitErrorPath(["root", "children", 1, "children", 0, "operator", "value"])).toEqual({ node: [1, 0], field: "operator.value" });
    expect(splitErrorPath(["root"])).toEqual({ node: [], field: "" });
  });
});

describe("starter segments", () => {
  it("are valid definitions", async () => {
    const { STARTER_SEGMENTS } = await import("./starters");
    expect(STARTER_SEGMENTS).toHaveLength(3);
    for (const s of STARTER_SEGMENTS) expect(checkDraft(withIds(s.definition)), s.name).toMatchObject({ ok: true });
  });
});

describe("describeNode", () => {
  it("says each condition in words", async () => {
    const { describeNode } = await import("./editing");
    const { REFERENCE_DEFINITIONS } = await import("@/bench/segments/reference");
    const [trait, bought, quiet] = [
      { type: "trait", field: "country", valueType: "string", operator: { op: "equals", value: "DE" } },
      { type: "event", event: "purchase", where: [{ path: "amount", valueType: "number", operator: { op: "gt", value: 150 } }], count: { op: "gte", value: 3 }, window: { kind: "last", amount: 30, unit: "days" } },
      { type: "event", event: "app_open", where: [], count: { op: "eq", value: 0 }, window: { kind: "last", amount: 1, unit: "days" } },
    ] as const;
    expect(describeNode(trait as never)).toBe("country is “DE”");
    expect(describeNode(bought as never)).toBe("purchase where amount > 150 at least 3 times in the last 30 days");
    expect(describeNode(quiet as never)).toBe("app_open not at all in the last 1 day");
    expect(describeNode({ type: "lastSeen", operator: { op: "moreThanAgo", amount: 7, unit: "days" } })).toBe("last seen more than 7 days ago");
    expect(describeNode({ type: "segment", op: "notIn", segmentId: "s1" }, () => "Buyers")).toBe("not in segment “Buyers”");
    expect(describeNode({ type: "subscription", op: "unsubscribed", groupId: "g1" }, undefined, () => "Product news")).toBe("not subscribed to “Product news”");
    expect(describeNode({ type: "subscription", op: "subscribed", groupId: "g1" })).toBe("subscribed to “g1”");
    // Every reference definition's nodes have words.
    for (const { definition } of REFERENCE_DEFINITIONS) for (const child of definition.root.children) expect(describeNode(child).length).toBeGreaterThan(3);
  });
});

describe("finishedPart: counting what is finished while a condition is not", () => {
  const trait = (value: string) => ({ type: "trait" as const, field: "country", valueType: "string" as const, operator: { op: "equals" as const, value } });
  const draft = (children: SegmentDefinition["root"]["children"]): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children } });

  it("leaves out the unfinished condition and says where the others came from", () => {
    const d = draft([trait("DE"), trait(""), trait("FR")]);
    const check = checkDraft(d);
    expect(check.ok).toBe(false);
    const part = finishedPart(d, check.ok ? [] : check.errors)!;
    expect(part.definition.root.children).toEqual([trait("DE"), trait("FR")]);
    expect(part.kept).toEqual([0, 2]);
    expect([...part.leftOut]).toEqual(["1"]);
  });

  it("drops a group its unfinished conditions emptied, keeps one that still has finished ones", () => {
    const d = draft([
      { type: "group", op: "or", children: [trait("")] },
      { type: "group", op: "or", children: [trait("AT"), trait("")] },
    ]);
    const check = checkDraft(d);
    const part = finishedPart(d, check.ok ? [] : check.errors)!;
    expect(part.kept).toEqual([1]);
    expect(part.definition.root.children).toEqual([{ type: "group", op: "or", children: [trait("AT")] }]);
    expect([...part.leftOut].sort()).toEqual(["0", "0.0", "1.1"]);
  });

  it("gives nothing to count when every condition is unfinished", () => {
    const d = draft([trait(""), trait("  ")]);
    const check = checkDraft(d);
    expect(finishedPart(d, check.ok ? [] : check.errors)).toBeNull();
  });
});
