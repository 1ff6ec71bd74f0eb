import { beforeAll, describe, expect, it } from "vitest";
import type { EnrollmentState } from "@/lib/journeys/interpret";
import { parseMessage, type Message } from "@/lib/ingest/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { isUniqueViolation } from "@/server/db/errors";
import { decodeKeyset } from "@/server/db/keyset";
import { ingestMessage } from "@/server/ingest/service";
import { createJourney } from "@/server/journeys/service";
import { deletePerson, exportPerson } from "@/server/profiles/gdpr";
import { findProfileById } from "@/server/profiles/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { journeyListStats, journeyNodeStats, peopleAtNode, profileJourneys } from "./stats";

const createCaller = createCallerFactory(appRouter);
const NOW = new Date("2026-12-10T12:00:00.000Z");
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function message(raw: Record<string, unknown>): Message {
  const parsed = parseMessage(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.message;
}

const stateAt = (at: string | null, wakeAt: string | null = null): EnrollmentState => ({
  enteredAt: NOW.toISOString(),
  at,
  wakeAt,
  waitingForEvent: false,
  visits: {},
  correlation: null,
});

describe("journey stats: the list's columns, the live overlay and who waits where", () => {
  const t = useTestDatabase();
  type Ws = Awaited<ReturnType<typeof createWorkspaceWith>>;
  let a: Ws;
  let b: Ws;

  beforeAll(async () => {
    a = await createWorkspaceWith(t.db, ["viewer"]);
    b = await createWorkspaceWith(t.db);
  });

  const actor = (ws: Ws) => ({ userId: ws.admin.id, label: ws.admin.email });

  /** A journey with frozen versions 1..n (rows written directly: the stats read what the runtime writes). */
  async function journeyWith(ws: Ws, name: string, versions = 1) {
    const { id } = await createJourney(t.db, { workspaceId: ws.workspace.id, actor: actor(ws), name });
    for (let v = 1; v <= versions; v++) await t.db.journeyVersion.create({ data: { journeyId: id, version: v, definition: {} } });
    await t.db.journey.update({ where: { id }, data: { status: "live", liveVersion: versions } });
    return id;
  }

  let seq = 0;
  async function person(ws: Ws, fields: { userId?: string | null; email?: string | null; traits?: object } = {}) {
    seq++;
    return t.db.profile.create({
      data: {
        workspaceId: ws.workspace.id,
        userId: fields.userId === undefined ? `user-${seq}` : fields.userId,
        email: fields.email ?? null,
        traits: fields.traits ?? {},
        bucket: seq % 10_000,
        firstSeenAt: ago(30 * DAY),
        lastSeenAt: ago(DAY),
      },
    });
  }

  interface Enroll {
    journeyId: string;
    profileId: string;
    version?: number;
    status?: "active" | "completed" | "exited" | "converted";
    nodeId?: string | null;
    key?: string;
    enteredAt?: Date;
    updatedAt?: Date;
    convertedAt?: Date | null;
    wakeAt?: string | null;
    holdout?: boolean;
    exitReason?: string | null;
    id?: string;
  }
  async function enroll(ws: Ws, e: Enroll) {
    const status = e.status ?? "active";
    const nodeId = e.nodeId === undefined ? (status === "active" ? "wait" : null) : e.nodeId;
    return t.db.journeyEnrollment.create({
      data: {
        ...(e.id ? { id: e.id } : {}),
        workspaceId: ws.workspace.id,
        journeyId: e.journeyId,
        version: e.version ?? 1,
        profileId: e.profileId,
        correlationKey: e.key ?? "",
        status,
        nodeId,
        state: stateAt(nodeId, e.wakeAt ?? null) as object,
        holdout: e.holdout ?? false,
        enteredAt: e.enteredAt ?? ago(DAY),
        updatedAt: e.updatedAt ?? ago(DAY),
        endedAt: status === "active" ? null : ago(DAY / 2),
        convertedAt: e.convertedAt ?? (status === "converted" ? ago(DAY / 2) : null),
        exitReason: status === "active" ? null : (e.exitReason ?? (status === "converted" ? "goal" : status === "completed" ? "completed" : "exit_criteria")),
      },
    });
  }

  async function exits(journeyId: string, version: number, rows: [nodeId: string, exit: string, shard: number, count: number][]) {
    await t.db.journeyExitCount.createMany({ data: rows.map(([nodeId, exit, shard, count]) => ({ journeyId, version, nodeId, exit, shard, count: BigInt(count) })) });
  }

  it("journeyListStats: in it now, entered in 7 days and converted ÷ entered, for several journeys in one query, per workspace", async () => {
    const busy = await journeyWith(a, "List busy", 2);
    const empty = await journeyWith(a, "List empty");
    const foreign = await journeyWith(b, "List foreign");
    const people = await Promise.all(Array.from({ length: 8 }, () => person(a)));
    const p = (i: number) => people[i]!.id;
    await enroll(a, { journeyId: busy, profileId: p(0), enteredAt: ago(DAY) }); // active, recent
    await enroll(a, { journeyId: busy, profileId: p(1), enteredAt: ago(10 * DAY) }); // active, old
    await enroll(a, { journeyId: busy, profileId: p(2), version: 2, nodeId: "send", enteredAt: ago(7 * DAY - 1000) }); // active, recent (just inside)
    await enroll(a, { journeyId: busy, profileId: p(3), status: "completed", enteredAt: ago(7 * DAY + 1000) }); // just outside
    await enroll(a, { journeyId: busy, profileId: p(4), status: "converted", enteredAt: ago(2 * DAY) });
    await enroll(a, { journeyId: busy, profileId: p(5), status: "completed", convertedAt: ago(DAY), enteredAt: ago(20 * DAY) }); // converted after it ended
    await enroll(a, { journeyId: busy, profileId: p(6), status: "exited", enteredAt: ago(3 * DAY) });
    await enroll(a, { journeyId: busy, profileId: p(7), status: "exited", holdout: true, enteredAt: ago(30 * DAY) });
    const stranger = await person(b);
    await enroll(b, { journeyId: foreign, profileId: stranger.id });

    const stats = await journeyListStats(t.db, a.workspace.id, [busy, empty, foreign, busy], { now: NOW });
    expect([...stats.keys()].sort()).toEqual([busy, empty, foreign].sort());
    expect(stats.get(busy)).toEqual({ inNow: 3, entered7d: 4, converted: 2, conversionRate: 2 / 8 });
    expect(stats.get(empty)).toEqual({ inNow: 0, entered7d: 0, converted: 0, conversionRate: null });
    // Another workspace's journey reads as nobody, never as its numbers.
    expect(stats.get(foreign)).toEqual({ inNow: 0, entered7d: 0, converted: 0, conversionRate: null });
    expect((await journeyListStats(t.db, b.workspace.id, [foreign], { now: NOW })).get(foreign)).toEqual({ inNow: 1, entered7d: 1, converted: 0, conversionRate: 0 });
    expect((await journeyListStats(t.db, a.workspace.id, [])).size).toBe(0);
  });

  it("journeyNodeStats: entered, waiting per node, exits summed over shards, by version or all versions", async () => {
    const id = await journeyWith(a, "Overlay", 2);
    const people = await Promise.all(Array.from({ length: 7 }, () => person(a)));
    const p = (i: number) => people[i]!.id;
    await enroll(a, { journeyId: id, profileId: p(0), nodeId: "wait" });
    await enroll(a, { journeyId: id, profileId: p(1), nodeId: "wait" });
    await enroll(a, { journeyId: id, profileId: p(2), nodeId: "wait", version: 2 });
    await enroll(a, { journeyId: id, profileId: p(3), nodeId: "__proto__", version: 2 });
    await enroll(a, { journeyId: id, profileId: p(4), status: "completed" });
    await enroll(a, { journeyId: id, profileId: p(5), status: "converted", version: 2 });
    await enroll(a, { journeyId: id, profileId: p(6), status: "exited", convertedAt: ago(DAY) });
    await exits(id, 1, [
      ["trigger", "next", 0, 4],
      ["trigger", "next", 3, 1],
      ["wait", "event", 0, 1],
      ["wait", "timeout", 5, 1],
      ["branch", "yes", 0, 0],
    ]);
    await exits(id, 2, [
      ["trigger", "next", 1, 3],
      ["wait", "timeout", 0, 1],
    ]);

    const all = await journeyNodeStats(t.db, { workspaceId: a.workspace.id, journeyId: id });
    expect(all).toEqual({
      version: null,
      entered: 7,
      inNow: 4,
      completed: 1,
      exited: 1,
      converted: 2,
      nodes: {
        ["__proto__"]: { waiting: 1, exits: {} },
        branch: { waiting: 0, exits: { yes: 0 } },
        trigger: { waiting: 0, exits: { next: 8 } },
        wait: { waiting: 3, exits: { event: 1, timeout: 2 } },
      },
    });
    // "__proto__" is an own key, not the prototype.
    expect(Object.getPrototypeOf(all.nodes)).toBe(Object.prototype);
    expect(Object.keys(all.nodes)).toContain("__proto__");

    expect(await journeyNodeStats(t.db, { workspaceId: a.workspace.id, journeyId: id, version: 1 })).toEqual({
      version: 1,
      entered: 4,
      inNow: 2,
      completed: 1,
      exited: 1,
      converted: 1,
      nodes: {
        branch: { waiting: 0, exits: { yes: 0 } },
        trigger: { waiting: 0, exits: { next: 5 } },
        wait: { waiting: 2, exits: { event: 1, timeout: 1 } },
      },
    });
    const v2 = await journeyNodeStats(t.db, { workspaceId: a.workspace.id, journeyId: id, version: 2 });
    expect(v2).toMatchObject({ version: 2, entered: 3, inNow: 2, completed: 0, exited: 0, converted: 1 });
    expect(v2.nodes.wait).toEqual({ waiting: 1, exits: { timeout: 1 } });
    expect(v2.nodes.trigger).toEqual({ waiting: 0, exits: { next: 3 } });

    // Nobody inside yet: zeros, no nodes.
    const fresh = await journeyWith(a, "Overlay fresh");
    expect(await journeyNodeStats(t.db, { workspaceId: a.workspace.id, journeyId: fresh })).toEqual({ version: null, entered: 0, inNow: 0, completed: 0, exited: 0, converted: 0, nodes: {} });

    // Another workspace cannot read it.
    await expect(journeyNodeStats(t.db, { workspaceId: b.workspace.id, journeyId: id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("peopleAtNode: who waits at a node now, newest arrival first, in keyset pages, with name, ids, key and wake time", async () => {
    const id = await journeyWith(a, "People");
    const ada = await person(a, { userId: "ada", email: "ada@example.com", traits: { first_name: "Ada", last_name: "Lovelace" } });
    const bob = await person(a, { userId: "bob", email: "bob@example.com" });
    const anon = await person(a, { userId: null });
    const cy = await person(a, { userId: "cy" });
    const dee = await person(a, { userId: "dee" });
    const elsewhere = await person(a, { userId: "elsewhere" });
    const done = await person(a, { userId: "done" });
    const tie = ago(2 * DAY);
    await enroll(a, { journeyId: id, profileId: ada.id, updatedAt: ago(DAY), enteredAt: ago(3 * DAY), wakeAt: "2026-12-11T09:00:00.000Z", key: "order-1", holdout: true });
    await enroll(a, { journeyId: id, profileId: bob.id, updatedAt: tie, id: "enr-b" });
    await enroll(a, { journeyId: id, profileId: anon.id, updatedAt: tie, id: "enr-c" });
    await enroll(a, { journeyId: id, profileId: cy.id, updatedAt: ago(3 * DAY) });
    await enroll(a, { journeyId: id, profileId: dee.id, updatedAt: ago(4 * DAY) });
    await enroll(a, { journeyId: id, profileId: elsewhere.id, nodeId: "send" });
    await enroll(a, { journeyId: id, profileId: done.id, status: "completed" });

    const page = (cursor: string | null) =>
      peopleAtNode(t.db, { workspaceId: a.workspace.id, journeyId: id, nodeId: "wait", limit: 2, cursor: cursor ? decodeKeyset(cursor, "text") : null });
    const first = await page(null);
    expect(first.people).toEqual([
      {
        enrollmentId: expect.any(String),
        profileId: ada.id,
        userId: "ada",
        email: "ada@example.com",
        name: "Ada Lovelace",
        correlationKey: "order-1",
        version: 1,
        holdout: true,
        enteredAt: ago(3 * DAY),
        since: ago(DAY),
        wakeAt: new Date("2026-12-11T09:00:00.000Z"),
      },
      expect.objectContaining({ enrollmentId: "enr-c", profileId: anon.id, userId: null, email: null, name: null, since: tie, wakeAt: null }),
    ]);
    expect(first.nextCursor).not.toBeNull();
    const second = await page(first.nextCursor);
    // Equal arrival times are ordered by enrollment id (descending), so a tie never repeats or skips anyone.
    expect(second.people.map((p) => p.profileId)).toEqual([bob.id, cy.id]);
    const third = await page(second.nextCursor);
    expect(third.people.map((p) => p.profileId)).toEqual([dee.id]);
    expect(third.nextCursor).toBeNull();

    expect((await peopleAtNode(t.db, { workspaceId: a.workspace.id, journeyId: id, nodeId: "send", limit: 10 })).people.map((p) => p.userId)).toEqual(["elsewhere"]);
    expect(await peopleAtNode(t.db, { workspaceId: a.workspace.id, journeyId: id, nodeId: "nowhere", limit: 10 })).toEqual({ people: [], nextCursor: null });
    await expect(peopleAtNode(t.db, { workspaceId: b.workspace.id, journeyId: id, nodeId: "wait", limit: 10 })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("the router: a viewer reads stats, list stats and people at a node (cursor round trip); other workspaces get NOT_FOUND", async () => {
    const id = await journeyWith(a, "Router");
    for (let i = 0; i < 3; i++) await enroll(a, { journeyId: id, profileId: (await person(a)).id, updatedAt: ago((i + 1) * DAY) });
    await exits(id, 1, [["trigger", "next", 0, 3]]);
    const viewer = a.members.find((m) => m.role === "viewer")!.user;
    const caller = createCaller({ db: t.db, viewer: viewerFor(viewer, a.workspace, "viewer"), headers: new Headers() } satisfies Context);
    expect(await caller.journeys.stats({ id })).toMatchObject({ entered: 3, inNow: 3, nodes: { wait: { waiting: 3 }, trigger: { exits: { next: 3 } } } });
    expect(await caller.journeys.listStats({ ids: [id] })).toEqual({ [id]: { inNow: 3, entered7d: 3, converted: 0, conversionRate: 0 } });
    const first = await caller.journeys.peopleAt({ id, nodeId: "wait", limit: 2 });
    expect(first.people).toHaveLength(2);
    const rest = await caller.journeys.peopleAt({ id, nodeId: "wait", limit: 2, cursor: first.nextCursor });
    expect(rest).toMatchObject({ people: [expect.anything()], nextCursor: null });
    await expect(caller.journeys.peopleAt({ id, nodeId: "wait", cursor: "garbage!" })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    const outsider = createCaller({ db: t.db, viewer: viewerFor(b.admin, b.workspace, "admin"), headers: new Headers() } satisfies Context);
    await expect(outsider.journeys.stats({ id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(outsider.journeys.peopleAt({ id, nodeId: "wait" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("a person's journeys: current first, then the latest ended, with the entered version's phase; only their workspace's", async () => {
    const nudge = await journeyWith(a, "Profile nudge");
    await t.db.journeyVersion.update({ where: { journeyId_version: { journeyId: nudge, version: 1 } }, data: { definition: { settings: { phase: "consideration" } } } });
    const cart = await journeyWith(a, "Profile cart");
    const someone = await person(a);
    const old = await enroll(a, { journeyId: cart, profileId: someone.id, status: "converted", enteredAt: ago(9 * DAY) });
    const now = await enroll(a, { journeyId: nudge, profileId: someone.id, enteredAt: ago(2 * DAY) });
    const list = await profileJourneys(t.db, { workspaceId: a.workspace.id, profileId: someone.id });
    expect(list.map((j) => [j.enrollmentId, j.journeyName, j.status, j.phase])).toEqual([
      [now.id, "Profile nudge", "active", "consideration"],
      [old.id, "Profile cart", "converted", null],
    ]);
    const viewer = a.members.find((m) => m.role === "viewer")!.user;
    const caller = createCaller({ db: t.db, viewer: viewerFor(viewer, a.workspace, "viewer"), headers: new Headers() } satisfies Context);
    expect(await caller.journeys.ofProfile({ profileId: someone.id })).toHaveLength(2);
    const outsider = createCaller({ db: t.db, viewer: viewerFor(b.admin, b.workspace, "admin"), headers: new Headers() } satisfies Context);
    expect(await outsider.journeys.ofProfile({ profileId: someone.id })).toEqual([]);
  });

  it("one active enrollment per person, journey and correlation key; another key, another journey or a re-entry after the end are fine", async () => {
    const id = await journeyWith(a, "Once");
    const other = await journeyWith(a, "Once other");
    const p = await person(a);
    const first = await enroll(a, { journeyId: id, profileId: p.id });
    const refused = await enroll(a, { journeyId: id, profileId: p.id }).catch((e: unknown) => e);
    expect(isUniqueViolation(refused)).toBe(true);
    await enroll(a, { journeyId: id, profileId: p.id, key: "order-2" });
    await enroll(a, { journeyId: other, profileId: p.id });
    expect(isUniqueViolation(await enroll(a, { journeyId: id, profileId: p.id, key: "order-2" }).catch((e: unknown) => e))).toBe(true);

    // Completed: the same person may enter again (whether they may is the re-entry rule's call).
    await t.db.journeyEnrollment.update({ where: { id: first.id }, data: { status: "completed", endedAt: NOW, nodeId: null } });
    await enroll(a, { journeyId: id, profileId: p.id });
    await enroll(a, { journeyId: id, profileId: p.id, status: "completed" });
    expect(await t.db.journeyEnrollment.count({ where: { journeyId: id, profileId: p.id } })).toBe(4);

    // The database refuses a status it does not know, and an end that does not match the status.
    await expect(t.db.$executeRaw`UPDATE journey_enrollments SET status = 'paused' WHERE id = ${first.id}`).rejects.toThrow(/journey_enrollments_status_check/);
    await expect(t.db.$executeRaw`UPDATE journey_enrollments SET ended_at = NULL WHERE id = ${first.id}`).rejects.toThrow(/journey_enrollments_ended_check/);
  });

  it("GDPR: the export lists a person's enrollments; deleting the person deletes them; deleting a journey or workspace deletes its rows", async () => {
    const ws = await createWorkspaceWith(t.db);
    const id = await journeyWith(ws, "Gone");
    const p = await person(ws, { userId: "gdpr-journeys" });
    const kept = await person(ws);
    await enroll(ws, { journeyId: id, profileId: p.id, key: "order-7", enteredAt: ago(2 * DAY) });
    await enroll(ws, { journeyId: id, profileId: p.id, status: "converted", enteredAt: ago(9 * DAY) });
    await enroll(ws, { journeyId: id, profileId: kept.id });
    await exits(id, 1, [["trigger", "next", 0, 3]]);

    const exported = await exportPerson(t.db, { workspaceId: ws.workspace.id, actor: actor(ws), profileId: p.id });
    expect(exported.journeys).toEqual([
      expect.objectContaining({ journey: "Gone", version: 1, status: "converted", correlationKey: "", exitReason: "goal", enteredAt: ago(9 * DAY) }),
      expect.objectContaining({ journey: "Gone", version: 1, status: "active", correlationKey: "order-7", nodeId: "wait", endedAt: null }),
    ]);

    await deletePerson(t.db, { workspaceId: ws.workspace.id, actor: actor(ws), profileId: p.id });
    expect(await t.db.journeyEnrollment.count({ where: { profileId: p.id } })).toBe(0);
    expect(await t.db.journeyEnrollment.count({ where: { journeyId: id } })).toBe(1);
    expect((await journeyNodeStats(t.db, { workspaceId: ws.workspace.id, journeyId: id })).entered).toBe(1);

    await t.db.journey.delete({ where: { id } });
    expect(await t.db.journeyEnrollment.count({ where: { journeyId: id } })).toBe(0);
    expect(await t.db.journeyExitCount.count({ where: { journeyId: id } })).toBe(0);

    const again = await journeyWith(ws, "Gone again");
    await enroll(ws, { journeyId: again, profileId: kept.id });
    await exits(again, 1, [["trigger", "next", 0, 1]]);
    await t.db.workspace.delete({ where: { id: ws.workspace.id } });
    expect(await t.db.journeyEnrollment.count({ where: { workspaceId: ws.workspace.id } })).toBe(0);
    expect(await t.db.journeyExitCount.count({ where: { journeyId: again } })).toBe(0);
  });

  it("a merge moves the anonymous visitor's enrollments to the known person; a duplicate active one ends as exited (merged)", async () => {
    const ws = await createWorkspaceWith(t.db);
    const id = await journeyWith(ws, "Merge");
    const receivedAt = new Date();
    const ingest = (raw: Record<string, unknown>) => ingestMessage(t.db, { workspaceId: ws.workspace.id, message: message(raw), receivedAt });
    await ingest({ type: "track", anonymousId: "anon-merge", event: "cart_viewed", messageId: "m-1" });
    await ingest({ type: "identify", userId: "known-merge", traits: { email: "k@example.com" }, messageId: "m-2" });
    const anon = (await findProfileById(t.db, ws.workspace.id, "anon-merge"))!;
    const known = (await findProfileById(t.db, ws.workspace.id, "known-merge"))!;
    expect(anon.id).not.toBe(known.id);

    const knownActive = await enroll(ws, { journeyId: id, profileId: known.id });
    const duplicate = await enroll(ws, { journeyId: id, profileId: anon.id });
    const otherKey = await enroll(ws, { journeyId: id, profileId: anon.id, key: "cart-9" });
    const past = await enroll(ws, { journeyId: id, profileId: anon.id, status: "completed" });

    // The visitor signs in: the anonymous profile merges into the known one.
    expect(await ingest({ type: "identify", userId: "known-merge", anonymousId: "anon-merge", messageId: "m-3" })).toBe("stored");
    expect(await t.db.profile.count({ where: { id: anon.id } })).toBe(0);

    const rows = new Map((await t.db.journeyEnrollment.findMany({ where: { journeyId: id } })).map((r) => [r.id, r]));
    expect(rows.size).toBe(4);
    expect([...rows.values()].every((r) => r.profileId === known.id)).toBe(true);
    expect(rows.get(knownActive.id)).toMatchObject({ status: "active", nodeId: "wait", endedAt: null, exitReason: null });
    expect(rows.get(duplicate.id)).toMatchObject({ status: "exited", exitReason: "merged", nodeId: null, endedAt: expect.any(Date) });
    expect(rows.get(otherKey.id)).toMatchObject({ status: "active", correlationKey: "cart-9", nodeId: "wait" });
    expect(rows.get(past.id)).toMatchObject({ status: "completed", exitReason: "completed" });
    expect(await journeyNodeStats(t.db, { workspaceId: ws.workspace.id, journeyId: id })).toMatchObject({ entered: 4, inNow: 2, exited: 1, completed: 1 });
  });
});
