import pg from "pg";
import fc from "fast-check";
import { TRPCError } from "@trpc/server";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { emptyDefinition, type SegmentDefinition } from "@/lib/segments/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { ingestBatch } from "@/server/ingest/service";
import { insertApiKey } from "@/server/keys/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { postTrpc } from "@/server/test/trpc-http";
import { refreshSegment, reevaluateProfiles } from "./membership";
import { handleProfileSegments, handleSegmentCount, segmentDefinitionJsonSchema } from "./http";
import { cancelPreview, estimateCount, exactCount, PreviewCancelled } from "./preview";
import { createSegment } from "./service";
import { queueSegmentRefresh } from "@/server/jobs/worker";

vi.mock("@/server/jobs/worker", () => ({ queueSegmentRefresh: vi.fn(async () => {}) }));

const createCaller = createCallerFactory(appRouter);

/** The paths of a tRPC validation error ("definition.root.children.0.op"). */
function issuePaths(error: unknown): string[] {
  const cause = (error as TRPCError).cause as { issues?: { path: PropertyKey[] }[] } | undefined;
  return (cause?.issues ?? []).map((i) => i.path.map(String).join("."));
}
const DAY = 86_400_000;

const country = (value: string): SegmentDefinition => ({
  schemaVersion: 1,
  root: { type: "group", op: "and", children: [{ type: "trait", field: "country", valueType: "string", operator: { op: "equals", value } }] },
});
const activeWithin = (days: number): SegmentDefinition => ({
  schemaVersion: 1,
  root: { type: "group", op: "and", children: [{ type: "event", event: "app_open", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: days, unit: "days" } }] },
});

describe("saved segments, membership and the segment API", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let secretKey: string;

  function callerAs(role: "viewer" | "marketer" | "admin") {
    const user = role === "admin" ? ws.admin : ws.members.find((m) => m.role === role)!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, role), headers: new Headers() };
    return createCaller(ctx);
  }

  async function ingest(raws: Record<string, unknown>[], receivedAt = new Date()) {
    const items = raws.map((raw) => {
      const parsed = parseMessage(raw);
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt };
    });
    await ingestBatch(t.db, { workspaceId: ws.workspace.id, items });
  }

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer", "marketer"]);
    secretKey = (await insertApiKey(t.db, { workspaceId: ws.workspace.id, name: "s", kind: "secret", createdById: ws.admin.id })).raw;
    const now = Date.now();
    const people = Array.from({ length: 30 }, (_, i) => ({ id: `person-${i}`, country: i % 3 === 0 ? "DE" : "FR" }));
    await ingest(people.map((p) => ({ type: "identify", userId: p.id, traits: { country: p.country }, messageId: `${p.id}-id`, timestamp: new Date(now - 20 * DAY).toISOString() })));
    // Half of them opened the app 2 days ago.
    await ingest(people.filter((_, i) => i % 2 === 0).map((p) => ({ type: "track", userId: p.id, event: "app_open", messageId: `${p.id}-open`, timestamp: new Date(now - 2 * DAY).toISOString() })));
  });

  afterEach(() => vi.restoreAllMocks());

  it("marketers save segments (audited), viewers may only read and preview", async () => {
    const marketer = callerAs("marketer");
    const { id } = await marketer.segments.create({ name: "  Germany ", definition: country("DE") });
    const saved = await callerAs("viewer").segments.get({ id });
    expect(saved).toMatchObject({ name: "Germany", definition: country("DE"), dependents: [] });
    expect(await t.db.auditLogEntry.count({ where: { workspaceId: ws.workspace.id, action: "segment.created", targetId: id } })).toBe(1);

    await expect(callerAs("viewer").segments.create({ name: "x", definition: country("DE") })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerAs("viewer").segments.update({ id, name: "x", definition: country("FR") })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await callerAs("viewer").segments.estimate({ definition: country("DE") })).exact).toBe(10);

    await marketer.segments.update({ id, name: "Germany (DE)", definition: country("DE") });
    const list = await callerAs("viewer").segments.list({ search: "germany" });
    expect(list.items.map((s) => s.name)).toContain("Germany (DE)");
  });

  it("an invalid definition is refused with the path of the bad node, and nothing is saved", async () => {
    const before = await t.db.segment.count();
    const bad = { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "country", valueType: "string", operator: { op: "equals", value: 3 } }] } };
    const error = await callerAs("marketer").segments.create({ name: "Bad", definition: bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect(issuePaths(error)).toEqual(["definition.root.children.0.operator.value"]);
    expect(await t.db.segment.count()).toBe(before);
  });

  it("refuses cycles at save time and deleting a segment others use, naming them", async () => {
    const marketer = callerAs("marketer");
    const a = await marketer.segments.create({ name: "A", definition: country("DE") });
    const refersTo = (id: string): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "segment", op: "in", segmentId: id }] } });
    const b = await marketer.segments.create({ name: "B uses A", definition: refersTo(a.id) });
    await expect(marketer.segments.update({ id: a.id, name: "A", definition: refersTo(b.id) })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/cannot include itself/) });
    await expect(marketer.segments.update({ id: a.id, name: "A", definition: refersTo(a.id) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(marketer.segments.create({ name: "C", definition: refersTo("nope") })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/does not exist/) });

    await expect(marketer.segments.delete({ id: a.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/B uses A/) });
    expect((await marketer.segments.get({ id: a.id })).dependents).toEqual([{ id: b.id, name: "B uses A" }]);
    // Archiving is refused the same way while a live segment uses it, with nothing changed…
    await expect(marketer.segments.setArchived({ id: a.id, archived: true })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/“B uses A”.*Change those first/) });
    expect((await t.db.segment.findUniqueOrThrow({ where: { id: a.id } })).archivedAt).toBeNull();
    // …and allowed once the user is archived too; the list can show both, marked.
    await marketer.segments.setArchived({ id: b.id, archived: true });
    await marketer.segments.setArchived({ id: a.id, archived: true });
    const live = await marketer.segments.list({});
    expect(live.items.map((i) => i.id)).not.toContain(a.id);
    const all = await marketer.segments.list({ includeArchived: true });
    expect(all.items.filter((i) => [a.id, b.id].includes(i.id)).every((i) => i.archivedAt !== null)).toBe(true);
    expect(all.items.length).toBe(live.items.length + 2);
    await marketer.segments.delete({ id: b.id });
    await marketer.segments.delete({ id: a.id });
    expect(await t.db.auditLogEntry.count({ where: { action: "segment.deleted", targetId: { in: [a.id, b.id] } } })).toBe(2);
  });

  it("a live segment's membership is queued for a refresh after every change (archived ones are not)", async () => {
    const marketer = callerAs("marketer");
    const queued = vi.mocked(queueSegmentRefresh);
    const step = async (change: () => Promise<unknown>) => {
      queued.mockClear();
      await change();
      return queued.mock.calls.map(([, segmentId]) => segmentId);
    };
    const created = await marketer.segments.create({ name: "Queued", definition: country("DE") });
    const { id } = created;
    expect(await step(() => marketer.segments.update({ id, name: "Queued", definition: country("FR") }))).toEqual([id]);
    expect(await step(() => marketer.segments.setArchived({ id, archived: true }))).toEqual([]);
    expect(await step(() => marketer.segments.setArchived({ id, archived: false }))).toEqual([id]);
    expect(await step(() => marketer.segments.delete({ id }))).toEqual([]);
    // A refused change queues nothing.
    expect(await step(() => marketer.segments.delete({ id }).catch(() => {}))).toEqual([]);
  });

  it("two segments updated at the same moment to refer to each other: one is refused, no cycle is stored", async () => {
    const refersTo = (id: string): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "segment", op: "in", segmentId: id }] } });
    const marketer = viewerFor(ws.members.find((m) => m.role === "marketer")!.user, ws.workspace, "marketer");
    for (let round = 0; round < 6; round++) {
      const caller = callerAs("marketer");
      const a = await caller.segments.create({ name: `Cycle A${round}`, definition: country("DE") });
      const b = await caller.segments.create({ name: `Cycle B${round}`, definition: country("FR") });
      const results = await Promise.all([
        postTrpc(t.db, marketer, "segments.update", { id: a.id, name: `Cycle A${round}`, definition: refersTo(b.id) }),
        postTrpc(t.db, marketer, "segments.update", { id: b.id, name: `Cycle B${round}`, definition: refersTo(a.id) }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
      // Both can still be deleted: the one that refers first, then the other.
      const [stayed] = results[0]!.status === 200 ? [a, b] : [b, a];
      await caller.segments.delete({ id: stayed!.id });
      await caller.segments.delete({ id: (stayed === a ? b : a).id });
    }
  });

  it("materialises membership: entries, exits as time passes, size history", async () => {
    const segment = await createSegment(t.db, { workspaceId: ws.workspace.id, actor: { userId: ws.admin.id, label: "admin" }, name: "Active this week", description: "", definition: activeWithin(7) });
    const now = new Date();
    expect(await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: segment.id, now })).toEqual({ size: 15, entered: 15, exited: 0 });
    // Nothing changed: nothing enters or leaves again.
    expect(await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: segment.id, now })).toEqual({ size: 15, entered: 0, exited: 0 });
    // Six days later they are all inactive for a week.
    const later = new Date(now.getTime() + 6 * DAY);
    expect(await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: segment.id, now: later })).toEqual({ size: 0, entered: 0, exited: 15 });
    expect(await t.db.segmentMembership.count({ where: { segmentId: segment.id, exitedAt: { not: null } } })).toBe(15);
    const history = await t.db.segmentSizeHistory.findMany({ where: { segmentId: segment.id }, orderBy: { day: "asc" } });
    expect(history.map((h) => [h.size, h.entered, h.exited])).toEqual(now.getUTCDate() === later.getUTCDate() ? [[0, 15, 15]] : [[15, 15, 0], [0, 0, 15]]);
    expect((await t.db.segment.findUniqueOrThrow({ where: { id: segment.id } })).size).toBe(0);
  });

  it("re-decides saved segments in memory after ingest, and the read API lists a person's segments", async () => {
    const segment = await createSegment(t.db, { workspaceId: ws.workspace.id, actor: { userId: ws.admin.id, label: "admin" }, name: "Opened today", description: "", definition: activeWithin(1) });
    await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: segment.id, now: new Date() });
    expect((await t.db.segment.findUniqueOrThrow({ where: { id: segment.id } })).size).toBe(0);

    await ingest([{ type: "track", userId: "person-1", event: "app_open", messageId: "person-1-open-now" }]);
    const profile = await t.db.profile.findFirstOrThrow({ where: { workspaceId: ws.workspace.id, userId: "person-1" } });
    const started = performance.now();
    await reevaluateProfiles(t.db, { workspaceId: ws.workspace.id, profileIds: [profile.id], now: new Date() });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await t.db.segmentMembership.findMany({ where: { segmentId: segment.id, exitedAt: null }, select: { profileId: true } })).toEqual([{ profileId: profile.id }]);
    expect((await t.db.segment.findUniqueOrThrow({ where: { id: segment.id } })).size).toBe(1);

    const res = await handleProfileSegments(new Request("http://x/api/v1/profiles/person-1/segments", { headers: { authorization: `Bearer ${secretKey}` } }), "person-1");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { segments: { id: string; name: string; enteredAt: string }[] };
    expect(body.segments.map((s) => s.name)).toContain("Opened today");
    const opened = body.segments.find((s) => s.name === "Opened today")!;
    expect(new Date(opened.enteredAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(body).not.toHaveProperty("history");
    // With its history: every entry and exit, newest first, with the cause, a page at a time.
    const get = (query: string) =>
      handleProfileSegments(new Request(`http://x/api/v1/profiles/person-1/segments?${query}`, { headers: { authorization: `Bearer ${secretKey}` } }), "person-1");
    const withHistory = (await (await get("history=true")).json()) as { history: { segmentName: string; change: string; cause: string; at: string }[]; historyNext: string | null };
    expect(withHistory.history.find((h) => h.segmentName === "Opened today")).toMatchObject({ change: "entered", cause: "event" });
    expect([...withHistory.history].sort((a, b) => b.at.localeCompare(a.at))).toEqual(withHistory.history);
    const firstPage = (await (await get("history=true&historyLimit=1")).json()) as { history: unknown[]; historyNext: string | null };
    expect(firstPage.history).toHaveLength(1);
    if (withHistory.history.length > 1) {
      const second = (await (await get(`history=true&historyLimit=1&historyBefore=${firstPage.historyNext}`)).json()) as { history: unknown[] };
      expect(second.history[0]).toEqual(withHistory.history[1]);
    }
    for (const bad of ["history=maybe", "history=true&historyLimit=0", "history=true&historyBefore=abc"]) {
      const res = await get(bad);
      expect(res.status, bad).toBe(400);
    }
    expect((await handleProfileSegments(new Request("http://x", { headers: { authorization: `Bearer ${secretKey}` } }), "nobody")).status).toBe(404);
    expect((await handleProfileSegments(new Request("http://x"), "person-1")).status).toBe(401);
  });

  it("counts small workspaces exactly, with a zero-width interval", async () => {
    const now = new Date();
    const estimate = await estimateCount(t.db, { workspaceId: ws.workspace.id, definition: country("DE"), now });
    const exact = await exactCount(t.db, { workspaceId: ws.workspace.id, definition: country("DE"), now });
    expect(exact.exact).toBe(10);
    expect(estimate).toMatchObject({ estimate: 10, exact: 10, low: 10, high: 10, total: 30, sampled: 1 });
    expect(estimate.conditions).toEqual([{ estimate: 10, exact: 10 }]);
  });

  it("POST /api/v1/segments/count answers like the docs say", async () => {
    const post = (body: unknown, key: string | null = secretKey) =>
      handleSegmentCount(
        new Request("http://x/api/v1/segments/count", {
          method: "POST",
          headers: key ? { authorization: `Bearer ${key}` } : {},
          body: typeof body === "string" ? body : JSON.stringify(body),
        }),
      );
    const ok = await post({ definition: country("DE") });
    expect(ok.status).toBe(200);
    const answer = await ok.json();
    expect(answer).toMatchObject({ estimate: 10, low: 10, high: 10, exact: 10, behind: 0, ms: expect.any(Number) });
    expect(Math.abs(Date.parse(answer.asOf) - Date.now())).toBeLessThan(10_000);
    expect((await post({ definition: emptyDefinition() }).then((r) => r.json())) as object).toMatchObject({ exact: 30 });
    expect((await post({ definition: country("DE") }, null)).status).toBe(401);
    expect((await post("{nope")).status).toBe(400);
    const bad = await post({ definition: { schemaVersion: 1, root: { type: "group", op: "xor", children: [] } } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ path: ["definition", "root", "op"] }] });
  });

  it("10,000 random, partly invalid definitions: a validation error naming the path, or a result — never a 500, never an SQL error", async () => {
    const errors = vi.spyOn(console, "error");
    const caller = callerAs("viewer");
    const leaf = fc.oneof(
      fc.record({ type: fc.constantFrom("trait", "event", "bucket", "segment", "lastSeen", "group", "nope"), field: fc.constantFrom("country", "traits.plan", "traits.a..b", "traits.x'); DROP TABLE profiles; --", "email", 3) }, { requiredKeys: ["type"] }),
      fc.record({ type: fc.constant("trait"), field: fc.constantFrom("country", "traits.plan", "traits.a b", "nope"), valueType: fc.constantFrom("string", "number", "date", "list", "any", "boolean", "object"), operator: fc.record({ op: fc.constantFrom("equals", "gt", "between", "in", "withinLast", "exists", "contains", "drop"), value: fc.anything(), values: fc.array(fc.anything(), { maxLength: 3 }), min: fc.anything(), max: fc.anything(), amount: fc.anything(), unit: fc.constantFrom("days", "weeks"), from: fc.anything(), to: fc.anything() }, { requiredKeys: ["op"] }) }),
      fc.record({ type: fc.constant("event"), event: fc.oneof(fc.string(), fc.constant("app_open")), where: fc.anything(), count: fc.record({ op: fc.constantFrom("gte", "eq", "lt"), value: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double()) }), window: fc.oneof(fc.constant({ kind: "ever" }), fc.record({ kind: fc.constantFrom("last", "between", "forever"), amount: fc.anything(), unit: fc.constantFrom("days", "hours", "years"), from: fc.string(), to: fc.string() })) }),
      fc.record({ type: fc.constant("bucket"), from: fc.integer({ min: -5, max: 10_005 }), to: fc.integer({ min: -5, max: 10_005 }) }),
      fc.anything(),
    );
    const definitionArb = fc.record(
      { schemaVersion: fc.constantFrom(1, 1, 1, 2, "1"), root: fc.record({ type: fc.constantFrom("group", "group", "trait"), op: fc.constantFrom("and", "or", "nand"), not: fc.anything(), children: fc.array(fc.oneof(leaf, fc.record({ type: fc.constant("group"), op: fc.constant("and"), children: fc.array(leaf, { maxLength: 2 }) })), { maxLength: 3 }) }, { requiredKeys: ["type"] }) },
      { requiredKeys: [] },
    );
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(definitionArb, async (definition) => {
        try {
          await caller.segments.estimate({ definition });
          valid += 1;
        } catch (error) {
          expect(error).toBeInstanceOf(TRPCError);
          expect((error as TRPCError).code).toBe("BAD_REQUEST");
          for (const path of issuePaths(error)) expect(path).toMatch(/^definition/);
        }
      }),
      { numRuns: 9_000 },
    );
    await fc.assert(
      fc.asyncProperty(definitionArb, async (definition) => {
        const res = await handleSegmentCount(new Request("http://x", { method: "POST", headers: { authorization: `Bearer ${secretKey}` }, body: JSON.stringify({ definition }) }));
        expect([200, 400]).toContain(res.status);
        const body = (await res.json()) as { errors?: { path: unknown[] }[] };
        if (res.status === 400) expect(body.errors?.[0]?.path[0]).toBe("definition");
      }),
      { numRuns: 1_000 },
    );
    expect(valid).toBeGreaterThan(50); // the generator also produces definitions that run
    expect(errors).not.toHaveBeenCalled();
  }, 300_000);

  it("serves the definition format as JSON Schema", () => {
    const schema = segmentDefinitionJsonSchema() as Record<string, unknown>;
    expect(schema.$schema).toMatch(/2020-12/);
    const text = JSON.stringify(schema);
    for (const word of ["schemaVersion", "withinLast", "containsAny", "firstSeen", "bucket", "segmentId", "subscription", "groupId", "unsubscribed"]) expect(text).toContain(word);
  });

  it("overlap of saved segments, who is in a cell, why a person matches, trait keys and the list's sparkline and 'used by'", async () => {
    const marketer = callerAs("marketer");
    const now = new Date();
    const a = await marketer.segments.create({ name: "Overlap DE", definition: country("DE") });
    const b = await marketer.segments.create({ name: "Overlap app users", definition: activeWithin(3) });
    for (const s of [a, b]) await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: s.id, now });
    const both: SegmentDefinition = { schemaVersion: 1, root: { type: "group", op: "and", children: [...country("DE").root.children, ...activeWithin(3).root.children] } };
    const either: SegmentDefinition = { schemaVersion: 1, root: { ...both.root, op: "or" } };
    const [inBoth, inEither, inA, inB] = await Promise.all([both, either, country("DE"), activeWithin(3)].map((d) => exactCount(t.db, { workspaceId: ws.workspace.id, definition: d, now })));
    expect(inBoth!.exact).toBeGreaterThan(0);

    const overlap = await callerAs("viewer").segments.overlap({ ids: [a.id, b.id] });
    expect(overlap.segments.map((s) => s.name)).toEqual(["Overlap DE", "Overlap app users"]);
    expect(overlap.pairs).toEqual([
      [inA!.exact, inBoth!.exact],
      [inBoth!.exact, inB!.exact],
    ]);
    expect(overlap.none).toBe(overlap.total - inEither!.exact);
    const cell = await callerAs("viewer").segments.overlapMembers({ a: a.id, b: b.id, limit: 100 });
    expect(cell.items).toHaveLength(inBoth!.exact);
    await expect(callerAs("viewer").segments.overlap({ ids: [a.id] })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    const person = await t.db.profile.findFirstOrThrow({ where: { workspaceId: ws.workspace.id, userId: "person-3" } });
    const why = await callerAs("viewer").segments.explain({ profileId: person.id, definition: both });
    expect(why.match).toBe(false); // person-3 (DE) did not open the app in the last 3 days
    expect(why.trace.children?.map((c) => [c.holds, c.seen])).toEqual([
      [true, "DE"],
      [false, 0],
    ]);
    await expect(callerAs("viewer").segments.explain({ profileId: "nobody", definition: both })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const theirs = await callerAs("viewer").segments.forProfile({ profileId: person.id });
    expect(theirs.map((s) => s.name)).toContain("Overlap DE");
    expect(theirs.find((s) => s.name === "Overlap DE")!.explanation!.match).toBe(true);

    const keys = await callerAs("viewer").segments.traitKeys();
    expect(keys.find((k) => k.key === "country")).toMatchObject({ types: ["string"], topValues: expect.arrayContaining(["DE", "FR"]) });
    // The built-in country field is suggested too (the profile column, not only the trait).
    expect((await callerAs("viewer").segments.fieldValues()).country).toEqual(expect.arrayContaining(["DE", "FR"]));

    const refersToA = await marketer.segments.create({ name: "Refers to DE", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "segment", op: "in", segmentId: a.id }] } } });
    const list = await callerAs("viewer").segments.list({ search: "Overlap" });
    const rowA = list.items.find((s) => s.id === a.id)!;
    expect(rowA.usedBy).toEqual([{ id: refersToA.id, name: "Refers to DE" }]);
    expect(rowA.history.map((h) => h.size)).toEqual([inA!.exact]);
  });

  it("previews are cancelled in Postgres: by a newer one with the same key, by the builder's next estimate, by an aborted request", async () => {
    // A lock held elsewhere makes every count wait, so each one is still running when cancelled.
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    const waiting = async (n: number) => {
      await vi.waitFor(async () => {
        await blocker.query("SELECT pg_stat_clear_snapshot()"); // activity is read once per transaction otherwise
        const { rows } = await blocker.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT count(*)%'");
        expect(rows[0].n).toBe(n);
      });
    };
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE");
      const workspaceId = ws.workspace.id;
      const now = new Date();

      const first = exactCount(t.db, { workspaceId, definition: country("DE"), now, stream: "tab-1" });
      await waiting(1);
      const second = exactCount(t.db, { workspaceId, definition: country("FR"), now, stream: "tab-1" });
      await expect(first).rejects.toBeInstanceOf(PreviewCancelled);
      await waiting(1);

      // The builder's next estimate (another definition) cancels the exact count still running; the same one does not.
      const viewer = callerAs("viewer");
      await cancelPreview("tab-1:exact", country("FR"));
      await waiting(1);
      const estimate = viewer.segments.estimate({ definition: country("AT"), key: "tab-1-key" });
      // Its rejection may arrive while cancelPreview is still waiting on I/O: take it as a value at once.
      const exactForTab = exactCount(t.db, { workspaceId, definition: country("FR"), now, stream: "tab-1-key" }).catch((error: unknown) => error);
      await waiting(3); // second, the tab's exact, and the estimate (a small workspace is counted in SQL)
      void estimate.catch(() => {});
      await cancelPreview("tab-1-key:exact", country("AT"));
      expect(await exactForTab).toBeInstanceOf(PreviewCancelled);

      const controller = new AbortController();
      const aborted = exactCount(t.db, { workspaceId, definition: country("DE"), now, signal: controller.signal });
      await waiting(3);
      controller.abort();
      await expect(aborted).rejects.toBeInstanceOf(PreviewCancelled);

      await blocker.query("ROLLBACK");
      expect((await second).exact).toBe((await exactCount(t.db, { workspaceId, definition: country("FR"), now })).exact);
      expect((await estimate).exact).toBe(0);
    } finally {
      await blocker.query("ROLLBACK").catch(() => {});
      await blocker.end();
    }
  });
});
