import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { bucketOf } from "@/lib/profiles/bucket";
import { compileEvaluator, type EvalEvent, type EvalInput, type EvalProfile } from "@/lib/segments/evaluate";
import { SEGMENT_SCHEMA_VERSION, validate, type Condition, type SegmentDefinition, type SegmentNode } from "@/lib/segments/schema";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { matchingIdsQuery, type EventStrategy } from "./compile-sql";
import { comparisonArbitrary, subscriptionAnswersArbitrary, subscriptionConditionArbitrary } from "@/lib/segments/arbitraries";
import { subscribedGroups } from "@/lib/consent/schema";
import { loadPeople } from "./people";
import { countFromSets } from "./exact-sets";
import { bumpDataVersionPrisma } from "@/server/workspaces/data-version";

/**
 * Parity: the in-memory evaluator and the SQL compiler must agree on every profile, for a
 * table of hand-written definitions and for thousands of generated ones, against real
 * Postgres. PARITY_RUNS raises the number of generated definitions (the bench runs 100,000).
 */

const RUNS = Number(process.env.PARITY_RUNS ?? 2_000);
const NOW = new Date("2026-11-25T12:00:00.000Z");
const DAY = 86_400_000;

// A small vocabulary, so that generated conditions often hit something.
const STRINGS = ["DE", "FR", "pro", "free", "", "de", "Ber lin", "O'Reilly", "50%_off", "ä\\x", "2026-11-20", "2026-11-20T10:00:00+02:00", "2026-02-30"];
const NUMBERS = [-1, 0, 0.5, 1, 3, 42, 100.25, 1e9];
const KEYS = ["plan", "country", "age", "vip", "tags", "signup", "nested", "score"];
const EVENTS = ["purchase", "app_open", "email_opened", "page_view"];
const TIMES = [0, 1, 60_000, 3_600_000, DAY - 1, DAY, DAY + 1, 7 * DAY, 7 * DAY + 1, 30 * DAY, 30 * DAY + 1, 90 * DAY, -60_000];
// Subscription groups: one of each mode in the workspace, one of another workspace (people may
// even hold answers for it: they count for nothing here) and one that does not exist.
const GROUPS = [
  { id: "grp_out", mode: "opt_out" },
  { id: "grp_in", mode: "opt_in" },
];
const FOREIGN_GROUP = "grp_foreign";
const ANSWERED_GROUPS = [...GROUPS.map((g) => g.id), FOREIGN_GROUP];

const jsonValue = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.constantFrom(...NUMBERS),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS), fc.boolean()), { maxLength: 3 }),
  fc.record({ city: fc.constantFrom(...STRINGS), score: fc.constantFrom(...NUMBERS) }, { requiredKeys: [] }),
);

const traitsArb = fc.dictionary(fc.constantFrom(...KEYS), jsonValue, { maxKeys: 6 });
const eventArb = fc.record({
  name: fc.constantFrom(...EVENTS),
  ago: fc.constantFrom(...TIMES),
  properties: fc.dictionary(fc.constantFrom("amount", "product", "tags", "nested"), jsonValue, { maxKeys: 3 }),
});
const profileArb = fc.record({
  userId: fc.option(fc.constantFrom("u1", "u2", "DE"), { nil: null }),
  email: fc.option(fc.constantFrom("a@example.com", "b@example.org", ""), { nil: null }),
  country: fc.option(fc.constantFrom("DE", "FR", "de"), { nil: null }),
  traits: traitsArb,
  firstAgo: fc.constantFrom(...TIMES),
  lastAgo: fc.constantFrom(...TIMES),
  events: fc.array(eventArb, { maxLength: 8 }),
  segments: fc.subarray(["seg_a", "seg_b"]),
  answers: subscriptionAnswersArbitrary(ANSWERED_GROUPS),
});

// Definitions -------------------------------------------------------------------------------

const dateArb = fc.constantFrom("2026-11-20", "2026-11-24T12:00:00Z", "2026-10-26T12:00:00.000Z", "2026-11-25T14:00:00+02:00", "2025-01-01");
const amountArb = fc.constantFrom(1, 7, 30, 90);
const unitArb = fc.constantFrom("minutes" as const, "hours" as const, "days" as const);
const dateOperator = fc.oneof(
  fc.record({ op: fc.constantFrom("before" as const, "after" as const), value: dateArb }),
  fc
    .tuple(dateArb, dateArb, fc.constantFrom("between" as const, "notBetween" as const))
    .filter(([a, b]) => Date.parse(a) < Date.parse(b))
    .map(([from, to, op]) => ({ op, from, to })),
  fc.record({ op: fc.constantFrom("withinLast" as const, "moreThanAgo" as const), amount: amountArb, unit: unitArb }),
);
// Comparisons also use other cases of the stored strings (ignoreCase folds A–Z only: "Ä" stays).
const comparison = comparisonArbitrary({ strings: [...STRINGS, "Pro", "dE", "PRO", "FREE", "Ä\\X"], numbers: NUMBERS, dateOperator });
const fieldArb = fc.oneof(
  fc.constantFrom("userId" as const, "email" as const, "country" as const, "timezone" as const),
  fc.constantFrom(...KEYS).map((k) => `traits.${k}`),
  fc.constant("traits.nested.city"),
  fc.constant("traits.tags.0"),
);
const windowArb = fc.oneof(
  fc.constant({ kind: "ever" as const }),
  fc.record({ kind: fc.constant("last" as const), amount: amountArb, unit: unitArb }),
  fc.tuple(dateArb, dateArb).filter(([a, b]) => Date.parse(a) < Date.parse(b)).map(([from, to]) => ({ kind: "between" as const, from, to })),
);
const conditionArb: fc.Arbitrary<Condition> = fc.oneof(
  fc.tuple(fieldArb, comparison).map(([field, c]) => ({ type: "trait", field, ...c }) as Condition),
  fc
    .record({
      event: fc.constantFrom(...EVENTS),
      where: fc.array(fc.tuple(fc.constantFrom("amount", "product", "tags", "nested.city"), comparison).map(([path, c]) => ({ path, ...c })), { maxLength: 2 }),
      count: fc.record({ op: fc.constantFrom("gte" as const, "lte" as const, "eq" as const), value: fc.constantFrom(0, 1, 2, 3) }),
      window: windowArb,
    })
    .map((e) => ({ type: "event", ...e }) as Condition),
  fc.record({ type: fc.constantFrom("firstSeen" as const, "lastSeen" as const), operator: dateOperator }) as fc.Arbitrary<Condition>,
  fc.record({ type: fc.constant("segment" as const), op: fc.constantFrom("in" as const, "notIn" as const), segmentId: fc.constantFrom("seg_a", "seg_b") }),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 9999 })).map(([a, b]) => ({ type: "bucket" as const, from: Math.min(a, b), to: Math.max(a, b) })),
  subscriptionConditionArbitrary([...ANSWERED_GROUPS, "grp_gone"]),
);
const nodeArb: fc.Arbitrary<SegmentNode> = fc.letrec<{ node: SegmentNode; group: SegmentNode }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, conditionArb, tie("group")),
  group: fc.record({
    type: fc.constant("group" as const),
    op: fc.constantFrom("and" as const, "or" as const),
    not: fc.boolean(),
    children: fc.array(tie("node"), { maxLength: 4 }),
  }),
})).node;
const definitionArb = fc
  .record({ op: fc.constantFrom("and" as const, "or" as const), not: fc.boolean(), children: fc.array(nodeArb, { minLength: 1, maxLength: 4 }) })
  .map((root) => ({ schemaVersion: SEGMENT_SCHEMA_VERSION, root: { type: "group" as const, ...root } }) as SegmentDefinition)
  .filter((d) => validate(d).ok);

// -------------------------------------------------------------------------------------------

describe("evaluator ↔ SQL ↔ sets parity", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  const inputs: EvalInput[] = [];

  beforeAll(async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    workspaceId = workspace.id;
    const segmentIds = ["seg_a", "seg_b"];
    for (const id of segmentIds) await t.db.segment.create({ data: { id, workspaceId, name: id, definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [] } } } });
    for (const g of GROUPS) await t.db.subscriptionGroup.create({ data: { ...g, workspaceId, name: g.id, channel: "email", purpose: "marketing" } });
    const other = await createWorkspaceWith(t.db);
    await t.db.subscriptionGroup.create({ data: { id: FOREIGN_GROUP, workspaceId: other.workspace.id, name: FOREIGN_GROUP, channel: "email", mode: "opt_out", purpose: "marketing" } });
    const generated = fc.sample(profileArb, { numRuns: 80, seed: 42 });
    for (const [i, g] of generated.entries()) {
      const id = `p${String(i).padStart(3, "0")}`;
      const profile: EvalProfile = {
        id,
        userId: g.userId ? `${g.userId}-${i}` : null,
        email: g.email,
        phone: null,
        timezone: i % 3 === 0 ? "Europe/Berlin" : null,
        locale: null,
        country: g.country,
        traits: g.traits as Record<string, unknown>,
        bucket: bucketOf(id),
        firstSeenAt: new Date(NOW.getTime() - Math.max(g.firstAgo, g.lastAgo)),
        lastSeenAt: new Date(NOW.getTime() - Math.min(g.firstAgo, g.lastAgo)),
      };
      const events: EvalEvent[] = g.events.map((e) => ({ name: e.name, timestamp: new Date(NOW.getTime() - e.ago), properties: e.properties as Record<string, unknown> }));
      await t.db.profile.create({
        data: {
          id,
          workspaceId,
          userId: profile.userId,
          email: profile.email,
          timezone: profile.timezone,
          country: profile.country,
          traits: profile.traits as object,
          bucket: profile.bucket,
          firstSeenAt: profile.firstSeenAt,
          lastSeenAt: profile.lastSeenAt,
        },
      });
      if (events.length) {
        await t.db.event.createMany({
          data: events.map((e, j) => ({
            workspaceId,
            profileId: id,
            messageId: `${id}-${j}`,
            type: "track",
            name: e.name,
            properties: e.properties as object,
            timestamp: e.timestamp,
            receivedAt: e.timestamp,
          })),
        });
      }
      for (const segmentId of g.segments) await t.db.segmentMembership.create({ data: { segmentId, profileId: id, enteredAt: NOW } });
      if (g.answers.length) await t.db.subscriptionState.createMany({ data: g.answers.map((a) => ({ profileId: id, ...a, updatedAt: NOW })) });
      inputs.push({ profile, events, memberships: new Set(g.segments), subscriptions: subscribedGroups(GROUPS, g.answers) });
    }
    // Written directly, not through ingestion: the workspace's counters are set here (exact counts from sets read them).
    await bumpDataVersionPrisma(t.db, workspaceId, { changes: inputs.length, profiles: inputs.length });
  });

  /** The exact count from per-condition sets (big workspaces), each set held whichever way round `flip` says. */
  async function setsCount(definition: SegmentDefinition, flip: number): Promise<number> {
    const mostlyMatch = definition.root.children.map((_, i) => ((flip >> i) & 1) === 1);
    return (await countFromSets(t.db, { workspaceId, definition, now: NOW, mostlyMatch, timeoutMs: 30_000, workMem: "16MB" })).exact;
  }

  async function sqlMatches(definition: SegmentDefinition, strategy: EventStrategy): Promise<string[]> {
    const query = matchingIdsQuery(definition, { workspaceId, now: NOW, strategy, profileIds: inputs.map((i) => i.profile.id) });
    const rows = await t.db.$queryRawUnsafe<{ id: string }[]>(query.sql, ...query.params);
    return rows.map((r) => r.id).sort();
  }

  function memoryMatches(definition: SegmentDefinition): string[] {
    const matches = compileEvaluator(definition, NOW);
    return inputs.filter((input) => matches(input)).map((i) => i.profile.id).sort();
  }

  it("the profiles stored are the profiles evaluated", async () => {
    expect(await t.db.profile.count({ where: { workspaceId } })).toBe(inputs.length);
  });

  it("the people loader (samples, re-deciding after ingest, \"why\") reads the same subscriptions", async () => {
    const loaded = await loadPeople(t.db, workspaceId, { ids: inputs.map((i) => i.profile.id) });
    for (const input of inputs) expect([...loaded.get(input.profile.id)!.subscriptions].sort(), input.profile.id).toEqual([...input.subscriptions].sort());
    // Every kind of answer occurs: the cases below are not vacuous.
    const answers = await t.db.subscriptionState.groupBy({ by: ["groupId", "subscribed"], _count: { _all: true } });
    expect(answers.length).toBe(6);
  });

  const t1 = (field: string, valueType: string, operator: Record<string, unknown>) => ({ type: "trait", field, valueType, operator }) as SegmentNode;
  const ev = (event: string, op: string, value: number, window: Record<string, unknown>, where: unknown[] = []) =>
    ({ type: "event", event, where, count: { op, value }, window }) as SegmentNode;
  const HAND_WRITTEN: [string, SegmentNode[]][] = [
    ["country is DE", [t1("country", "string", { op: "equals", value: "DE" })]],
    ["plan is not pro (needs a plan)", [t1("traits.plan", "string", { op: "notEquals", value: "pro" })]],
    ["age between 0 and 42", [t1("traits.age", "number", { op: "between", min: 0, max: 42 })]],
    ["some trait is a non-empty list", [{ type: "group", op: "or", children: KEYS.map((k) => t1(`traits.${k}`, "list", { op: "isNotEmpty" })) } as SegmentNode]],
    ["nested city exists", [t1("traits.nested.city", "any", { op: "exists" })]],
    ["signup within the last 30 days (dates in traits)", [t1("traits.signup", "date", { op: "withinLast", amount: 30, unit: "days" })]],
    ["purchase ≥ 1 in the last 7 days", [ev("purchase", "gte", 1, { kind: "last", amount: 7, unit: "days" })]],
    ["did not open the app ever", [ev("app_open", "eq", 0, { kind: "ever" })]],
    ["email_opened ≥ 2 and purchase = 0", [ev("email_opened", "gte", 2, { kind: "ever" }), ev("purchase", "eq", 0, { kind: "ever" })]],
    ["purchase with amount > 1 in 30 days", [ev("purchase", "gte", 1, { kind: "last", amount: 30, unit: "days" }, [{ path: "amount", valueType: "number", operator: { op: "gt", value: 1 } }])]],
    ["last seen more than 7 days ago", [{ type: "lastSeen", operator: { op: "moreThanAgo", amount: 7, unit: "days" } } as SegmentNode]],
    ["in seg_a but not seg_b", [{ type: "segment", op: "in", segmentId: "seg_a" } as SegmentNode, { type: "segment", op: "notIn", segmentId: "seg_b" } as SegmentNode]],
    ["bucket 0–4999", [{ type: "bucket", from: 0, to: 4999 } as SegmentNode]],
    ["unsubscribed from an opt-out group (said no)", [{ type: "subscription", op: "unsubscribed", groupId: "grp_out" } as SegmentNode]],
    ["subscribed to an opt-out group (said yes, or nothing)", [{ type: "subscription", op: "subscribed", groupId: "grp_out" } as SegmentNode]],
    ["subscribed to an opt-in group (said yes)", [{ type: "subscription", op: "subscribed", groupId: "grp_in" } as SegmentNode]],
    ["not subscribed to an opt-in group, or to another workspace's group", [
      { type: "group", op: "or", children: [{ type: "subscription", op: "unsubscribed", groupId: "grp_in" }, { type: "subscription", op: "subscribed", groupId: FOREIGN_GROUP }] } as SegmentNode,
    ]],
    ["in both groups, and DE", [
      { type: "subscription", op: "subscribed", groupId: "grp_out" } as SegmentNode,
      { type: "group", op: "or", children: [{ type: "subscription", op: "subscribed", groupId: "grp_in" }, t1("country", "string", { op: "equals", value: "DE" })] } as SegmentNode,
    ]],
    ["not subscribed to a group that does not exist (everyone) minus bucket", [
      { type: "subscription", op: "unsubscribed", groupId: "grp_gone" } as SegmentNode,
      { type: "bucket", from: 0, to: 6999 } as SegmentNode,
    ]],
    ["plan is not pro, people without a plan included", [t1("traits.plan", "string", { op: "notEquals", value: "pro", includeMissing: true })]],
    ["country is De, ignoring case", [t1("country", "string", { op: "equals", value: "De", ignoreCase: true })]],
    ["country does not start with d, ignoring case", [t1("country", "string", { op: "notStartsWith", value: "d", ignoreCase: true })]],
    ["plan is an empty string or missing", [t1("traits.plan", "string", { op: "isEmpty", includeMissing: true })]],
    ["score not between 0 and 42", [t1("traits.score", "number", { op: "notBetween", min: 0, max: 42 })]],
    ["age is 0 or 42", [t1("traits.age", "number", { op: "in", values: [0, 42] })]],
    ["some trait's list holds all of DE (twice asked)", [{ type: "group", op: "or", children: KEYS.map((k) => t1(`traits.${k}`, "list", { op: "containsAll", values: ["DE", "DE"] })) } as SegmentNode]],
    ["signup not in November, or no signup", [t1("traits.signup", "date", { op: "notBetween", from: "2026-11-01", to: "2026-12-01", includeMissing: true })]],
    ["not (DE or active in 24 h)", [{ type: "group", op: "or", not: true, children: [t1("country", "string", { op: "equals", value: "DE" }), ev("app_open", "gte", 1, { kind: "last", amount: 24, unit: "hours" })] } as SegmentNode]],
  ];

  it.each(HAND_WRITTEN)("hand-written: %s", async (_name, children) => {
    const definition = { schemaVersion: SEGMENT_SCHEMA_VERSION, root: { type: "group", op: "and", children } } as SegmentDefinition;
    expect(validate(definition).ok).toBe(true);
    const expected = memoryMatches(definition);
    // Every case splits the profiles: an answer of "nobody" or "everyone" would prove little.
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(inputs.length);
    expect(await sqlMatches(definition, "aggregate")).toEqual(expected);
    expect(await sqlMatches(definition, "correlated")).toEqual(expected);
    expect(await setsCount(definition, 0)).toBe(expected.length);
    expect(await setsCount(definition, 0b1111)).toBe(expected.length);
  });

  it(`agrees on ${RUNS} generated definitions, with both event strategies`, async () => {
    let split = 0; // definitions that match some profiles but not all: the ones that tell anything
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(definitionArb, fc.nat(15), async (definition, flip) => {
        const expected = memoryMatches(definition);
        runs += 1;
        if (expected.length > 0 && expected.length < inputs.length) split += 1;
        expect(await sqlMatches(definition, "aggregate")).toEqual(expected);
        expect(await sqlMatches(definition, "correlated")).toEqual(expected);
        expect(await setsCount(definition, flip)).toBe(expected.length);
      }),
      { numRuns: RUNS, seed: Number(process.env.PARITY_SEED ?? 20261125) },
    );
    console.info(`parity: ${runs} definitions, ${split} split the profiles`);
    expect(split / runs).toBeGreaterThan(0.3);
  }, 600_000);
});
