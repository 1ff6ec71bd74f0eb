import { parseDate } from "@/lib/time";
import {
  UNIT_MS,
  foldCase,
  formatPath,
  includesMissing,
  validate,
  type BucketCondition,
  type DateOperator,
  type EventCondition,
  type Group,
  type PropertyFilter,
  type SeenCondition,
  type SegmentCondition,
  type SegmentDefinition,
  type SegmentNode,
  type SubscriptionCondition,
  type TimeUnit,
  type TraitCondition,
  type Window,
} from "@/lib/segments/schema";
import { dataVersionSql } from "@/server/workspaces/data-version";

/**
 * The segment definition compiled to Postgres: one boolean expression per node over the
 * alias `p` (= profiles), wrapped into the few queries the app needs. The meaning of every
 * node is docs/segment-definition.md; the in-memory evaluator (lib/segments/evaluate.ts)
 * implements the same page and the parity suite holds the two together.
 *
 * Rules this file keeps:
 * - Nothing from the definition is ever written into the SQL text: every value, path and
 *   name is a numbered parameter with an explicit cast. The text only holds constants of
 *   this file.
 * - Every node's expression is two-valued (true or false, never NULL), so `NOT` and `OR`
 *   behave like they do in memory.
 * - Nothing a profile or an event holds can make a query fail: casts happen only inside a
 *   `CASE` branch that has checked the JSON type (`AND` does not fix the evaluation order,
 *   `CASE` does), and number conversions cannot overflow.
 *
 * Pure functions: they return SQL and parameters, and do no I/O.
 */

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

export interface CompileOptions {
  workspaceId: string;
  /** The evaluation time; nothing here reads the clock. */
  now: Date;
}

/**
 * Event conditions can be compiled two ways; both give the same answers:
 * - "aggregate": one GROUP BY profile_id subquery per event condition, LEFT JOINed to
 *   profiles (fast for counting everyone, uses the (workspace_id, name, timestamp) index);
 * - "correlated": a count per profile that stops as soon as the answer is known, using the
 *   (profile_id, timestamp) index (fast for a sample or a page of profiles).
 */
export type EventStrategy = "aggregate" | "correlated";

/** A row of `membersQuery`. */
export interface MemberRow {
  id: string;
  user_id: string | null;
  email: string | null;
}

/** A row of `conditionCountsQuery`: `c0`, `c1`, … per top-level child of the root. */
export interface ConditionCountsRow {
  total: number;
  matched: number;
  [child: `c${number}`]: number;
}

/** Profiles in the workspace that match. */
export function countQuery(
  definition: SegmentDefinition,
  options: CompileOptions & { strategy?: EventStrategy },
): SqlQuery {
  const c = new Compiler(definition, options, options.strategy ?? "aggregate");
  const match = c.node(c.root);
  const where = [...c.profileFilters(), match];
  return c.query(`SELECT count(*)::int AS count\n  FROM profiles p${c.joinSql()}\n WHERE ${where.join("\n   AND ")}`);
}

/**
 * One pass over the profiles: `total` (everyone in scope), `matched` (the definition) and,
 * for each top-level child of the root, `c<i>`: how many match that child on its own
 * (the root's `not` is not applied to the children).
 */
export function conditionCountsQuery(
  definition: SegmentDefinition,
  options: CompileOptions & { strategy?: EventStrategy },
): SqlQuery {
  const c = new Compiler(definition, { ...options, anchored: false }, options.strategy ?? "aggregate");
  // Each child is computed once per profile (OFFSET 0 keeps Postgres from inlining the
  // columns back into every place that reads them), then combined for `matched`.
  const children = c.root.children.map((child, i) => ({ sql: `${c.node(child)} AS c${i}`, column: `s.c${i}` }));
  const columns = [
    "count(*)::int AS total",
    `count(*) FILTER (WHERE ${c.combine(c.root, children.map((child) => child.column))})::int AS matched`,
    ...children.map((child, i) => `count(*) FILTER (WHERE ${child.column})::int AS c${i}`),
  ];
  const inner = children.length ? children.map((child) => child.sql).join(",\n         ") : "1 AS one";
  return c.query(
    `SELECT ${columns.join(",\n       ")}\n  FROM (SELECT ${inner}\n          FROM profiles p${c.joinSql()}\n         WHERE ${c.profileFilters().join("\n           AND ")}\n        OFFSET 0) AS s`,
  );
}

/** A page of matching profiles (`MemberRow`), ordered by id, after the id `after`. */
export function membersQuery(
  definition: SegmentDefinition,
  options: CompileOptions & { after?: string; limit: number; strategy?: EventStrategy; columns?: "summary" | "member" },
): SqlQuery {
  if (!Number.isInteger(options.limit) || options.limit < 1) throw new Error("limit must be a positive integer");
  const c = new Compiler(definition, options, options.strategy ?? "correlated");
  const match = c.node(c.root);
  const where = c.profileFilters();
  if (options.after !== undefined) where.push(`p.id > ${c.params.add(options.after, "text")}`);
  where.push(match);
  return c.query(
    `SELECT ${options.columns === "member" ? MEMBER_COLUMNS : "p.id, p.user_id, p.email, p.traits"}\n  FROM profiles p${c.joinSql()}\n WHERE ${where.join("\n   AND ")}\n ORDER BY p.id\n LIMIT ${c.params.add(options.limit, "int")}`,
  );
}

/** What a member list shows of each person (the members API and the CSV export). */
export const MEMBER_COLUMNS = "p.id, p.user_id, p.email, p.phone, p.country, p.timezone, p.locale, p.first_seen_at, p.last_seen_at, p.traits";

/**
 * Every matching profile of the workspace, unordered: rows `{ id }` (a full refresh of a
 * saved segment's membership), or with `columns: "member"` the MEMBER_COLUMNS (the export).
 */
export function matchingQuery(definition: SegmentDefinition, options: CompileOptions & { strategy?: EventStrategy; columns?: "id" | "member" }): SqlQuery {
  const c = new Compiler(definition, options, options.strategy ?? "aggregate");
  const match = c.node(c.root);
  const columns = options.columns === "member" ? MEMBER_COLUMNS : "p.id";
  return c.query(`SELECT ${columns}\n  FROM profiles p${c.joinSql()}\n WHERE ${[...c.profileFilters(), match].join("\n   AND ")}`);
}


/**
 * The `seq` of every matching profile (or, with `negate`, of every profile in the workspace
 * that does not match), as one sorted binary int4 array (`array_send`): the sets that exact
 * counts combine in memory (server/segments/exact-sets.ts). Sorted here rather than there:
 * the app's one thread stays free for other requests. `version`: the workspace's data
 * version in the same snapshot (server/workspaces/data-version.ts) — the moment the set describes.
 */
export function matchingSeqsQuery(definition: SegmentDefinition, options: CompileOptions & { negate?: boolean }): SqlQuery {
  const c = new Compiler(definition, { ...options, anchored: !options.negate }, "aggregate");
  const match = c.node(c.root);
  const version = dataVersionSql(c.params.add(options.workspaceId, "text")).version;
  return c.query(
    `SELECT array_send(coalesce(array_agg(p.seq ORDER BY p.seq), '{}'::int[])) AS seqs, ${version} AS version\n  FROM profiles p${c.joinSql()}\n WHERE ${[...c.profileFilters(), options.negate ? `NOT ${match}` : match].join("\n   AND ")}`,
  );
}

/**
 * How many people performed the condition's event (its name, window and property filters;
 * its count is ignored) 0, 1, …, `max` or more times: rows `{ k, profiles }` with k ≤ max,
 * where k = max means "max or more". The threshold helper of event-count conditions.
 */
export function eventHistogramQuery(condition: EventCondition, options: CompileOptions & { max: number }): SqlQuery {
  if (!Number.isInteger(options.max) || options.max < 1 || options.max > 100) throw new Error("max must be an integer from 1 to 100");
  const c = new Compiler({ schemaVersion: 1, root: { type: "group", op: "and", children: [condition] } }, { ...options, anchored: false }, "aggregate");
  const predicates = c.eventPredicates(condition);
  const max = c.params.add(options.max, "int");
  return c.query(
    `SELECT least(coalesce(ev.n, 0), ${max})::int AS k, count(*)::int AS profiles\n  FROM profiles p\n  LEFT JOIN (SELECT e.profile_id, count(*) AS n FROM events e WHERE ${predicates.join(" AND ")} GROUP BY e.profile_id) AS ev ON ev.profile_id = p.id\n WHERE ${c.profileFilters().join(" AND ")}\n GROUP BY 1\n ORDER BY 1`,
  );
}

/** Which of `profileIds` (in the workspace) match: rows `{ id }`, ordered by id. */
export function matchingIdsQuery(
  definition: SegmentDefinition,
  options: CompileOptions & { profileIds: string[]; strategy?: EventStrategy },
): SqlQuery {
  const c = new Compiler(definition, options, options.strategy ?? "correlated");
  // Ids no profile can have (a NUL byte cannot even be sent) are left out.
  c.eventProfileIds = c.params.add(options.profileIds.filter(matchable), "text[]");
  const match = c.node(c.root);
  const where = [...c.profileFilters(), `p.id = ANY(${c.eventProfileIds})`, match];
  return c.query(`SELECT p.id\n  FROM profiles p${c.joinSql()}\n WHERE ${where.join("\n   AND ")}\n ORDER BY p.id`);
}

// ---------------------------------------------------------------------------------------
// Parameters.

/** Numbered parameters; each value is used with an explicit cast. */
class Params {
  readonly values: unknown[] = [];
  private readonly shared = new Map<string, string>();

  /** `$n::cast` for a new parameter. */
  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }

  /** The same parameter for the same key, for constants used many times. */
  once(key: string, value: unknown, cast: string): string {
    let ref = this.shared.get(key);
    if (!ref) {
      ref = this.add(value, cast);
      this.shared.set(key, ref);
    }
    return ref;
  }
}

/**
 * Whether a string from the definition can equal (or be part of) a string Postgres holds:
 * Postgres text never contains NUL (and a NUL cannot even be sent as a parameter), and
 * stored strings are well-formed Unicode, while a JS string may hold a lone surrogate.
 */
function matchable(value: string): boolean {
  return !value.includes("\0") && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
}

const iso = (ms: number) => new Date(ms).toISOString();

function dateMs(value: string): number {
  const ms = parseDate(value);
  if (ms === null) throw new Error(`not a date: ${JSON.stringify(value)}`);
  return ms;
}

/**
 * Exact bounds of the doubles, as decimals: a JSON number at or beyond ±(2^1024 − 2^970)
 * reads as ±Infinity in JavaScript, one at or below 2^-1075 in size as 0. Postgres raises an
 * error for both instead, so `float8Of` maps them first.
 */
const FLOAT8_OVERFLOW = (2n ** 1024n - 2n ** 970n).toString();
const FLOAT8_UNDERFLOW = `0.${(5n ** 1075n).toString().padStart(1075, "0")}`;

/** Keys `#>` would use as an array index (it reads them with strtol). */
const INDEX_LIKE = /^\s*[-+]?\d+\s*$/;

/**
 * The strict date format with ASCII digits only (`\d` in junction_parse_time can follow the
 * database's locale), and not year 0000 (junction_parse_time's make_date() raises for it).
 */
const DATE_REGEX = "^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$";

const BUILTIN_COLUMNS: Record<string, string> = {
  userId: "p.user_id",
  email: "p.email",
  phone: "p.phone",
  timezone: "p.timezone",
  locale: "p.locale",
  country: "p.country",
};

/** Where a compared value comes from: a jsonb expression (NULL when missing) or a nullable text column. */
type Value = { kind: "json"; sql: string } | { kind: "text"; sql: string };

/** `valueType` + `operator` of a trait condition or a property filter (still a tagged union). */
type Comparison = PropertyFilter extends infer F ? (F extends PropertyFilter ? Pick<F, "valueType" | "operator"> : never) : never;

// ---------------------------------------------------------------------------------------
// The compiler: one method per node kind, each returning a boolean expression over `p`.

class Compiler {
  readonly params = new Params();
  readonly root: Group;
  private readonly joins: string[] = [];
  private readonly ws: string;
  private readonly nowMs: number;
  /** With matchingIdsQuery: the profile ids, so aggregate subqueries read only their events. */
  eventProfileIds: string | undefined;
  /**
   * Event conditions every match must pass with at least one event (`gte` N ≥ 1 directly
   * under a plain AND root): their aggregates are inner-joined, so the query only visits
   * profiles that have such events instead of every profile of the workspace. Off for
   * per-condition counts, which need every profile.
   */
  private readonly anchors: Set<SegmentNode>;

  constructor(
    definition: SegmentDefinition,
    options: CompileOptions & { anchored?: boolean },
    private readonly strategy: EventStrategy,
  ) {
    const checked = validate(definition);
    if (!checked.ok) {
      throw new Error(`invalid segment definition: ${checked.errors.map((e) => `${formatPath(e.path)} ${e.message}`).join("; ")}`);
    }
    if (strategy !== "aggregate" && strategy !== "correlated") throw new Error(`unknown event strategy: ${String(strategy)}`);
    this.nowMs = options.now.getTime();
    if (Number.isNaN(this.nowMs)) throw new Error("now must be a valid date");
    this.root = checked.definition.root;
    this.ws = this.params.add(options.workspaceId, "text");
    const anchored = options.anchored !== false && this.root.op === "and" && !this.root.not;
    this.anchors = new Set(anchored ? this.root.children.filter((n) => n.type === "event" && n.count.op === "gte" && n.count.value >= 1) : []);
  }

  /** `now` (a parameter only when used: Postgres cannot type a parameter the text does not use). */
  private get now(): string {
    return this.params.once("now", iso(this.nowMs), "timestamptz");
  }

  query(sql: string): SqlQuery {
    const values = this.params.values;
    for (let i = values.length; i >= 1; i--) {
      if (!sql.includes(`$${i}::`)) throw new Error(`compile-sql: parameter $${i} is not used`);
    }
    return { sql, params: values };
  }

  joinSql(): string {
    return this.joins.map((j) => `\n  ${j}`).join("");
  }

  profileFilters(): string[] {
    return [`p.workspace_id = ${this.ws}`];
  }

  node(node: SegmentNode): string {
    switch (node.type) {
      case "group":
        return this.group(node);
      case "trait":
        return this.trait(node);
      case "event":
        return this.event(node);
      case "firstSeen":
      case "lastSeen":
        return this.seen(node);
      case "segment":
        return this.segment(node);
      case "bucket":
        return this.bucket(node);
      case "subscription":
        return this.subscription(node);
    }
  }

  group(group: Group): string {
    return this.combine(group, group.children.map((child) => this.node(child)));
  }

  /** A group's expression from its children's: an empty `and` holds, an empty `or` does not. */
  combine(group: Group, children: string[]): string {
    const joined = children.length === 0 ? (group.op === "and" ? "true" : "false") : children.length === 1 ? children[0]! : `(${children.join(group.op === "and" ? "\n AND " : "\n OR ")})`;
    return group.not ? `(NOT ${joined})` : joined;
  }

  trait(node: TraitCondition): string {
    const column = BUILTIN_COLUMNS[node.field];
    if (column) return this.compare({ kind: "text", sql: column }, node);
    return this.compare(this.jsonPath("p.traits", node.field.slice("traits.".length)), node);
  }

  seen(node: SeenCondition): string {
    // Not-null columns: the comparison is two-valued as it stands.
    return this.dateOperator(node.type === "firstSeen" ? "p.first_seen_at" : "p.last_seen_at", node.operator);
  }

  segment(node: SegmentCondition): string {
    const member = matchable(node.segmentId)
      ? `EXISTS (SELECT 1 FROM segment_memberships sm WHERE sm.segment_id = ${this.params.add(node.segmentId, "text")} AND sm.profile_id = p.id AND sm.exited_at IS NULL)`
      : "false";
    return node.op === "in" ? member : `(NOT ${member})`;
  }

  bucket(node: BucketCondition): string {
    return `(p.bucket >= ${this.params.add(node.from, "int")} AND p.bucket <= ${this.params.add(node.to, "int")})`;
  }

  /**
   * Subscribed: the person's answer (`subscription_states`, at most one row per person and
   * group), else the group's default — subscribed for an opt-out group, not for any other.
   * Nobody is subscribed to a group that is not this workspace's. The group's existence and
   * mode are uncorrelated subqueries (computed once per query). "aggregate" joins the
   * group's answers (a hash join when counting everyone); "correlated" probes the primary
   * key per person.
   */
  subscription(node: SubscriptionCondition): string {
    const wanted = node.op === "subscribed";
    if (!matchable(node.groupId)) return wanted ? "false" : "true";
    const g = this.params.add(node.groupId, "text");
    const group = `SELECT 1 FROM subscription_groups sg WHERE sg.id = ${g} AND sg.workspace_id = ${this.ws}`;
    const exists = `EXISTS (${group})`;
    const optOut = `EXISTS (${group} AND sg.mode = 'opt_out')`;
    let subscribed: string;
    if (this.strategy === "aggregate") {
      const alias = `ss${this.joins.length}`;
      this.joins.push(`LEFT JOIN subscription_states ${alias} ON ${alias}.profile_id = p.id AND ${alias}.group_id = ${g}`);
      subscribed = `(${exists} AND coalesce(${alias}.subscribed, ${optOut}))`;
    } else {
      const answer = (said: "true" | "false") => `EXISTS (SELECT 1 FROM subscription_states ss WHERE ss.profile_id = p.id AND ss.group_id = ${g} AND ss.subscribed = ${said})`;
      subscribed = `(${exists} AND (CASE WHEN ${optOut} THEN NOT ${answer("false")} ELSE ${answer("true")} END))`;
    }
    return wanted ? subscribed : `(NOT ${subscribed})`;
  }

  /** What makes an event one of the condition's: workspace, name, window, property filters. */
  eventPredicates(node: EventCondition): string[] {
    return [
      `e.workspace_id = ${this.ws}`,
      matchable(node.event) ? `e.name = ${this.params.add(node.event, "text")}` : "false",
      ...this.window(node.window),
      ...node.where.map((filter) => this.compare(this.jsonPath("e.properties", filter.path), filter)),
    ];
  }

  event(node: EventCondition): string {
    const predicates = this.eventPredicates(node);
    const { op, value } = node.count;
    const compare = op === "gte" ? ">=" : op === "lte" ? "<=" : "=";
    const k = this.params.add(value, "bigint");
    if (this.strategy === "correlated") {
      // Counting stops once the answer is known: at k events for gte, at k + 1 for lte/eq.
      const limit = this.params.add(op === "gte" ? value : value + 1, "bigint");
      return `((SELECT count(*) FROM (SELECT 1 FROM events e WHERE e.profile_id = p.id AND ${predicates.join(" AND ")} LIMIT ${limit}) AS hits) ${compare} ${k})`;
    }
    const alias = `ev${this.joins.length}`;
    if (this.eventProfileIds) predicates.push(`e.profile_id = ANY(${this.eventProfileIds})`);
    this.joins.push(
      `${this.anchors.has(node) ? "JOIN" : "LEFT JOIN"} (SELECT e.profile_id, count(*) AS n FROM events e WHERE ${predicates.join(" AND ")} GROUP BY e.profile_id) AS ${alias} ON ${alias}.profile_id = p.id`,
    );
    return `(coalesce(${alias}.n, 0) ${compare} ${k})`;
  }

  private window(window: Window): string[] {
    switch (window.kind) {
      case "ever":
        return [`e.timestamp <= ${this.now}`];
      case "last":
        return [`e.timestamp >= ${this.ago(window.amount, window.unit)}`, `e.timestamp <= ${this.now}`];
      case "between":
        return [`e.timestamp >= ${this.date(window.from)}`, `e.timestamp < ${this.date(window.to)}`];
    }
  }

  private date(value: string): string {
    return this.params.add(iso(dateMs(value)), "timestamptz");
  }

  /** `now − amount·unit`, computed here in milliseconds. */
  private ago(amount: number, unit: TimeUnit): string {
    return this.params.add(iso(this.nowMs - amount * UNIT_MS[unit]), "timestamptz");
  }

  // --- values ---------------------------------------------------------------------------

  /**
   * The value at `path` (object keys only) inside the jsonb `base`, NULL when missing.
   * `#>` also steps into arrays for keys that read as integers ("0", " 1", "-1"): for those
   * keys the step is only taken when the container is an object.
   */
  private jsonPath(base: string, path: string): Value {
    const keys = path.split(".");
    const full = `${base} #> ${this.params.add(keys, "text[]")}`;
    const checks = keys.flatMap((key, i) =>
      INDEX_LIKE.test(key) ? [`jsonb_typeof(${base} #> ${this.params.add(keys.slice(0, i), "text[]")}) = 'object'`] : [],
    );
    return { kind: "json", sql: checks.length === 0 ? `(${full})` : `(CASE WHEN ${checks.join(" AND ")} THEN ${full} END)` };
  }

  /** `expr` (two-valued once the value has the type) when the value is a `type`, else false. */
  private typed(value: Value, type: "string" | "number" | "boolean" | "array", expr: (v: string) => string): string {
    if (value.kind === "text") return type === "string" ? `(${value.sql} IS NOT NULL AND ${expr(value.sql)})` : "false";
    return `(CASE WHEN jsonb_typeof(${value.sql}) = '${type}' THEN ${expr(value.sql)} ELSE false END)`;
  }

  /** The text of a value known to be a string. */
  private text(value: Value): string {
    return value.kind === "text" ? value.sql : `(${value.sql} #>> '{}')`;
  }

  /** A jsonb number as float8, like JavaScript reads it: never an error. */
  private float8Of(json: string): string {
    const over = this.params.once("float8-overflow", FLOAT8_OVERFLOW, "numeric");
    const under = this.params.once("float8-underflow", FLOAT8_UNDERFLOW, "numeric");
    const n = `(${json})::numeric`;
    return `(CASE WHEN abs(${n}) >= ${over} THEN (CASE WHEN ${n} > 0 THEN 'Infinity' ELSE '-Infinity' END)::float8 WHEN abs(${n}) <= ${under} THEN 0::float8 ELSE (${json})::float8 END)`;
  }

  /** The time of a value that is a date string, else NULL; `junction_parse_time` is only called on the strict format. */
  private timeOf(value: Value): string {
    const s = value.kind === "text" ? value.sql : `(CASE WHEN jsonb_typeof(${value.sql}) = 'string' THEN ${value.sql} #>> '{}' END)`;
    return `junction_parse_time(CASE WHEN ${s} ~ '${DATE_REGEX}' THEN ${s} END)`;
  }

  // --- comparisons ----------------------------------------------------------------------

  private compare(value: Value, c: Comparison): string {
    const compared = this.typedCompare(value, c);
    // includeMissing: people without a value (absent or JSON null) pass as well.
    return includesMissing(c.operator) ? `(${this.missing(value)} OR ${compared})` : compared;
  }

  /** Whether the value is missing: absent, or JSON null (a NULL column for built-ins). */
  private missing(value: Value): string {
    return value.kind === "text" ? `(${value.sql} IS NULL)` : `coalesce(jsonb_typeof(${value.sql}) = 'null', true)`;
  }

  private typedCompare(value: Value, c: Comparison): string {
    switch (c.valueType) {
      case "any": {
        if (value.kind === "text") return c.operator.op === "exists" ? `(${value.sql} IS NOT NULL)` : `(${value.sql} IS NULL)`;
        return c.operator.op === "exists" ? `coalesce(jsonb_typeof(${value.sql}) <> 'null', false)` : `coalesce(jsonb_typeof(${value.sql}) = 'null', true)`;
      }
      case "string":
        return this.stringOperator(value, c.operator);
      case "number":
        return this.numberOperator(value, c.operator);
      case "boolean":
        return this.typed(value, "boolean", (v) => `${v} = to_jsonb(${this.params.add(c.operator.value, "boolean")})`);
      case "date":
        return `coalesce(${this.dateOperator(this.timeOf(value), c.operator)}, false)`;
      case "list":
        return this.listOperator(value, c.operator);
    }
  }

  private stringOperator(value: Value, operator: Extract<Comparison, { valueType: "string" }>["operator"]): string {
    const ignoreCase = "ignoreCase" in operator && operator.ignoreCase === true;
    // ignoreCase folds A–Z only, here and in memory (foldCase): the same answer whatever the database's locale.
    const s = ignoreCase ? `translate(${this.text(value)}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')` : this.text(value);
    const fold = ignoreCase ? foldCase : (text: string) => text;
    switch (operator.op) {
      case "isEmpty":
        return this.typed(value, "string", () => `${this.text(value)} = ''`);
      case "isNotEmpty":
        return this.typed(value, "string", () => `${this.text(value)} <> ''`);
      case "in":
      case "notIn": {
        const values = [...new Set(operator.values.filter(matchable).map(fold))];
        if (values.length === 0) return this.typed(value, "string", () => (operator.op === "in" ? "false" : "true"));
        const list = this.params.add(values, "text[]");
        return this.typed(value, "string", () => (operator.op === "in" ? `${s} = ANY(${list})` : `${s} <> ALL(${list})`));
      }
      default: {
        const positive = !operator.op.startsWith("not");
        // A value Postgres cannot hold equals and is part of no stored string.
        if (!matchable(operator.value)) return this.typed(value, "string", () => (positive ? "false" : "true"));
        const x = this.params.add(fold(operator.value), "text");
        const expr = {
          equals: `${s} = ${x}`,
          notEquals: `${s} <> ${x}`,
          contains: `strpos(${s}, ${x}) > 0`,
          notContains: `strpos(${s}, ${x}) = 0`,
          startsWith: `starts_with(${s}, ${x})`,
          notStartsWith: `NOT starts_with(${s}, ${x})`,
          endsWith: `right(${s}, length(${x})) = ${x}`,
          notEndsWith: `right(${s}, length(${x})) <> ${x}`,
        }[operator.op];
        return this.typed(value, "string", () => expr);
      }
    }
  }

  private numberOperator(value: Value, operator: Extract<Comparison, { valueType: "number" }>["operator"]): string {
    if (value.kind === "text") return "false";
    return this.typed(value, "number", (v) => {
      const n = this.float8Of(v);
      switch (operator.op) {
        case "between":
          return `(${n} >= ${this.params.add(operator.min, "float8")} AND ${n} <= ${this.params.add(operator.max, "float8")})`;
        case "notBetween":
          return `(${n} < ${this.params.add(operator.min, "float8")} OR ${n} > ${this.params.add(operator.max, "float8")})`;
        case "in":
          return `${n} = ANY(${this.params.add(operator.values, "float8[]")})`;
        case "notIn":
          return `${n} <> ALL(${this.params.add(operator.values, "float8[]")})`;
        default: {
          const compare = { equals: "=", notEquals: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" }[operator.op];
          return `${n} ${compare} ${this.params.add(operator.value, "float8")}`;
        }
      }
    });
  }

  /**
   * A date operator over a timestamptz expression, which appears once (a range for the
   * two-sided ones: a parsed trait is parsed once). NULL (not a date) propagates; the caller
   * decides.
   */
  private dateOperator(t: string, operator: DateOperator): string {
    switch (operator.op) {
      case "before":
        return `(${t} < ${this.date(operator.value)})`;
      case "after":
        return `(${t} > ${this.date(operator.value)})`;
      case "between": // validate() made sure from < to, so the range can be built
        return `(tstzrange(${this.date(operator.from)}, ${this.date(operator.to)}, '[)') @> ${t})`;
      case "notBetween":
        return `(NOT tstzrange(${this.date(operator.from)}, ${this.date(operator.to)}, '[)') @> ${t})`;
      case "withinLast":
        return `(tstzrange(${this.ago(operator.amount, operator.unit)}, ${this.now}, '[]') @> ${t})`;
      case "moreThanAgo":
        return `(${t} < ${this.ago(operator.amount, operator.unit)})`;
    }
  }

  private listOperator(value: Value, operator: Extract<Comparison, { valueType: "list" }>["operator"]): string {
    if (value.kind === "text") return "false";
    switch (operator.op) {
      case "isEmpty":
        return this.typed(value, "array", (v) => `${v} = '[]'::jsonb`);
      case "isNotEmpty":
        return this.typed(value, "array", (v) => `${v} <> '[]'::jsonb`);
      case "containsAll": {
        // Every wanted value is an element: as many distinct wanted values found as wanted.
        const strings = [...new Set(operator.values.filter((w): w is string => typeof w === "string"))];
        const numbers = [...new Set(operator.values.filter((w): w is number => typeof w === "number"))];
        if (!strings.every(matchable)) return this.typed(value, "array", () => "false");
        return this.typed(value, "array", (v) => {
          const found = (type: "string" | "number", element: string, wanted: string) =>
            `(SELECT count(DISTINCT ${element}) FROM jsonb_array_elements(${v}) AS el(x) WHERE jsonb_typeof(el.x) = '${type}' AND ${element} = ANY(${wanted})) = ${this.params.add(type === "string" ? strings.length : numbers.length, "bigint")}`;
          const parts = [
            ...(strings.length ? [found("string", "(el.x #>> '{}')", this.params.add(strings, "text[]"))] : []),
            ...(numbers.length ? [found("number", this.float8Of("el.x"), this.params.add(numbers, "float8[]"))] : []),
          ];
          return `(${parts.join(" AND ")})`;
        });
      }
      default: {
        const wanted = "value" in operator ? [operator.value] : operator.values;
        const positive = operator.op === "contains" || operator.op === "containsAny";
        const strings = wanted.filter((w): w is string => typeof w === "string" && matchable(w));
        const numbers = wanted.filter((w): w is number => typeof w === "number");
        // Same JSON type and value: strings exactly, numbers as float8.
        const branches = [
          ...(strings.length ? [`WHEN 'string' THEN (el.x #>> '{}') = ANY(${this.params.add(strings, "text[]")})`] : []),
          ...(numbers.length ? [`WHEN 'number' THEN ${this.float8Of("el.x")} = ANY(${this.params.add(numbers, "float8[]")})`] : []),
        ];
        if (branches.length === 0) return this.typed(value, "array", () => (positive ? "false" : "true"));
        return this.typed(value, "array", (v) => {
          const any = `EXISTS (SELECT 1 FROM jsonb_array_elements(${v}) AS el(x) WHERE CASE jsonb_typeof(el.x) ${branches.join(" ")} ELSE false END)`;
          return positive ? any : `NOT ${any}`;
        });
      }
    }
  }

}
