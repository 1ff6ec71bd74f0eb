import { parseDate } from "@/lib/time";
import { beforeAll, describe, expect, it } from "vitest";
import {
  validate,
  SEGMENT_SCHEMA_VERSION,
  type Group,
  type PropertyFilter,
  type SegmentDefinition,
  type SegmentNode,
} from "@/lib/segments/schema";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import {
  conditionCountsQuery,
  countQuery,
  matchingIdsQuery,
  matchingQuery,
  membersQuery,
  type ConditionCountsRow,
  type EventStrategy,
  type MemberRow,
  type SqlQuery,
} from "./compile-sql";

/**
 * The SQL compiler against real Postgres: every node kind and operator, with deliberately
 * awkward data (missing, null, wrong types, arrays in paths, dates with offsets, impossible
 * dates, numbers JavaScript reads as Infinity) and events on the edges of their windows.
 * Every expectation is checked with every query shape (matchingIds, matching, members,
 * count, conditionCounts), with both event strategies, and negated (`not` must give exactly
 * the other profiles: no NULL leaks out of a condition).
 */

const NOW = new Date("2026-11-25T12:00:00.000Z");
const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
const STRATEGIES: EventStrategy[] = ["aggregate", "correlated"];

const and = (...children: SegmentNode[]): Group => ({ type: "group", op: "and", children });
const def = (...children: SegmentNode[]): SegmentDefinition => ({ schemaVersion: SEGMENT_SCHEMA_VERSION, root: and(...children) });
/** A comparison without its path (trait conditions and property filters add their own). */
type Comparison = PropertyFilter extends infer F ? (F extends PropertyFilter ? Omit<F, "path"> : never) : never;
const trait = (field: string, comparison: Comparison): SegmentNode => ({ type: "trait", field, ...comparison }) as SegmentNode;

interface EventSpec {
  name: string | null;
  type?: string;
  at: Date;
  /** Raw JSON text of the properties (so that numbers JavaScript cannot write fit too). */
  properties?: string;
  /** Stored under another workspace id (it must not count). */
  otherWorkspace?: boolean;
}

interface PersonSpec {
  /** Raw JSON text of the traits; `{}` when left out. */
  traits?: string;
  userId?: string | null;
  email?: string | null;
  phone?: string | null;
  timezone?: string | null;
  locale?: string | null;
  country?: string | null;
  bucket?: number;
  firstSeenAt?: Date;
  lastSeenAt?: Date;
  events?: EventSpec[];
  /** Saved segments the person is in (`exited`: was, and left). */
  segments?: { id: string; exited?: boolean }[];
}

describe("compile-sql", () => {
  const t = useTestDatabase();

  async function rows<T>(query: SqlQuery): Promise<T[]> {
    return t.db.$queryRawUnsafe<T[]>(query.sql, ...query.params);
  }

  interface World {
    workspaceId: string;
    ids: string[];
    id: (name: string) => string;
    name: (id: string) => string;
    names: string[];
  }

  async function world(people: Record<string, PersonSpec>): Promise<World> {
    const { workspace } = await createWorkspaceWith(t.db);
    const other = await createWorkspaceWith(t.db);
    const id = (name: string) => `${workspace.id}-${name}`;
    const segments = new Set(Object.values(people).flatMap((p) => (p.segments ?? []).map((s) => s.id)));
    for (const segmentId of segments) {
      await t.db.segment.create({ data: { id: segmentId, workspaceId: workspace.id, name: segmentId, definition: def() as object } });
    }
    let message = 0;
    for (const [name, p] of Object.entries(people)) {
      await t.db.$executeRawUnsafe(
        `INSERT INTO profiles (id, workspace_id, user_id, traits, email, phone, timezone, locale, country, bucket, first_seen_at, last_seen_at, updated_at)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11::timestamptz, $12::timestamptz, now())`,
        id(name),
        workspace.id,
        p.userId ?? null,
        p.traits ?? "{}",
        p.email ?? null,
        p.phone ?? null,
        p.timezone ?? null,
        p.locale ?? null,
        p.country ?? null,
        p.bucket ?? 5000,
        (p.firstSeenAt ?? at(-100 * DAY)).toISOString(),
        (p.lastSeenAt ?? at(-DAY)).toISOString(),
      );
      for (const e of p.events ?? []) {
        await t.db.$executeRawUnsafe(
          `INSERT INTO events (workspace_id, profile_id, message_id, type, name, properties, timestamp, received_at)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::timestamptz, $7::timestamptz)`,
          e.otherWorkspace ? other.workspace.id : workspace.id,
          id(name),
          `m-${(message += 1)}`,
          e.type ?? "track",
          e.name,
          e.properties ?? "{}",
          e.at.toISOString(),
        );
      }
      for (const s of p.segments ?? []) {
        await t.db.segmentMembership.create({ data: { segmentId: s.id, profileId: id(name), enteredAt: at(-DAY), exitedAt: s.exited ? at(-MINUTE) : null } });
      }
    }
    // A profile in another workspace that has everything: it must never show up.
    await t.db.$executeRawUnsafe(
      `INSERT INTO profiles (id, workspace_id, traits, bucket, first_seen_at, last_seen_at, updated_at) VALUES ($1, $2, $3::jsonb, 0, $4::timestamptz, $4::timestamptz, now())`,
      `${other.workspace.id}-intruder`,
      other.workspace.id,
      JSON.stringify({ v: "pro", plan: "pro" }),
      NOW.toISOString(),
    );
    const names = Object.keys(people).sort();
    return { workspaceId: workspace.id, ids: names.map(id), id, name: (i) => i.slice(workspace.id.length + 1), names };
  }

  /**
   * The names of the profiles that match, after checking that every query shape and both
   * strategies give the same answer.
   */
  async function matches(w: World, definition: SegmentDefinition): Promise<string[]> {
    let first: string[] | undefined;
    for (const strategy of STRATEGIES) {
      const options = { workspaceId: w.workspaceId, now: NOW, strategy };
      const ids = (await rows<{ id: string }>(matchingIdsQuery(definition, { ...options, profileIds: w.ids }))).map((r) => r.id).sort();
      const all = (await rows<{ id: string }>(matchingQuery(definition, options))).map((r) => r.id).sort();
      const members = (await rows<MemberRow>(membersQuery(definition, { ...options, limit: 1000 }))).map((r) => r.id).sort();
      const [counted] = await rows<{ count: number }>(countQuery(definition, options));
      const [counts] = await rows<ConditionCountsRow>(conditionCountsQuery(definition, options));
      expect(all, `matchingQuery (${strategy})`).toEqual(ids);
      expect(members, `membersQuery (${strategy})`).toEqual(ids);
      expect(counted!.count, `countQuery (${strategy})`).toBe(ids.length);
      expect(counts!.matched, `conditionCountsQuery (${strategy})`).toBe(ids.length);
      expect(counts!.total).toBe(w.ids.length);
      if (first) expect(ids, "both strategies").toEqual(first);
      first = ids;
    }
    return first!.map(w.name).sort();
  }

  /** `node` matches exactly `expected`, and `not node` exactly everyone else. */
  async function expectMatch(w: World, node: SegmentNode, expected: string[]) {
    const label = JSON.stringify(node);
    expect(await matches(w, def(node)), label).toEqual([...expected].sort());
    const negated: SegmentDefinition = { schemaVersion: SEGMENT_SCHEMA_VERSION, root: { type: "group", op: "and", not: true, children: [node] } };
    expect(await matches(w, negated), `not ${label}`).toEqual(w.names.filter((n) => !expected.includes(n)));
  }

  // -------------------------------------------------------------------------------------
  // One value per profile, at traits.v and in the properties (v) of one "probe" event.

  const VALUES: Record<string, string | undefined> = {
    str_pro: '"pro"',
    str_Pro: '"Pro"',
    str_empty: '""',
    str_pro_plus: '"pro plus"',
    str_unicode: '"Müller 😀"',
    str_quote: JSON.stringify(`it's "quoted" \\ back`),
    str_num: '"30"',
    str_date: '"2026-11-01T10:00:00Z"',
    num_30: "30",
    num_30_0: "30.0",
    num_30_5: "30.5",
    num_neg: "-2",
    num_zero: "0",
    num_float: "0.30000000000000004",
    num_big: "1e400", // Infinity in JavaScript
    num_negbig: "-1e400",
    num_tiny: "1e-400", // 0 in JavaScript
    num_precise: "9007199254740993", // 9007199254740992 in JavaScript
    bool_true: "true",
    bool_false: "false",
    null: "null",
    missing: undefined,
    arr_empty: "[]",
    arr_mixed: '["a", "b", 1, 2.5]',
    arr_nested: '[["a"], {"a": 1}, "1", null, true]',
    arr_float: "[1.0, 1e400]",
    obj: '{"a": "pro"}',
  };
  const kind = (name: string) => name.split("_")[0]!;
  const of = (...kinds: string[]) => Object.keys(VALUES).filter((n) => kinds.includes(kind(n)));
  const STRINGS = of("str");
  const NUMBERS = of("num");
  const without = (list: string[], ...names: string[]) => list.filter((n) => !names.includes(n));

  describe("trait comparisons", () => {
    let w: World;
    beforeAll(async () => {
      w = await world(
        Object.fromEntries(
          Object.entries(VALUES).map(([name, json]) => [
            name,
            { traits: json === undefined ? "{}" : `{"v": ${json}}`, events: [{ name: "probe", at: at(-DAY), properties: json === undefined ? "{}" : `{"v": ${json}}` }] },
          ]),
        ),
      );
    });

    /** The trait condition on traits.v, and an event whose `where` is the same comparison on properties.v. */
    async function expectValues(comparison: Comparison, expected: string[]) {
      await expectMatch(w, trait("traits.v", comparison), expected);
      await expectMatch(w, { type: "event", event: "probe", where: [{ path: "v", ...comparison } as never], count: { op: "gte", value: 1 }, window: { kind: "ever" } }, expected);
    }

    it("string operators: exact, case-sensitive, only on strings", async () => {
      const s = (operator: object) => ({ valueType: "string", operator }) as Comparison;
      await expectValues(s({ op: "equals", value: "pro" }), ["str_pro"]);
      await expectValues(s({ op: "equals", value: "30" }), ["str_num"]);
      await expectValues(s({ op: "equals", value: `it's "quoted" \\ back` }), ["str_quote"]);
      await expectValues(s({ op: "equals", value: "" }), ["str_empty"]);
      await expectValues(s({ op: "notEquals", value: "pro" }), without(STRINGS, "str_pro"));
      await expectValues(s({ op: "contains", value: "pro" }), ["str_pro", "str_pro_plus"]);
      await expectValues(s({ op: "contains", value: "PRO" }), []);
      await expectValues(s({ op: "contains", value: "ü" }), ["str_unicode"]);
      await expectValues(s({ op: "contains", value: "" }), STRINGS);
      await expectValues(s({ op: "notContains", value: "pro" }), without(STRINGS, "str_pro", "str_pro_plus"));
      await expectValues(s({ op: "notContains", value: "" }), []);
      await expectValues(s({ op: "startsWith", value: "Pro" }), ["str_Pro"]);
      await expectValues(s({ op: "startsWith", value: "" }), STRINGS);
      await expectValues(s({ op: "endsWith", value: "plus" }), ["str_pro_plus"]);
      await expectValues(s({ op: "endsWith", value: "😀" }), ["str_unicode"]);
      await expectValues(s({ op: "endsWith", value: "xpro" }), []);
      await expectValues(s({ op: "endsWith", value: "" }), STRINGS);
      await expectValues(s({ op: "in", values: ["pro", "30", "nope"] }), ["str_pro", "str_num"]);
      await expectValues(s({ op: "notIn", values: ["pro", "30"] }), without(STRINGS, "str_pro", "str_num"));
    });

    it("number operators: 64-bit floats, only on numbers", async () => {
      const n = (operator: object) => ({ valueType: "number", operator }) as Comparison;
      await expectValues(n({ op: "equals", value: 30 }), ["num_30", "num_30_0"]);
      await expectValues(n({ op: "notEquals", value: 30 }), without(NUMBERS, "num_30", "num_30_0"));
      await expectValues(n({ op: "gt", value: 30 }), ["num_30_5", "num_big", "num_precise"]);
      await expectValues(n({ op: "gte", value: 30 }), ["num_30", "num_30_0", "num_30_5", "num_big", "num_precise"]);
      await expectValues(n({ op: "lt", value: 0 }), ["num_neg", "num_negbig"]);
      await expectValues(n({ op: "lte", value: 0 }), ["num_neg", "num_negbig", "num_zero", "num_tiny"]);
      await expectValues(n({ op: "between", min: 0, max: 30 }), ["num_zero", "num_tiny", "num_float", "num_30", "num_30_0"]);
      await expectValues(n({ op: "equals", value: 0.1 + 0.2 }), ["num_float"]);
      await expectValues(n({ op: "equals", value: 0.3 }), []);
      await expectValues(n({ op: "equals", value: 0 }), ["num_zero", "num_tiny"]);
      await expectValues(n({ op: "equals", value: 9007199254740992 }), ["num_precise"]);
      await expectValues(n({ op: "gte", value: Number.MAX_VALUE }), ["num_big"]);
      await expectValues(n({ op: "lte", value: -Number.MAX_VALUE }), ["num_negbig"]);
    });

    it("boolean equals: only true and false", async () => {
      await expectValues({ valueType: "boolean", operator: { op: "equals", value: true } }, ["bool_true"]);
      await expectValues({ valueType: "boolean", operator: { op: "equals", value: false } }, ["bool_false"]);
    });

    it("list operators: arrays only, elements of the same JSON type and value", async () => {
      const l = (operator: object) => ({ valueType: "list", operator }) as Comparison;
      const lists = of("arr");
      await expectValues(l({ op: "contains", value: "a" }), ["arr_mixed"]);
      await expectValues(l({ op: "contains", value: 1 }), ["arr_mixed", "arr_float"]);
      await expectValues(l({ op: "contains", value: "1" }), ["arr_nested"]);
      await expectValues(l({ op: "contains", value: 2.5 }), ["arr_mixed"]);
      await expectValues(l({ op: "notContains", value: "a" }), without(lists, "arr_mixed"));
      await expectValues(l({ op: "containsAny", values: ["b", 2.5] }), ["arr_mixed"]);
      await expectValues(l({ op: "containsAny", values: ["zzz", 7] }), []);
      await expectValues(l({ op: "containsAny", values: ["1", 1] }), ["arr_mixed", "arr_nested", "arr_float"]);
      await expectValues(l({ op: "containsNone", values: ["a", "1"] }), ["arr_empty", "arr_float"]);
      await expectValues(l({ op: "isEmpty" }), ["arr_empty"]);
      await expectValues(l({ op: "isNotEmpty" }), without(lists, "arr_empty"));
    });

    it("exists / notExists: JSON null counts as missing", async () => {
      await expectValues({ valueType: "any", operator: { op: "exists" } }, without(Object.keys(VALUES), "null", "missing"));
      await expectValues({ valueType: "any", operator: { op: "notExists" } }, ["null", "missing"]);
    });

    it("dates only from strings in the date format", async () => {
      await expectValues({ valueType: "date", operator: { op: "before", value: "2026-11-02" } }, ["str_date"]);
      await expectValues({ valueType: "date", operator: { op: "after", value: "1970-01-01" } }, ["str_date"]);
    });

    it("no operator of any type raises an error or matches a value of another type", async () => {
      const typeOf = (name: string): string => {
        const json = VALUES[name];
        if (json === undefined) return "missing";
        const v: unknown = JSON.parse(json);
        return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
      };
      const fits: Record<string, string> = { string: "string", number: "number", boolean: "boolean", date: "string", list: "array" };
      for (const comparison of ALL_COMPARISONS) {
        if (comparison.valueType === "any") continue;
        const found = await matches(w, def(trait("traits.v", comparison)));
        for (const name of found) expect(typeOf(name), `${JSON.stringify(comparison)} matched ${name}`).toBe(fits[comparison.valueType]);
        // The same comparison deeper, through every kind of value in the middle.
        await matches(w, def(trait("traits.v.0.x", comparison)));
        await matches(w, def({ type: "event", event: "probe", where: [{ path: "v.a", ...comparison } as never], count: { op: "eq", value: 0 }, window: { kind: "ever" } }));
      }
    });
  });

  // -------------------------------------------------------------------------------------

  describe("trait paths", () => {
    let w: World;
    beforeAll(async () => {
      w = await world({
        nested: { traits: '{"a": {"b": "x"}}' },
        arr_mid: { traits: '{"a": [{"b": "x"}, "x"]}' },
        obj_num_key: { traits: '{"a": {"0": {"b": "x"}, "1": "x"}}' },
        space_key: { traits: '{"a": {" 1": "x", "-1": "x"}}' },
        arr_end: { traits: '{"a": ["x", "x"]}' },
        scalar_mid: { traits: '{"a": "x"}' },
        null_mid: { traits: '{"a": null}' },
        root_array: { traits: '["x", {"a": {"b": "x"}}]' },
        root_scalar: { traits: '"x"' },
        odd_keys: { traits: '{"my key": {"$x-y": "x"}, "constructor": "x"}' },
      });
    });
    const x = (field: string) => trait(field, { valueType: "string", operator: { op: "equals", value: "x" } });

    it("walks object keys only: arrays, scalars and null on the way are missing", async () => {
      await expectMatch(w, x("traits.a.b"), ["nested"]);
      await expectMatch(w, x("traits.a.0.b"), ["obj_num_key"]);
      await expectMatch(w, x("traits.a.1"), ["obj_num_key"]);
      await expectMatch(w, x("traits.a. 1"), ["space_key"]);
      await expectMatch(w, x("traits.a.-1"), ["space_key"]);
      await expectMatch(w, x("traits.0"), []);
      await expectMatch(w, x("traits.1.a.b"), []);
      await expectMatch(w, x("traits.a"), ["scalar_mid"]);
      await expectMatch(w, trait("traits.a.b", { valueType: "any", operator: { op: "notExists" } }), without(w.names, "nested"));
      await expectMatch(w, trait("traits.a.0", { valueType: "any", operator: { op: "exists" } }), ["obj_num_key"]);
      await expectMatch(w, trait("traits.a", { valueType: "list", operator: { op: "isNotEmpty" } }), ["arr_mid", "arr_end"]);
    });

    it("keys with spaces, $ and -, and no inherited keys", async () => {
      await expectMatch(w, x("traits.my key.$x-y"), ["odd_keys"]);
      await expectMatch(w, trait("traits.constructor", { valueType: "any", operator: { op: "exists" } }), ["odd_keys"]);
      await expectMatch(w, trait("traits.toString", { valueType: "any", operator: { op: "exists" } }), []);
      await expectMatch(w, trait("traits.__proto__", { valueType: "any", operator: { op: "exists" } }), []);
    });
  });

  // -------------------------------------------------------------------------------------

  describe("built-in fields", () => {
    let w: World;
    beforeAll(async () => {
      w = await world({
        de: { userId: "u-1", email: "a@example.com", country: "DE", locale: "de-DE", phone: "+49 30 1234", timezone: "Europe/Berlin" },
        fr: { userId: "u-2", email: "", country: "FR", traits: '{"country": "DE"}' },
        anonymous: { timezone: "2026-11-01" },
      });
    });

    it("read the columns; null is missing, an empty string is a string", async () => {
      const s = (field: string, operator: object) => trait(field, { valueType: "string", operator } as Comparison);
      await expectMatch(w, s("country", { op: "equals", value: "DE" }), ["de"]);
      await expectMatch(w, s("country", { op: "notEquals", value: "DE" }), ["fr"]);
      await expectMatch(w, s("traits.country", { op: "equals", value: "DE" }), ["fr"]);
      await expectMatch(w, s("userId", { op: "startsWith", value: "u-" }), ["de", "fr"]);
      await expectMatch(w, s("email", { op: "notContains", value: "@" }), ["fr"]);
      await expectMatch(w, s("phone", { op: "contains", value: " 30 " }), ["de"]);
      await expectMatch(w, s("locale", { op: "endsWith", value: "-DE" }), ["de"]);
      await expectMatch(w, s("timezone", { op: "in", values: ["Europe/Berlin", "UTC"] }), ["de"]);
      await expectMatch(w, s("userId", { op: "notIn", values: ["u-1"] }), ["fr"]);
      await expectMatch(w, trait("email", { valueType: "any", operator: { op: "exists" } }), ["de", "fr"]);
      await expectMatch(w, trait("email", { valueType: "any", operator: { op: "notExists" } }), ["anonymous"]);
    });

    it("other value types on built-ins: a string is never a number, boolean or list", async () => {
      await expectMatch(w, trait("country", { valueType: "number", operator: { op: "notEquals", value: 1 } }), []);
      await expectMatch(w, trait("country", { valueType: "boolean", operator: { op: "equals", value: false } }), []);
      await expectMatch(w, trait("country", { valueType: "list", operator: { op: "notContains", value: "x" } }), []);
      await expectMatch(w, trait("timezone", { valueType: "date", operator: { op: "before", value: "2026-11-02" } }), ["anonymous"]);
    });
  });

  // -------------------------------------------------------------------------------------

  describe("dates", () => {
    const DATES: Record<string, string | number> = {
      z: "2026-11-01T10:00:00Z",
      offset: "2026-11-01T12:00:00+02:00",
      offset_no_colon: "2026-11-01T12:00+0200",
      negative_offset: "2026-11-01T09:30:00-00:30",
      date_only: "2026-11-01",
      space: "2026-11-01 10:00:00.5Z",
      micro: "2026-11-01T10:00:00.123456",
      no_zone: "2026-11-01T10:00",
      leap: "2028-02-29",
      impossible: "2026-02-30",
      not_leap: "2027-02-29",
      year_0000: "0000-01-01",
      early_offset: "1969-12-31T23:00:00-01:00",
      too_early: "1969-12-31T23:59:59.999Z",
      last_ms: "2199-12-31T23:59:59.999Z",
      too_late: "2200-01-01",
      hour_24: "2026-11-01T24:00",
      offset_16: "2026-11-01T10:00+16:00",
      lower_z: "2026-11-01T10:00:00z",
      newline: "2026-11-01\n",
      arabic: "٢٠٢٦-11-01",
      number: 20261101,
      now: NOW.toISOString(),
      three_days: new Date(NOW.getTime() - 3 * DAY).toISOString(),
      three_days_1ms: new Date(NOW.getTime() - 3 * DAY - 1).toISOString(),
      future_1ms: new Date(NOW.getTime() + 1).toISOString(),
    };
    let w: World;
    beforeAll(async () => {
      w = await world(Object.fromEntries(Object.entries(DATES).map(([name, v]) => [name, { traits: JSON.stringify({ d: v }) }])));
    });
    const d = (operator: object) => trait("traits.d", { valueType: "date", operator } as Comparison);
    const at10 = ["z", "offset", "offset_no_colon", "negative_offset", "no_zone"];

    it("parses offsets, fractions and date-only values; impossible and out-of-range dates are not dates", async () => {
      await expectMatch(w, d({ op: "between", from: "2026-11-01T10:00:00Z", to: "2026-11-01T10:00:00.001Z" }), at10);
      await expectMatch(w, d({ op: "between", from: "2026-11-01T10:00:00.123Z", to: "2026-11-01T10:00:00.124Z" }), ["micro"]);
      await expectMatch(w, d({ op: "between", from: "2026-11-01T10:00:00.5Z", to: "2026-11-01T10:00:00.501Z" }), ["space"]);
      await expectMatch(w, d({ op: "before", value: "2026-11-01T10:00:00Z" }), ["date_only", "early_offset"]);
      await expectMatch(w, d({ op: "after", value: "2026-11-01T10:00:00Z" }), ["space", "micro", "leap", "last_ms", "now", "three_days", "three_days_1ms", "future_1ms"]);
      await expectMatch(w, d({ op: "before", value: "1970-01-01T00:00:00.001Z" }), ["early_offset"]);
      await expectMatch(w, d({ op: "after", value: "2199-12-31T23:59:59.998Z" }), ["last_ms"]);
    });

    it("between is from ≤ t < to", async () => {
      await expectMatch(w, d({ op: "between", from: "2026-11-01", to: "2026-11-01T10:00:00Z" }), ["date_only"]);
      await expectMatch(w, d({ op: "between", from: "2026-11-01T00:00:00.001Z", to: "2026-11-01T10:00:00.001Z" }), at10);
    });

    it("withinLast is now − amount ≤ t ≤ now, moreThanAgo is t < now − amount", async () => {
      await expectMatch(w, d({ op: "withinLast", amount: 3, unit: "days" }), ["now", "three_days"]);
      await expectMatch(w, d({ op: "withinLast", amount: 72, unit: "hours" }), ["now", "three_days"]);
      await expectMatch(w, d({ op: "withinLast", amount: 4320, unit: "minutes" }), ["now", "three_days"]);
      const past = without(Object.keys(DATES), ...["impossible", "not_leap", "year_0000", "too_early", "too_late", "hour_24", "offset_16", "lower_z", "newline", "arabic", "number"]);
      await expectMatch(w, d({ op: "moreThanAgo", amount: 3, unit: "days" }), without(past, "now", "three_days", "future_1ms", "last_ms", "leap"));
    });

    it("junction_parse_time agrees with parseDate", async () => {
      const samples = [
        ...Object.values(DATES).filter((v): v is string => typeof v === "string" && !v.startsWith("0000")),
        "2026-11-25",
        "2026-11-25T10:00:00Z",
        "2026-11-25T10:00:00.1Z",
        "2026-11-25T10:00:00.999999Z",
        "2026-11-25T23:59:59.999+15:59",
        "2026-11-25T00:00-15:59",
        "2026-11-25T10:00:00+0530",
        "2026-11-25T10:00:60Z",
        "2026-11-25T10:60",
        "2026-13-01",
        "2026-00-10",
        "2026-11-00",
        "2024-02-29",
        "2100-02-29",
        "2000-02-29",
        "1970-01-01",
        "2026-11-25T10",
        "2026-11-25T10:00:00.Z",
        "2026-11-25T10:00:00.1234567Z",
        "2026-11-25T10:00:00+02",
        " 2026-11-25",
        "2026-11-25 ",
        "2026-11-25TT10:00",
        "20261125",
        "",
        "x".repeat(50),
      ];
      const found = await t.db.$queryRawUnsafe<{ s: string; t: Date | null }[]>(`SELECT s, junction_parse_time(s) AS t FROM unnest($1::text[]) AS s`, samples);
      expect(found.map((r) => [r.s, r.t === null ? null : r.t.getTime()])).toEqual(samples.map((s) => [s, parseDate(s)]));
    });
  });

  // -------------------------------------------------------------------------------------

  describe("events", () => {
    const purchase = (offsetMs: number, properties?: object): EventSpec => ({ name: "purchase", at: at(offsetMs), properties: properties ? JSON.stringify(properties) : undefined });
    let w: World;
    beforeAll(async () => {
      w = await world({
        edge_last: { events: [purchase(-30 * DAY)] },
        just_out: { events: [purchase(-30 * DAY - 1)] },
        now: { events: [purchase(0)] },
        future: { events: [purchase(1)] },
        three: {
          events: [
            purchase(-DAY, { amount: 50, product: { category: "shoes" }, tags: ["sale"] }),
            purchase(-2 * DAY, { amount: 150, product: { category: "watches" }, paidAt: "2026-11-23T10:00:00+01:00" }),
            purchase(-3 * DAY, { amount: 200.5, product: { category: "watches" }, tags: ["sale", 1] }),
          ],
        },
        wrong_types: { events: [purchase(-DAY, { amount: "150", product: "watches", tags: "sale", paidAt: 20261123 }), purchase(-DAY, { amount: null, product: [{ category: "watches" }] })] },
        page: { events: [{ name: "purchase", type: "page", at: at(-DAY) }] },
        identify_only: { events: [{ name: null, type: "identify", at: at(-DAY), properties: '{"name": "purchase"}' }] },
        other_name: { events: [{ name: "Purchase", at: at(-DAY) }, { name: "purchase_completed", at: at(-DAY) }] },
        other_workspace: { events: [{ ...purchase(-DAY), otherWorkspace: true }] },
        between_edges: { events: [purchase(Date.parse("2026-10-01T00:00:00Z") - NOW.getTime()), purchase(Date.parse("2026-10-02T00:00:00Z") - NOW.getTime())] },
        between_end: { events: [purchase(Date.parse("2026-10-01T23:59:59.999Z") - NOW.getTime())] },
        none: {},
      });
    });
    type Count = { op: "gte" | "lte" | "eq"; value: number };
    const ev = (count: Count, window: object, where: object[] = []): SegmentNode => ({ type: "event", event: "purchase", where, count, window }) as SegmentNode;
    const everyone = () => w.names;

    it("windows: ever is t ≤ now, last is now − N ≤ t ≤ now, between is from ≤ t < to", async () => {
      const once = { op: "gte", value: 1 } as const;
      const recent = ["edge_last", "now", "three", "wrong_types", "page"];
      await expectMatch(w, ev(once, { kind: "ever" }), [...recent, "just_out", "between_edges", "between_end"]);
      await expectMatch(w, ev(once, { kind: "last", amount: 30, unit: "days" }), recent);
      await expectMatch(w, ev(once, { kind: "last", amount: 720, unit: "hours" }), recent);
      await expectMatch(w, ev(once, { kind: "last", amount: 1, unit: "minutes" }), ["now"]);
      await expectMatch(w, ev(once, { kind: "between", from: "2026-10-01", to: "2026-10-02" }), ["between_edges", "between_end"]);
      await expectMatch(w, ev(once, { kind: "between", from: "2026-10-01T00:00:00.001Z", to: "2026-10-02T00:00:00.001Z" }), ["between_edges", "between_end"]);
      await expectMatch(w, ev(once, { kind: "between", from: "2026-10-02", to: "2026-10-03" }), ["between_edges"]);
      // between is not cut at now.
      await expectMatch(w, ev(once, { kind: "between", from: NOW.toISOString(), to: "2026-11-26" }), ["now", "future"]);
    });

    it("counts: gte, lte (people without events included) and eq (eq 0 is did-not-do)", async () => {
      const ever = { kind: "ever" };
      await expectMatch(w, ev({ op: "gte", value: 3 }, ever), ["three"]);
      await expectMatch(w, ev({ op: "gte", value: 2 }, ever), ["three", "wrong_types", "between_edges"]);
      await expectMatch(w, ev({ op: "eq", value: 2 }, ever), ["wrong_types", "between_edges"]);
      await expectMatch(w, ev({ op: "gte", value: 0 }, ever), everyone());
      await expectMatch(w, ev({ op: "eq", value: 0 }, ever), ["future", "identify_only", "other_name", "other_workspace", "none"]);
      await expectMatch(w, ev({ op: "lte", value: 1 }, ever), without(everyone(), "three", "wrong_types", "between_edges"));
      await expectMatch(w, ev({ op: "lte", value: 0 }, { kind: "last", amount: 30, unit: "days" }), without(everyone(), "edge_last", "now", "three", "wrong_types", "page"));
      await expectMatch(w, ev({ op: "eq", value: 1_000_000 }, ever), []);
    });

    it("where filters on properties, with the same rules as traits", async () => {
      const ever = { kind: "ever" };
      const gte1 = { op: "gte", value: 1 } as const;
      await expectMatch(w, ev(gte1, ever, [{ path: "amount", valueType: "number", operator: { op: "gte", value: 100 } }]), ["three"]);
      await expectMatch(w, ev({ op: "eq", value: 2 }, ever, [{ path: "amount", valueType: "number", operator: { op: "gte", value: 100 } }]), ["three"]);
      await expectMatch(w, ev(gte1, ever, [{ path: "amount", valueType: "number", operator: { op: "notEquals", value: 50 } }]), ["three"]);
      await expectMatch(w, ev(gte1, ever, [{ path: "product.category", valueType: "string", operator: { op: "equals", value: "watches" } }]), ["three"]);
      await expectMatch(
        w,
        ev({ op: "eq", value: 1 }, ever, [
          { path: "product.category", valueType: "string", operator: { op: "equals", value: "watches" } },
          { path: "tags", valueType: "list", operator: { op: "contains", value: 1 } },
        ]),
        ["three"],
      );
      await expectMatch(w, ev(gte1, ever, [{ path: "tags", valueType: "list", operator: { op: "containsNone", values: [1] } }]), ["three"]);
      await expectMatch(w, ev(gte1, ever, [{ path: "paidAt", valueType: "date", operator: { op: "withinLast", amount: 3, unit: "days" } }]), ["three"]);
      await expectMatch(w, ev(gte1, ever, [{ path: "amount", valueType: "any", operator: { op: "notExists" } }]), ["just_out", "edge_last", "now", "page", "wrong_types", "between_edges", "between_end"]);
    });
  });

  // -------------------------------------------------------------------------------------

  describe("first seen, last seen, segments, buckets, groups", () => {
    let w: World;
    beforeAll(async () => {
      w = await world({
        new: { firstSeenAt: at(-7 * DAY), lastSeenAt: NOW, bucket: 0, segments: [{ id: "seg-vip" }], traits: '{"plan": "pro"}' },
        older: { firstSeenAt: at(-7 * DAY - 1), lastSeenAt: at(-1), bucket: 999, segments: [{ id: "seg-vip", exited: true }, { id: "seg-other" }], traits: '{"plan": "free"}' },
        old: { firstSeenAt: new Date("2025-01-01T00:00:00Z"), lastSeenAt: at(-30 * DAY), bucket: 1000, traits: '{"plan": null}' },
        last_bucket: { firstSeenAt: new Date("2026-11-01T00:00:00Z"), lastSeenAt: at(-8 * DAY), bucket: 9999 },
      });
    });

    it("firstSeen / lastSeen with every date operator", async () => {
      await expectMatch(w, { type: "firstSeen", operator: { op: "withinLast", amount: 7, unit: "days" } }, ["new"]);
      await expectMatch(w, { type: "firstSeen", operator: { op: "moreThanAgo", amount: 7, unit: "days" } }, ["older", "old", "last_bucket"]);
      await expectMatch(w, { type: "firstSeen", operator: { op: "before", value: "2026-11-01" } }, ["old"]);
      await expectMatch(w, { type: "firstSeen", operator: { op: "after", value: "2026-11-01" } }, ["new", "older"]);
      await expectMatch(w, { type: "firstSeen", operator: { op: "between", from: "2026-11-01", to: "2026-11-18T12:00:00Z" } }, ["last_bucket", "older"]);
      await expectMatch(w, { type: "lastSeen", operator: { op: "withinLast", amount: 1, unit: "minutes" } }, ["new", "older"]);
      await expectMatch(w, { type: "lastSeen", operator: { op: "moreThanAgo", amount: 30, unit: "days" } }, []);
      await expectMatch(w, { type: "lastSeen", operator: { op: "moreThanAgo", amount: 43199, unit: "minutes" } }, ["old"]);
    });

    it("segment in / notIn: current members only", async () => {
      await expectMatch(w, { type: "segment", op: "in", segmentId: "seg-vip" }, ["new"]);
      await expectMatch(w, { type: "segment", op: "notIn", segmentId: "seg-vip" }, ["older", "old", "last_bucket"]);
      await expectMatch(w, { type: "segment", op: "in", segmentId: "seg-unknown" }, []);
    });

    it("bucket: from ≤ bucket ≤ to", async () => {
      await expectMatch(w, { type: "bucket", from: 0, to: 999 }, ["new", "older"]);
      await expectMatch(w, { type: "bucket", from: 1000, to: 1000 }, ["old"]);
      await expectMatch(w, { type: "bucket", from: 999, to: 9999 }, ["older", "old", "last_bucket"]);
    });

    it("groups: empty and holds for everyone, empty or for no one, not negates, missing values never leak NULL", async () => {
      const pro = trait("traits.plan", { valueType: "string", operator: { op: "equals", value: "pro" } });
      const notPro = trait("traits.plan", { valueType: "string", operator: { op: "notEquals", value: "pro" } });
      await expectMatch(w, and(), w.names);
      await expectMatch(w, { type: "group", op: "or", children: [] }, []);
      await expectMatch(w, { type: "group", op: "and", not: true, children: [pro] }, ["older", "old", "last_bucket"]);
      await expectMatch(w, notPro, ["older"]);
      await expectMatch(w, { type: "group", op: "or", children: [pro, notPro] }, ["new", "older"]);
      await expectMatch(
        w,
        { type: "group", op: "or", children: [notPro, trait("traits.plan", { valueType: "any", operator: { op: "notExists" } })] },
        ["older", "old", "last_bucket"],
      );
      await expectMatch(
        w,
        {
          type: "group",
          op: "and",
          children: [
            { type: "group", op: "or", not: true, children: [pro, { type: "bucket", from: 9999, to: 9999 }] },
            { type: "group", op: "and", not: true, children: [{ type: "segment", op: "in", segmentId: "seg-other" }] },
          ],
        },
        ["old"],
      );
    });
  });

  // -------------------------------------------------------------------------------------

  describe("queries", () => {
    let w: World;
    beforeAll(async () => {
      w = await world(
        Object.fromEntries(
          Array.from({ length: 7 }, (_, i) => [
            `p${i}`,
            {
              userId: `user-${i}`,
              email: i % 2 === 0 ? `p${i}@example.com` : null,
              bucket: i * 1000,
              traits: JSON.stringify({ plan: i < 4 ? "pro" : "free", age: 20 + i }),
              events: i % 3 === 0 ? [{ name: "purchase", at: at(-DAY) }] : [],
            },
          ]),
        ),
      );
    });
    const definition: SegmentDefinition = {
      schemaVersion: SEGMENT_SCHEMA_VERSION,
      root: {
        type: "group",
        op: "or",
        children: [
          trait("traits.plan", { valueType: "string", operator: { op: "equals", value: "pro" } }),
          { type: "event", event: "purchase", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 7, unit: "days" } },
          trait("traits.age", { valueType: "number", operator: { op: "gt", value: 100 } }),
        ],
      },
    };

    it("conditionCountsQuery: total, matched and one column per top-level child", async () => {
      for (const strategy of STRATEGIES) {
        const [all] = await rows<ConditionCountsRow>(conditionCountsQuery(definition, { workspaceId: w.workspaceId, now: NOW, strategy }));
        expect(all).toEqual({ total: 7, matched: 5, c0: 4, c1: 3, c2: 0 });
        const negated = { ...definition, root: { ...definition.root, not: true } };
        const [not] = await rows<ConditionCountsRow>(conditionCountsQuery(negated, { workspaceId: w.workspaceId, now: NOW, strategy }));
        expect(not).toEqual({ total: 7, matched: 2, c0: 4, c1: 3, c2: 0 });
        const [empty] = await rows<ConditionCountsRow>(conditionCountsQuery(def(), { workspaceId: w.workspaceId, now: NOW, strategy }));
        expect(empty).toEqual({ total: 7, matched: 7 });
      }
    });

    it("membersQuery pages by id with user_id, email and traits", async () => {
      for (const strategy of STRATEGIES) {
        const pages: MemberRow[][] = [];
        let after: string | undefined;
        for (;;) {
          const page = await rows<MemberRow>(membersQuery(definition, { workspaceId: w.workspaceId, now: NOW, strategy, limit: 2, after }));
          if (page.length === 0) break;
          pages.push(page);
          after = page[page.length - 1]!.id;
        }
        expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(pages.flat()).toEqual(
          // (with the traits too, from which lists take a person's name)
          ["p0", "p1", "p2", "p3", "p6"].map((n) => expect.objectContaining({ id: w.id(n), user_id: `user-${n.slice(1)}`, email: Number(n.slice(1)) % 2 === 0 ? `${n}@example.com` : null, traits: expect.any(Object) })),
        );
      }
    });

    it("matchingIdsQuery only answers for the ids asked about", async () => {
      for (const strategy of STRATEGIES) {
        const found = await rows<{ id: string }>(
          matchingIdsQuery(definition, { workspaceId: w.workspaceId, now: NOW, strategy, profileIds: [w.id("p0"), w.id("p5"), w.id("p6"), "nobody", "a\u0000b"] }),
        );
        expect(found.map((r) => r.id)).toEqual([w.id("p0"), w.id("p6")]);
        expect(await rows(matchingIdsQuery(definition, { workspaceId: w.workspaceId, now: NOW, strategy, profileIds: [] }))).toEqual([]);
      }
    });

    it("rejects invalid definitions instead of compiling them", () => {
      const bad = { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.a'b", valueType: "any", operator: { op: "exists" } }] } };
      expect(() => countQuery(bad as SegmentDefinition, { workspaceId: w.workspaceId, now: NOW })).toThrow(/invalid segment definition/);
    });
  });

  // -------------------------------------------------------------------------------------

  describe("hostile input", () => {
    const HOSTILE = [
      "'); DROP TABLE profiles; --",
      "' OR '1'='1",
      'a"b',
      "back\\slash\\",
      "$1::text",
      "{a,b}",
      "NULL",
      "50%_off",
      "\\x00",
      "Zoë 𝄞 日本 \u200b",
      "E'\\n'",
      "$$ $tag$",
      "*/ /*",
    ];
    let w: World;
    beforeAll(async () => {
      w = await world({
        ...Object.fromEntries(
          HOSTILE.map((s, i) => [
            `h${i}`,
            { traits: JSON.stringify({ v: s, tags: [s], "key $-x": { " y": s } }), country: s, events: [{ name: s, at: at(-DAY), properties: JSON.stringify({ v: s }) }] },
          ]),
        ),
        plain: { traits: '{"v": "plain"}' },
      });
    });

    it("every value is a parameter, matches literally and never raises", async () => {
      for (const [i, s] of HOSTILE.entries()) {
        const nodes: SegmentNode[] = [
          trait("traits.v", { valueType: "string", operator: { op: "equals", value: s } }),
          trait("country", { valueType: "string", operator: { op: "in", values: [s, "zzz"] } }),
          trait("traits.key $-x. y", { valueType: "string", operator: { op: "endsWith", value: s } }),
          trait("traits.tags", { valueType: "list", operator: { op: "containsAny", values: [s, 12] } }),
          { type: "event", event: s, where: [{ path: "v", valueType: "string", operator: { op: "startsWith", value: s } }], count: { op: "gte", value: 1 }, window: { kind: "ever" } },
        ];
        for (const node of nodes) {
          // (Not for the two that are also plain SQL: "IS NOT NULL", "$1::text".)
          if (s !== "NULL" && s !== "$1::text") {
            for (const strategy of STRATEGIES) expect(countQuery(def(node), { workspaceId: w.workspaceId, now: NOW, strategy }).sql).not.toContain(s);
          }
          const found = await matches(w, def(node));
          // A value that is also part of another hostile string (contains, endsWith) may match that one too.
          expect(found).toContain(`h${i}`);
          for (const name of found) expect(name === "plain" ? "" : HOSTILE[Number(name.slice(1))]!).toContain(s);
        }
        await expectMatch(w, trait("traits.v", { valueType: "string", operator: { op: "contains", value: s } }), HOSTILE.flatMap((h, j) => (h.includes(s) ? [`h${j}`] : [])));
      }
      // LIKE wildcards mean nothing.
      await expectMatch(w, trait("traits.v", { valueType: "string", operator: { op: "contains", value: "%" } }), [`h${HOSTILE.indexOf("50%_off")}`]);
      await expectMatch(w, trait("traits.v", { valueType: "string", operator: { op: "startsWith", value: "_" } }), []);
      expect(await t.db.profile.count({ where: { workspaceId: w.workspaceId } })).toBe(HOSTILE.length + 1);
    });

    it("strings Postgres cannot hold (NUL, lone surrogates) are refused before any SQL is made", () => {
      for (const s of ["a\u0000b", "\u0000", "\ud800", "x\udc00"]) {
        for (const node of [
          trait("traits.v", { valueType: "string", operator: { op: "equals", value: s } }),
          trait("traits.v", { valueType: "string", operator: { op: "notIn", values: [s, "plain"] } }),
          trait("traits.tags", { valueType: "list", operator: { op: "containsNone", values: [s] } }),
          { type: "event", event: s, where: [], count: { op: "eq", value: 0 }, window: { kind: "ever" } } as SegmentNode,
        ]) {
          expect(validate(def(node)).ok).toBe(false);
          expect(() => countQuery(def(node), { workspaceId: w.workspaceId, now: NOW })).toThrow();
        }
      }
    });
  });
});

/** One comparison of every operator of every type, for the no-errors sweep. */
const ALL_COMPARISONS: Comparison[] = [
  { valueType: "any", operator: { op: "exists" } },
  { valueType: "any", operator: { op: "notExists" } },
  ...(["equals", "notEquals", "contains", "notContains", "startsWith", "endsWith"] as const).map((op) => ({ valueType: "string" as const, operator: { op, value: "pro" } })),
  { valueType: "string", operator: { op: "in", values: ["pro", "30"] } },
  { valueType: "string", operator: { op: "notIn", values: ["pro", "30"] } },
  ...(["equals", "notEquals", "gt", "gte", "lt", "lte"] as const).map((op) => ({ valueType: "number" as const, operator: { op, value: 30 } })),
  { valueType: "number", operator: { op: "between", min: -1e300, max: 1e300 } },
  { valueType: "boolean", operator: { op: "equals", value: true } },
  { valueType: "boolean", operator: { op: "equals", value: false } },
  { valueType: "date", operator: { op: "before", value: "2199-01-01" } },
  { valueType: "date", operator: { op: "after", value: "1970-01-01" } },
  { valueType: "date", operator: { op: "between", from: "1970-01-01", to: "2199-01-01" } },
  { valueType: "date", operator: { op: "withinLast", amount: 100_000, unit: "days" } },
  { valueType: "date", operator: { op: "moreThanAgo", amount: 1, unit: "minutes" } },
  { valueType: "list", operator: { op: "contains", value: "a" } },
  { valueType: "list", operator: { op: "notContains", value: 1 } },
  { valueType: "list", operator: { op: "containsAny", values: ["a", 1] } },
  { valueType: "list", operator: { op: "containsNone", values: ["a", 1] } },
  { valueType: "list", operator: { op: "isEmpty" } },
  { valueType: "list", operator: { op: "isNotEmpty" } },
];
