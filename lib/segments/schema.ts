import { z } from "zod";
import { plainMessage } from "@/lib/messages";
import { BUCKETS } from "@/lib/profiles/bucket";
import { STORABLE, UNSTORABLE_MESSAGE, findUnstorable } from "@/lib/storable";
import { parseDate } from "@/lib/time";

/**
 * The segment definition: one tree, read by both the in-memory evaluator
 * (lib/segments/evaluate.ts) and the SQL compiler (server/segments/compile-sql.ts).
 * The meaning of every node is written down in docs/segment-definition.md; both paths
 * implement exactly that, and the parity suite proves they agree.
 */

export const SEGMENT_SCHEMA_VERSION = 1;

/** Limits that keep any definition cheap to evaluate and to compile. */
export const LIMITS = { depth: 8, nodes: 200, listValues: 500, stringLength: 500, amount: 100_000, count: 1_000_000 } as const;

const ZDate = z.string().max(40).refine((v) => parseDate(v) !== null, {
  message: "must be a date like 2026-11-25 or 2026-11-25T10:00:00Z (between 1970 and 2200)",
});

// ---------------------------------------------------------------------------------------
// Operators, a tagged union per value type: an operator that does not fit the type cannot
// be written down.

const storable = { message: UNSTORABLE_MESSAGE };
const ZString = z.string().max(LIMITS.stringLength).regex(STORABLE, storable);
const ZNumber = z.number().finite();
const ZAmount = z.number().int().min(1).max(LIMITS.amount);
export const TIME_UNITS = ["minutes", "hours", "days"] as const;
export const ZTimeUnit = z.enum(TIME_UNITS);
export const UNIT_MS: Record<TimeUnit, number> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

/**
 * `includeMissing` on an operator that speaks of an absence ("is not", "does not contain",
 * "is not between", "is empty"): people who have no value at all (missing or null) pass
 * too. Without it they fail, like every operator (docs/segment-definition.md).
 */
const includeMissing = { includeMissing: z.boolean().optional() };
/** `ignoreCase`: the letters A–Z match a–z; every other character must match exactly. */
const ignoreCase = { ignoreCase: z.boolean().optional() };
const ZStringList = z.array(ZString).min(1).max(LIMITS.listValues);

/** Whether an operator lets people without a value pass (`includeMissing`). */
export function includesMissing(operator: { op: string }): boolean {
  return "includeMissing" in operator && operator.includeMissing === true;
}

/** `ignoreCase` folding, the same in memory and in SQL: A–Z to a–z, nothing else. */
export function foldCase(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
const ZNumberList = z.array(ZNumber).min(1).max(LIMITS.listValues);

export const ZStringOperator = z.discriminatedUnion("op", [
  z.object({ op: z.enum(["equals", "contains", "startsWith", "endsWith"]), value: ZString, ...ignoreCase }),
  z.object({ op: z.enum(["notEquals", "notContains", "notStartsWith", "notEndsWith"]), value: ZString, ...ignoreCase, ...includeMissing }),
  z.object({ op: z.literal("in"), values: ZStringList, ...ignoreCase }),
  z.object({ op: z.literal("notIn"), values: ZStringList, ...ignoreCase, ...includeMissing }),
  z.object({ op: z.literal("isEmpty"), ...includeMissing }),
  z.object({ op: z.literal("isNotEmpty") }),
]);

export const ZNumberOperator = z.discriminatedUnion("op", [
  z.object({ op: z.enum(["equals", "gt", "gte", "lt", "lte"]), value: ZNumber }),
  z.object({ op: z.literal("notEquals"), value: ZNumber, ...includeMissing }),
  z.object({ op: z.literal("between"), min: ZNumber, max: ZNumber }),
  z.object({ op: z.literal("notBetween"), min: ZNumber, max: ZNumber, ...includeMissing }),
  z.object({ op: z.literal("in"), values: ZNumberList }),
  z.object({ op: z.literal("notIn"), values: ZNumberList, ...includeMissing }),
]);

export const ZBooleanOperator = z.object({ op: z.literal("equals"), value: z.boolean() });

export const ZDateOperator = z.discriminatedUnion("op", [
  z.object({ op: z.enum(["before", "after"]), value: ZDate }),
  z.object({ op: z.literal("between"), from: ZDate, to: ZDate }),
  z.object({ op: z.literal("notBetween"), from: ZDate, to: ZDate, ...includeMissing }),
  z.object({ op: z.enum(["withinLast", "moreThanAgo"]), amount: ZAmount, unit: ZTimeUnit }),
]);

const ZListValue = z.union([ZString, ZNumber]);
export const ZListOperator = z.discriminatedUnion("op", [
  z.object({ op: z.literal("contains"), value: ZListValue }),
  z.object({ op: z.literal("notContains"), value: ZListValue, ...includeMissing }),
  z.object({ op: z.enum(["containsAny", "containsAll"]), values: z.array(ZListValue).min(1).max(LIMITS.listValues) }),
  z.object({ op: z.literal("containsNone"), values: z.array(ZListValue).min(1).max(LIMITS.listValues), ...includeMissing }),
  z.object({ op: z.literal("isEmpty"), ...includeMissing }),
  z.object({ op: z.literal("isNotEmpty") }),
]);

export const VALUE_TYPES = ["string", "number", "boolean", "date", "list", "any"] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

/**
 * A typed comparison added to `base`: `valueType` picks the operators; `any` has only
 * `exists`/`notExists`, which fit any value.
 */
function withComparison<T extends z.ZodRawShape>(base: T) {
  return z.discriminatedUnion("valueType", [
    z.object({ ...base, valueType: z.literal("string"), operator: ZStringOperator }),
    z.object({ ...base, valueType: z.literal("number"), operator: ZNumberOperator }),
    z.object({ ...base, valueType: z.literal("boolean"), operator: ZBooleanOperator }),
    z.object({ ...base, valueType: z.literal("date"), operator: ZDateOperator }),
    z.object({ ...base, valueType: z.literal("list"), operator: ZListOperator }),
    z.object({ ...base, valueType: z.literal("any"), operator: z.object({ op: z.enum(["exists", "notExists"]) }) }),
  ]);
}

// ---------------------------------------------------------------------------------------
// Paths and fields.

/** `plan`, `address.city`, `answers.goal`: dot-separated keys of letters, digits, _ - $ and spaces. */
export const PATH_PATTERN = /^[A-Za-z0-9_$\- ]{1,64}(\.[A-Za-z0-9_$\- ]{1,64}){0,7}$/;
const ZPath = z.string().regex(PATH_PATTERN, { message: "must be keys separated by dots (letters, digits, _ - $ and spaces)" });

/** Profile columns a trait condition can read besides `traits.*`. */
export const BUILTIN_FIELDS = ["userId", "email", "phone", "timezone", "locale", "country"] as const;
export type BuiltinField = (typeof BUILTIN_FIELDS)[number];

/** `traits.<path>` or a built-in field. */
export const ZField = z.union([
  z.enum(BUILTIN_FIELDS),
  z.string().regex(/^traits\./, { message: "must be a built-in field or traits.<path>" }).refine((v) => PATH_PATTERN.test(v.slice(7)), {
    message: "must be traits. followed by keys separated by dots (letters, digits, _ - $ and spaces)",
  }),
]);

const ZNodeId = z.string().min(1).max(64).optional();

// ---------------------------------------------------------------------------------------
// Conditions.

export const ZTraitCondition = withComparison({ type: z.literal("trait"), id: ZNodeId, field: ZField });

export const ZPropertyFilter = withComparison({ path: ZPath });

export const ZWindow = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("ever") }),
  z.object({ kind: z.literal("last"), amount: ZAmount, unit: ZTimeUnit }),
  z.object({ kind: z.literal("between"), from: ZDate, to: ZDate }),
]);

export const ZEventCondition = z.object({
  type: z.literal("event"),
  id: ZNodeId,
  event: z.string().min(1).max(200).regex(STORABLE, storable),
  where: z.array(ZPropertyFilter).max(20).default([]),
  count: z.object({ op: z.enum(["gte", "lte", "eq"]), value: z.number().int().min(0).max(LIMITS.count) }),
  window: ZWindow,
});

export const ZSeenCondition = z.object({
  type: z.enum(["firstSeen", "lastSeen"]),
  id: ZNodeId,
  operator: ZDateOperator,
});

export const ZSegmentCondition = z.object({
  type: z.literal("segment"),
  id: ZNodeId,
  op: z.enum(["in", "notIn"]),
  segmentId: z.string().min(1).max(64),
});

export const ZBucketCondition = z.object({
  type: z.literal("bucket"),
  id: ZNodeId,
  from: z.number().int().min(0).max(BUCKETS - 1),
  to: z.number().int().min(0).max(BUCKETS - 1),
});

/**
 * Subscribed (or not) to a subscription group (lib/consent): the person's own answer, else
 * the group's default by its mode (opt-out: subscribed; opt-in: not). Nobody is subscribed
 * to a group that does not exist in the workspace.
 */
export const ZSubscriptionCondition = z.object({
  type: z.literal("subscription"),
  id: ZNodeId,
  op: z.enum(["subscribed", "unsubscribed"]),
  groupId: z.string().min(1).max(64),
});

export type TraitCondition = z.infer<typeof ZTraitCondition>;
export type PropertyFilter = z.infer<typeof ZPropertyFilter>;
export type EventCondition = z.infer<typeof ZEventCondition>;
export type SeenCondition = z.infer<typeof ZSeenCondition>;
export type SegmentCondition = z.infer<typeof ZSegmentCondition>;
export type BucketCondition = z.infer<typeof ZBucketCondition>;
export type SubscriptionCondition = z.infer<typeof ZSubscriptionCondition>;
export type Comparison = z.infer<typeof ZPropertyFilter>;
export type DateOperator = z.infer<typeof ZDateOperator>;
export type Window = z.infer<typeof ZWindow>;
export type TimeUnit = z.infer<typeof ZTimeUnit>;
export type Condition = TraitCondition | EventCondition | SeenCondition | SegmentCondition | BucketCondition | SubscriptionCondition;

export interface Group {
  type: "group";
  id?: string;
  op: "and" | "or";
  not?: boolean;
  children: SegmentNode[];
}
export type SegmentNode = Group | Condition;

export const ZGroup = z.object({
  type: z.literal("group"),
  id: ZNodeId,
  op: z.enum(["and", "or"]),
  not: z.boolean().optional(),
  get children(): z.ZodArray<typeof ZNode> {
    return z.array(ZNode).max(LIMITS.nodes);
  },
});

export const ZNode: z.ZodType<SegmentNode> = z.discriminatedUnion("type", [
  ZGroup,
  ZTraitCondition,
  ZEventCondition,
  ZSeenCondition,
  ZSegmentCondition,
  ZBucketCondition,
  ZSubscriptionCondition,
]) as z.ZodType<SegmentNode>;

export const ZSegmentDefinition = z.object({
  schemaVersion: z.literal(SEGMENT_SCHEMA_VERSION),
  root: ZGroup,
});
export type SegmentDefinition = z.infer<typeof ZSegmentDefinition>;

/** The definition of "everyone": an empty AND group. */
export function emptyDefinition(): SegmentDefinition {
  return { schemaVersion: SEGMENT_SCHEMA_VERSION, root: { type: "group", op: "and", children: [] } };
}

// ---------------------------------------------------------------------------------------
// Validation: the schema plus the rules a schema cannot say, each error with the path to
// the node (`root.children.1.window.from`) so the builder can mark it.

export interface ValidationError {
  path: (string | number)[];
  message: string;
}

export type ValidationResult = { ok: true; definition: SegmentDefinition } | { ok: false; errors: ValidationError[] };

/** Every node with its path, depth first (the root first). */
export function walk(root: Group, visit: (node: SegmentNode, path: (string | number)[], depth: number) => void) {
  const go = (node: SegmentNode, path: (string | number)[], depth: number) => {
    visit(node, path, depth);
    if (node.type === "group") node.children.forEach((child, i) => go(child, [...path, "children", i], depth + 1));
  };
  go(root, ["root"], 1);
}

function dateOperatorErrors(operator: DateOperator, path: (string | number)[]): ValidationError[] {
  if ((operator.op === "between" || operator.op === "notBetween") && parseDate(operator.from)! >= parseDate(operator.to)!) {
    return [{ path: [...path, "to"], message: "must be after the start date" }];
  }
  return [];
}

function comparisonErrors(c: { valueType: ValueType; operator: { op: string } }, path: (string | number)[]): ValidationError[] {
  const op = c.operator as Record<string, unknown> & { op: string };
  if (c.valueType === "number" && (op.op === "between" || op.op === "notBetween") && (op.min as number) > (op.max as number)) {
    return [{ path: [...path, "operator", "max"], message: "must be at least the minimum" }];
  }
  if (c.valueType === "date") return dateOperatorErrors(c.operator as DateOperator, [...path, "operator"]);
  return [];
}

/** A definition's JSON may nest this deep (groups 8 deep need about 22 levels) and be this big. */
export const MAX_DEFINITION_JSON_DEPTH = 32;
export const MAX_DEFINITION_BYTES = 256 * 1024;

/**
 * Depth and size, refused before anything recursive (zod, the walkers) sees the input,
 * with one short error: a definition nested 900 deep overflowed the stack, and 500 deep
 * made zod describe every level of it (megabytes of errors for a small request).
 */
function shapeErrors(input: unknown): ValidationError[] {
  const problem = findUnstorable(input, MAX_DEFINITION_JSON_DEPTH);
  if (problem?.kind === "too-deep") return [{ path: [], message: `a definition must not nest deeper than ${MAX_DEFINITION_JSON_DEPTH} levels of JSON` }];
  if (problem) return [{ path: problem.path, message: problem.message }];
  if (JSON.stringify(input ?? null).length > MAX_DEFINITION_BYTES) return [{ path: [], message: `a definition must be at most ${MAX_DEFINITION_BYTES / 1024} KB` }];
  return [];
}

export function validate(input: unknown): ValidationResult {
  const shape = shapeErrors(input);
  if (shape.length > 0) return { ok: false, errors: shape };
  const parsed = ZSegmentDefinition.safeParse(input);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: plainMessage(i) })) };
  }
  const definition = parsed.data;
  const errors: ValidationError[] = [];
  let nodes = 0;
  walk(definition.root, (node, path, depth) => {
    nodes += 1;
    if (depth > LIMITS.depth) errors.push({ path, message: `groups can nest at most ${LIMITS.depth} levels deep` });
    switch (node.type) {
      case "trait":
        errors.push(...comparisonErrors(node, path));
        break;
      case "event":
        node.where.forEach((f, i) => errors.push(...comparisonErrors(f, [...path, "where", i])));
        if (node.window.kind === "between" && parseDate(node.window.from)! >= parseDate(node.window.to)!) {
          errors.push({ path: [...path, "window", "to"], message: "must be after the start date" });
        }
        break;
      case "firstSeen":
      case "lastSeen":
        errors.push(...dateOperatorErrors(node.operator, [...path, "operator"]));
        break;
      case "bucket":
        if (node.from > node.to) errors.push({ path: [...path, "to"], message: "must be at least the first bucket" });
        break;
    }
  });
  if (nodes > LIMITS.nodes) errors.push({ path: ["root"], message: `a definition can have at most ${LIMITS.nodes} nodes` });
  return errors.length ? { ok: false, errors } : { ok: true, definition };
}

/** A stored definition, parsed with the same rules that validated it on the way in. */
export function parseStoredDefinition(value: unknown): SegmentDefinition {
  const result = validate(value);
  if (!result.ok) throw new Error(`stored segment definition is invalid: ${result.errors[0]?.message}`);
  return result.definition;
}

/** The segments a definition refers to (for cycle checks and dependents). */
export function referencedSegments(definition: SegmentDefinition): string[] {
  const ids = new Set<string>();
  walk(definition.root, (node) => {
    if (node.type === "segment") ids.add(node.segmentId);
  });
  return [...ids];
}

/** The subscription groups a definition refers to (a group in use cannot be deleted). */
export function referencedGroups(definition: SegmentDefinition): string[] {
  const ids = new Set<string>();
  walk(definition.root, (node) => {
    if (node.type === "subscription") ids.add(node.groupId);
  });
  return [...ids];
}

/** "root.children.1.window.to" */
export function formatPath(path: (string | number)[]): string {
  return path.join(".");
}

/**
 * A definition as API input: the full validate() — schema and the rules beyond it — with
 * every error at its path (`definition.root.children.1.window.to` in tRPC field errors).
 */
export const ZValidDefinition = z.unknown().transform((value, ctx): SegmentDefinition => {
  const result = validate(value);
  if (result.ok) return result.definition;
  for (const error of result.errors) ctx.addIssue({ code: "custom", path: error.path, message: error.message });
  return z.NEVER;
});
