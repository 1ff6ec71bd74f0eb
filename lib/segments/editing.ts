import {
  SEGMENT_SCHEMA_VERSION,
  validate,
  walk,
  type Condition,
  type Group,
  type SegmentDefinition,
  type SegmentNode,
  type ValidationError,
  type ValueType,
  type Window,
} from "./schema";

/**
 * Editing a segment definition in the builder: immutable tree operations addressed by
 * child indices, new conditions with sensible defaults, the operators each value type
 * offers, and the checks a draft must pass before it can be previewed or saved.
 */

/** Indices from the root to a node: [] is the root, [1, 0] the first child of the root's second child. */
export type NodePath = number[];

export type ConditionKind = Condition["type"];

let counter = 0;
/** A node id for React keys and per-condition counts; unique within a page session. */
export function newNodeId(): string {
  counter += 1;
  return `n${Date.now().toString(36)}${counter.toString(36)}`;
}

export function newGroup(op: "and" | "or" = "and"): Group {
  return { type: "group", id: newNodeId(), op, children: [] };
}

export function newCondition(kind: ConditionKind): Condition {
  const id = newNodeId();
  switch (kind) {
    case "trait":
      return { type: "trait", id, field: "country", valueType: "string", operator: { op: "equals", value: "" } };
    case "event":
      return { type: "event", id, event: "", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 30, unit: "days" } };
    case "firstSeen":
    case "lastSeen":
      return { type: kind, id, operator: { op: "withinLast", amount: 7, unit: "days" } };
    case "segment":
      return { type: "segment", id, op: "in", segmentId: "" };
    case "bucket":
      return { type: "bucket", id, from: 0, to: 999 };
    case "subscription":
      return { type: "subscription", id, op: "subscribed", groupId: "" };
  }
}

export function emptyDraft(): SegmentDefinition {
  return { schemaVersion: SEGMENT_SCHEMA_VERSION, root: { ...newGroup("and") } };
}

/** Gives every node an id (definitions saved by the API may have none). */
export function withIds(definition: SegmentDefinition): SegmentDefinition {
  const give = (node: SegmentNode): SegmentNode => {
    const id = node.id ?? newNodeId();
    return node.type === "group" ? { ...node, id, children: node.children.map(give) } : { ...node, id };
  };
  return { ...definition, root: give(definition.root) as Group };
}

export function nodeAt(definition: SegmentDefinition, path: NodePath): SegmentNode {
  let node: SegmentNode = definition.root;
  for (const i of path) {
    if (node.type !== "group" || !node.children[i]) throw new RangeError(`no node at ${path.join(".")}`);
    node = node.children[i]!;
  }
  return node;
}

/** Replaces the node at `path` with `update(node)`. */
export function updateAt(definition: SegmentDefinition, path: NodePath, update: (node: SegmentNode) => SegmentNode): SegmentDefinition {
  const go = (node: SegmentNode, rest: NodePath): SegmentNode => {
    if (rest.length === 0) return update(node);
    if (node.type !== "group" || !node.children[rest[0]!]) throw new RangeError("no node at that path");
    const [i, ...tail] = rest as [number, ...number[]];
    return { ...node, children: node.children.map((child, k) => (k === i ? go(child, tail) : child)) };
  };
  return { ...definition, root: go(definition.root, path) as Group };
}

/** Adds `node` to the group at `groupPath`, at `index` (default: the end). */
export function insertAt(definition: SegmentDefinition, groupPath: NodePath, node: SegmentNode, index?: number): SegmentDefinition {
  return updateAt(definition, groupPath, (group) => {
    if (group.type !== "group") throw new RangeError("can only add to a group");
    const children = [...group.children];
    children.splice(index ?? children.length, 0, node);
    return { ...group, children };
  });
}

export function removeAt(definition: SegmentDefinition, path: NodePath): SegmentDefinition {
  if (path.length === 0) throw new RangeError("the root cannot be removed");
  const parent = path.slice(0, -1);
  const index = path[path.length - 1]!;
  return updateAt(definition, parent, (group) => (group.type === "group" ? { ...group, children: group.children.filter((_, k) => k !== index) } : group));
}

/**
 * Moves the node at `from` to position `to` within the same group (drag to reorder,
 * move up/down). Order never changes the meaning; it is how the marketer reads it.
 */
export function moveWithin(definition: SegmentDefinition, from: NodePath, to: number): SegmentDefinition {
  if (from.length === 0) return definition;
  const parent = from.slice(0, -1);
  const index = from[from.length - 1]!;
  return updateAt(definition, parent, (group) => {
    if (group.type !== "group") return group;
    const target = Math.max(0, Math.min(group.children.length - 1, to));
    if (target === index) return group;
    const children = [...group.children];
    const [moved] = children.splice(index, 1);
    children.splice(target, 0, moved!);
    return { ...group, children };
  });
}

// ---------------------------------------------------------------------------------------
// Operators per value type, as the builder offers them.

/** What an operator compares with: the inputs the editor shows. */
export type Operand = "value" | "values" | "range" | "dates" | "relative" | "none";

export interface OperatorChoice {
  op: string;
  label: string;
  operand: Operand;
  /**
   * `ignoreCase`: the operator can compare letters A–Z without case. `includeMissing`: it
   * speaks of an absence, so people without a value may be counted in or left out.
   */
  flags?: readonly ("ignoreCase" | "includeMissing")[];
}

const CASE = ["ignoreCase"] as const;
const CASE_MISSING = ["ignoreCase", "includeMissing"] as const;
const MISSING = ["includeMissing"] as const;

export const OPERATORS: Record<ValueType, OperatorChoice[]> = {
  string: [
    { op: "equals", label: "is", operand: "value", flags: CASE },
    { op: "notEquals", label: "is not", operand: "value", flags: CASE_MISSING },
    { op: "in", label: "is one of", operand: "values", flags: CASE },
    { op: "notIn", label: "is none of", operand: "values", flags: CASE_MISSING },
    { op: "contains", label: "contains", operand: "value", flags: CASE },
    { op: "notContains", label: "does not contain", operand: "value", flags: CASE_MISSING },
    { op: "startsWith", label: "starts with", operand: "value", flags: CASE },
    { op: "notStartsWith", label: "does not start with", operand: "value", flags: CASE_MISSING },
    { op: "endsWith", label: "ends with", operand: "value", flags: CASE },
    { op: "notEndsWith", label: "does not end with", operand: "value", flags: CASE_MISSING },
    { op: "isEmpty", label: "is empty", operand: "none", flags: MISSING },
    { op: "isNotEmpty", label: "is not empty", operand: "none" },
  ],
  number: [
    { op: "equals", label: "=", operand: "value" },
    { op: "notEquals", label: "≠", operand: "value", flags: MISSING },
    { op: "gt", label: ">", operand: "value" },
    { op: "gte", label: "≥", operand: "value" },
    { op: "lt", label: "<", operand: "value" },
    { op: "lte", label: "≤", operand: "value" },
    { op: "between", label: "between", operand: "range" },
    { op: "notBetween", label: "not between", operand: "range", flags: MISSING },
    { op: "in", label: "is one of", operand: "values" },
    { op: "notIn", label: "is none of", operand: "values", flags: MISSING },
  ],
  boolean: [{ op: "equals", label: "is", operand: "value" }],
  date: [
    { op: "withinLast", label: "within the last", operand: "relative" },
    { op: "moreThanAgo", label: "more than … ago", operand: "relative" },
    { op: "before", label: "before", operand: "value" },
    { op: "after", label: "after", operand: "value" },
    { op: "between", label: "between", operand: "dates" },
    { op: "notBetween", label: "not between", operand: "dates", flags: MISSING },
  ],
  list: [
    { op: "contains", label: "contains", operand: "value" },
    { op: "notContains", label: "does not contain", operand: "value", flags: MISSING },
    { op: "containsAny", label: "contains any of", operand: "values" },
    { op: "containsAll", label: "contains all of", operand: "values" },
    { op: "containsNone", label: "contains none of", operand: "values", flags: MISSING },
    { op: "isEmpty", label: "is empty", operand: "none", flags: MISSING },
    { op: "isNotEmpty", label: "is not empty", operand: "none" },
  ],
  any: [
    { op: "exists", label: "has a value", operand: "none" },
    { op: "notExists", label: "has no value", operand: "none" },
  ],
};

/** Whether `flag` can be set on operator `op` of `valueType`. */
export function allowsFlag(valueType: ValueType, op: string, flag: "ignoreCase" | "includeMissing"): boolean {
  return OPERATORS[valueType].find((o) => o.op === op)?.flags?.includes(flag) ?? false;
}

export const VALUE_TYPE_LABELS: Record<ValueType, string> = {
  string: "text",
  number: "number",
  boolean: "yes/no",
  date: "date",
  list: "list",
  any: "any value",
};

export function operandOf(valueType: ValueType, op: string): Operand {
  return OPERATORS[valueType].find((o) => o.op === op)?.operand ?? "none";
}

type AnyOperator = { op: string } & Record<string, unknown>;

/**
 * The operator after choosing `op` (and maybe a new value type): keeps what the marketer
 * typed when the new operator takes the same kind of operand, starts empty otherwise.
 */
export function changeOperator(previous: AnyOperator | undefined, valueType: ValueType, op: string): AnyOperator {
  const operand = operandOf(valueType, op);
  const before = previous ? (OPERATORS[valueType].some((o) => o.op === previous.op) ? operandOf(valueType, previous.op) : undefined) : undefined;
  if (previous && before === operand) {
    // The operand stays; flags only where the new operator has them.
    const next: AnyOperator = { ...previous, op };
    for (const flag of ["ignoreCase", "includeMissing"] as const) if (!allowsFlag(valueType, op, flag)) delete next[flag];
    return next;
  }
  switch (operand) {
    case "value":
      return { op, value: valueType === "boolean" ? true : valueType === "number" ? Number.NaN : "" };
    case "values":
      return { op, values: [] };
    case "range":
      return { op, min: Number.NaN, max: Number.NaN };
    case "dates":
      return { op, from: "", to: "" };
    case "relative":
      return { op, amount: 7, unit: "days" };
    case "none":
      return { op };
  }
}

/** A new value type's first operator, empty: what a condition starts with after its type changes. */
export function defaultOperator(valueType: ValueType): AnyOperator {
  return changeOperator(undefined, valueType, OPERATORS[valueType][0]!.op);
}

// ---------------------------------------------------------------------------------------
// Checking a draft.

/** What checkDraft says of a condition not filled in yet (as opposed to one filled in wrongly). */
const UNFINISHED = { required: "is required", values: "add at least one value", segment: "choose a segment", group: "choose a subscription group" } as const;

/** Whether an error only says the condition is not finished yet (the builder does not shout about those while typing). */
export function isUnfinished(error: { message: string }): boolean {
  return (Object.values(UNFINISHED) as string[]).includes(error.message);
}

export type DraftCheck = { ok: true; definition: SegmentDefinition } | { ok: false; errors: ValidationError[] };

/**
 * validate() plus the builder's own rule: a value left empty is an unfinished condition,
 * not a comparison with the empty string. (The API accepts `""`; the builder never sends
 * it by accident.) NaN numbers (an emptied number input) are reported as required too.
 */
export function checkDraft(draft: SegmentDefinition): DraftCheck {
  const errors: ValidationError[] = [];
  const required = (path: (string | number)[]) => errors.push({ path, message: UNFINISHED.required });
  const operands = (op: AnyOperator, path: (string | number)[]) => {
    if ("value" in op && ((typeof op.value === "string" && op.value.trim() === "") || (typeof op.value === "number" && Number.isNaN(op.value)))) required([...path, "value"]);
    if ("values" in op && Array.isArray(op.values) && op.values.length === 0) errors.push({ path: [...path, "values"], message: UNFINISHED.values });
    for (const key of ["min", "max", "from", "to"] as const) {
      if (key in op && (op[key] === "" || (typeof op[key] === "number" && Number.isNaN(op[key])))) required([...path, key]);
    }
  };
  walk(draft.root, (node, path) => {
    switch (node.type) {
      case "trait":
        operands(node.operator as AnyOperator, [...path, "operator"]);
        break;
      case "event":
        if (node.event.trim() === "") required([...path, "event"]);
        node.where.forEach((f, i) => {
          if (f.path.trim() === "") required([...path, "where", i, "path"]);
          operands(f.operator as AnyOperator, [...path, "where", i, "operator"]);
        });
        if (Number.isNaN(node.count.value)) required([...path, "count", "value"]);
        if (node.window.kind === "between") {
          if (node.window.from === "") required([...path, "window", "from"]);
          if (node.window.to === "") required([...path, "window", "to"]);
        }
        break;
      case "firstSeen":
      case "lastSeen":
        operands(node.operator as AnyOperator, [...path, "operator"]);
        break;
      case "segment":
        if (node.segmentId === "") errors.push({ path: [...path, "segmentId"], message: UNFINISHED.segment });
        break;
      case "subscription":
        if (node.groupId === "") errors.push({ path: [...path, "groupId"], message: UNFINISHED.group });
        break;
    }
  });
  if (errors.length) return { ok: false, errors };
  return validate(draft);
}

/** The NodePath of a validation error's path (`["root", "children", 1, "window", "to"]` → [1]), and the rest. */
export function splitErrorPath(path: (string | number)[]): { node: NodePath; field: string } {
  const node: NodePath = [];
  let i = path[0] === "root" ? 1 : 0;
  while (path[i] === "children" && typeof path[i + 1] === "number") {
    node.push(path[i + 1] as number);
    i += 2;
  }
  return { node, field: path.slice(i).join(".") };
}

/**
 * What can be counted while some conditions are unfinished or wrong: the draft without every
 * node that has an error (a group left empty by that goes too). `kept[i]` is the index in
 * the draft of the result's i-th top-level condition, so per-condition counts land on the
 * right rows; `leftOut` holds the node keys ("1.0") left out. Null when nothing countable
 * is left, or the rest is still not a valid definition.
 */
export function finishedPart(draft: SegmentDefinition, errors: ValidationError[]): { definition: SegmentDefinition; kept: number[]; leftOut: Set<string> } | null {
  const bad = new Set(errors.map((e) => splitErrorPath(e.path).node.join(".")));
  if (bad.has("")) return null;
  const leftOut = new Set<string>();
  const prune = (node: SegmentNode, path: number[]): SegmentNode | null => {
    const key = path.join(".");
    if (bad.has(key)) {
      leftOut.add(key);
      return null;
    }
    if (node.type !== "group") return node;
    const children = node.children.flatMap((child, i) => prune(child, [...path, i]) ?? []);
    if (children.length === 0 && node.children.length > 0) {
      leftOut.add(key);
      return null;
    }
    return { ...node, children };
  };
  const kept: number[] = [];
  const children: SegmentNode[] = [];
  draft.root.children.forEach((child, i) => {
    const pruned = prune(child, [i]);
    if (pruned) {
      kept.push(i);
      children.push(pruned);
    }
  });
  if (children.length === 0) return null;
  const check = checkDraft({ ...draft, root: { ...draft.root, children } });
  return check.ok ? { definition: check.definition, kept, leftOut } : null;
}

/** Errors by node (`"1.0"`, `""` for the root), each with the field it is about. */
export function errorsByNode(errors: ValidationError[]): Map<string, { field: string; message: string }[]> {
  const out = new Map<string, { field: string; message: string }[]>();
  for (const e of errors) {
    const { node, field } = splitErrorPath(e.path);
    const key = node.join(".");
    out.set(key, [...(out.get(key) ?? []), { field, message: e.message }]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Words: a condition as a sentence fragment ("purchase at least 3 times in the last 30 days"),
// for explanations ("why this profile matches") and summaries.

function operandText(op: AnyOperator): string {
  if ("values" in op && Array.isArray(op.values)) return op.values.map(String).join(", ");
  if ((op.op === "between" || op.op === "notBetween") && "min" in op) return `${String(op.min)} and ${String(op.max)}`;
  if ((op.op === "between" || op.op === "notBetween") && "from" in op) return `${String(op.from)} and ${String(op.to)}`;
  if ("amount" in op) return `${String(op.amount)} ${String(op.unit)}`;
  if ("value" in op) return typeof op.value === "string" ? `“${op.value}”` : String(op.value);
  return "";
}

function comparisonText(valueType: ValueType, operator: { op: string }): string {
  const op = operator as AnyOperator;
  const label = OPERATORS[valueType].find((o) => o.op === op.op)?.label ?? op.op;
  const operand = operandText(op);
  const text = op.op === "moreThanAgo" ? `more than ${operand} ago` : operand ? `${label} ${operand}` : label;
  const cased = op.ignoreCase === true ? `${text} (any case)` : text;
  return `${cased}${missingText(valueType, op)}`;
}

/**
 * What happens to people without a value, in words, for operators where it is a choice
 * (negations, "is empty"): ", or has no value" when they are counted in, ", among those
 * with a value" when they are left out. Empty for every other operator.
 */
export function missingText(valueType: ValueType, operator: { op: string }): string {
  if (!allowsFlag(valueType, operator.op, "includeMissing")) return "";
  return (operator as AnyOperator).includeMissing === true ? ", or has no value" : ", among those with a value";
}

function windowText(window: Window): string {
  if (window.kind === "ever") return "ever";
  if (window.kind === "last") return `in the last ${window.amount} ${window.amount === 1 ? window.unit.replace(/s$/, "") : window.unit}`;
  return `between ${window.from} and ${window.to}`;
}

export function describeNode(node: SegmentNode, segmentName: (id: string) => string = (id) => id, groupName: (id: string) => string = (id) => id): string {
  switch (node.type) {
    case "group":
      return `${node.not ? "not " : ""}${node.op === "and" ? "all" : "any"} of ${node.children.length} condition${node.children.length === 1 ? "" : "s"}`;
    case "trait":
      return `${node.field.replace(/^traits\./, "")} ${comparisonText(node.valueType, node.operator)}`;
    case "event": {
      const { op, value } = node.count;
      const how = op === "eq" && value === 0 ? "not at all" : `${op === "gte" ? "at least" : op === "lte" ? "at most" : "exactly"} ${value} time${value === 1 ? "" : "s"}`;
      const where = node.where.map((f) => ` where ${f.path} ${comparisonText(f.valueType, f.operator)}`).join(",");
      return `${node.event}${where} ${how} ${windowText(node.window)}`;
    }
    case "firstSeen":
    case "lastSeen":
      return `${node.type === "firstSeen" ? "first" : "last"} seen ${comparisonText("date", node.operator)}`;
    case "segment":
      return `${node.op === "in" ? "in" : "not in"} segment “${segmentName(node.segmentId)}”`;
    case "bucket":
      return `random bucket ${node.from}–${node.to}`;
    case "subscription":
      return `${node.op === "subscribed" ? "subscribed" : "not subscribed"} to “${groupName(node.groupId)}”`;
  }
}

/** A short, stable key of a definition (FNV-1a of its JSON): which definition a shown number belongs to. */
export function definitionKey(definition: SegmentDefinition): string {
  const text = JSON.stringify(definition);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}
