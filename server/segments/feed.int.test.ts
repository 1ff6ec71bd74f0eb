import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { sql } from "@/server/db/client";
import { drain, startFeedConsumers } from "@/server/feed/consumer";
import { feedLag } from "@/server/feed/feed";
import { ingestBatch } from "@/server/ingest/service";
import { deletePerson } from "@/server/profiles/gdpr";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { segmentsConsumer } from "./consumer";
import { membershipDifferences, refreshSegment, SEGMENTS_CONSUMER } from "./membership";
import { createSegment } from "./service";

vi.mock("@/server/jobs/worker", () => ({ queueSegmentRefresh: vi.fn(async () => {}) }));

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const group = (...children: unknown[]) => ({ schemaVersion: 1, root: { type: "group", op: "and", children } }) as SegmentDefinition;
const performed = (event: string, window: unknown, operator: unknown = { op: "gte", value: 1 }) => ({ type: "event", event, window, count: operator });
const userId = (op: "isEmpty" | "isNotEmpty") => ({ type: "trait", field: "userId", valueType: "string", operator: op === "isEmpty" ? { op, includeMissing: true } : { op } });

async function until(check: () => Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("saved segments on the change feed", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  let actor: { userId: string; label: string };
  let n = 0;

  beforeAll(async () => {
    const ws = await createWorkspaceWith(t.db);
    workspaceId = ws.workspace.id;
    actor = { userId: ws.admin.id, label: "admin" };
  });

  async function ingest(raws: Record<string, unknown>[], receivedAt = new Date()) {
    const items = raws.map((raw) => {
      const parsed = parseMessage({ messageId: `m-${++n}`, ...raw }, { receivedAt });
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt };
    });
    return ingestBatch(t.db, { workspaceId, items });
  }
  const save = async (name: string, definition: SegmentDefinition) => {
    const segment = await createSegment(t.db, { workspaceId, actor, name, description: "", definition });
    await refreshSegment(t.db, { workspaceId, segmentId: segment.id, now: new Date() });
    return segment.id;
  };
  const profileOf = async (id: string) =>
    (await t.db.profile.findFirstOrThrow({ where: { workspaceId, identities: { some: { value: id } } } })).id;
  const historyOf = (profileId: string) =>
    t.db.segmentMembershipChange.findMany({ where: { profileId }, orderBy: { id: "asc" }, select: { segmentId: true, entered: true, cause: true, at: true } });
  const isMember = async (segmentId: string, profileId: string) =>
    (await t.db.segmentMembership.count({ where: { segmentId, profileId, exitedAt: null } })) === 1;

  it("an event decides every saved segment for its person: entry recorded with its cause, on the feed, size kept", async () => {
    const segment = await save("Opened the app today", group(performed("app_open", { kind: "last", amount: 1, unit: "days" })));
    await ingest([{ type: "track", userId: "ada", event: "app_open" }]);
    const ada = await profileOf("ada");
    expect(await isMember(segment, ada)).toBe(false);
    await drain(t.db, segmentsConsumer(t.db));
    expect(await isMember(segment, ada)).toBe(true);
    expect(await historyOf(ada)).toEqual([{ segmentId: segment, entered: true, cause: "event", at: expect.any(Date) }]);
    expect((await t.db.segment.findUniqueOrThrow({ where: { id: segment } })).size).toBe(1);
    const feed = await sql(t.db).query<{ payload: unknown; profile_ids: string[] }>`
      SELECT payload, profile_ids FROM change_feed WHERE kind = 'membership' AND payload->>'segmentId' = ${segment}`;
    expect(feed).toEqual([{ payload: { segmentId: segment, change: "entered", cause: "event" }, profile_ids: [ada] }]);
    // The same event again (a retry) changes nothing and records nothing.
    await drain(t.db, segmentsConsumer(t.db));
    expect(await historyOf(ada)).toHaveLength(1);
  });

  it("time moves people out and in, at the moment it should, with an injected clock", async () => {
    const t0 = new Date(Date.now() - 10 * MINUTE);
    const active = await save("Active in the last hour", group(performed("ping", { kind: "last", amount: 1, unit: "hours" })));
    const quiet = await save("Quiet for an hour", group(performed("ping", { kind: "last", amount: 1, unit: "hours" }, { op: "eq", value: 0 })));
    await ingest([{ type: "track", userId: "tim", event: "ping", timestamp: t0.toISOString() }]);
    const tim = await profileOf("tim");
    let clock = new Date(t0.getTime() + MINUTE);
    const consumer = segmentsConsumer(t.db, () => clock);
    await drain(t.db, consumer);
    expect([await isMember(active, tim), await isMember(quiet, tim)]).toEqual([true, false]);
    // The re-check falls due the first millisecond the ping is older than an hour.
    const recheck = await t.db.segmentRecheck.findUniqueOrThrow({ where: { profileId: tim } });
    expect(recheck.dueAt.getTime()).toBe(t0.getTime() + HOUR + 1);

    clock = new Date(t0.getTime() + HOUR);
    await drain(t.db, consumer);
    expect(await isMember(active, tim)).toBe(true);
    clock = new Date(t0.getTime() + HOUR + 1);
    await drain(t.db, consumer);
    expect([await isMember(active, tim), await isMember(quiet, tim)]).toEqual([false, true]);
    const changes = (await historyOf(tim)).filter((h) => h.cause === "time");
    expect(changes.map((c) => [c.segmentId === active ? "active" : "quiet", c.entered, c.at.getTime()]).sort()).toEqual([
      ["active", false, t0.getTime() + HOUR + 1],
      ["quiet", true, t0.getTime() + HOUR + 1],
    ]);
    // Nothing more can change with time alone: no re-check left.
    expect(await t.db.segmentRecheck.findUnique({ where: { profileId: tim } })).toBeNull();
  });

  it("with the real clock and the running consumers, a time-based exit is recorded within a minute of the moment", async () => {
    const segment = await save("Pinged in the last minute", group(performed("blip", { kind: "last", amount: 1, unit: "minutes" })));
    const at = new Date(Date.now() - 55_000);
    await ingest([{ type: "track", userId: "rae", event: "blip", timestamp: at.toISOString() }]);
    const rae = await profileOf("rae");
    const runner = startFeedConsumers(t.db, t.url, [segmentsConsumer(t.db)], { pollMs: 1_000 });
    try {
      await until(() => isMember(segment, rae));
      await until(async () => !(await isMember(segment, rae)), 30_000);
    } finally {
      await runner.stop();
    }
    const exit = (await historyOf(rae)).find((h) => h.segmentId === segment && !h.entered)!;
    expect(exit.cause).toBe("time");
    const moment = at.getTime() + MINUTE + 1;
    expect(exit.at.getTime()).toBeGreaterThanOrEqual(moment);
    expect(exit.at.getTime() - moment).toBeLessThan(60_000);
  });

  it("a merge of an anonymous visitor into a known person moves memberships and history, then decides the merged person (cause merge)", async () => {
    const pricing = await save("Viewed pricing", group(performed("pricing_viewed", { kind: "ever" })));
    const anonymous = await save("Anonymous visitors", group(userId("isEmpty")));
    const known = await save("Known people", group(userId("isNotEmpty")));
    const consumer = segmentsConsumer(t.db);
    await ingest([{ type: "track", anonymousId: "visitor-1", event: "pricing_viewed" }]);
    await ingest([{ type: "identify", userId: "kim", traits: { plan: "free" } }]);
    await drain(t.db, consumer);
    const visitor = await profileOf("visitor-1");
    const kim = await profileOf("kim");
    expect([await isMember(pricing, visitor), await isMember(anonymous, visitor), await isMember(known, kim)]).toEqual([true, true, true]);
    const visitorEntered = (await t.db.segmentMembership.findUniqueOrThrow({ where: { segmentId_profileId: { segmentId: pricing, profileId: visitor } } })).enteredAt;

    await ingest([{ type: "identify", userId: "kim", anonymousId: "visitor-1" }]);
    expect(await t.db.profile.findUnique({ where: { id: visitor } })).toBeNull();
    // Before the consumer ran: the memberships moved, nobody lost or counted twice.
    expect((await t.db.segment.findUniqueOrThrow({ where: { id: pricing } })).size).toBe(1);
    await drain(t.db, consumer);
    expect([await isMember(pricing, kim), await isMember(anonymous, kim), await isMember(known, kim)]).toEqual([true, false, true]);
    // Kim has been in "Viewed pricing" since the visitor entered it: no new entry.
    expect((await t.db.segmentMembership.findUniqueOrThrow({ where: { segmentId_profileId: { segmentId: pricing, profileId: kim } } })).enteredAt).toEqual(visitorEntered);
    const mine = new Set([pricing, anonymous, known]);
    const history = (await historyOf(kim)).filter((h) => mine.has(h.segmentId)).map((h) => [h.segmentId === pricing ? "pricing" : h.segmentId === anonymous ? "anonymous" : "known", h.entered, h.cause]);
    // Kim takes over the visitor's memberships (cause merge), then leaves "Anonymous visitors" when decided (cause merge).
    expect(history[0]).toEqual(["known", true, "event"]);
    expect(history.slice(1, 3).sort()).toEqual([
      ["anonymous", true, "merge"],
      ["pricing", true, "merge"],
    ]);
    expect(history[3]).toEqual(["anonymous", false, "merge"]);
    expect(history).toHaveLength(4);
    // The visitor's own history went with them; every segment's line of Kim's history alternates (both were in
    // "Quiet for an hour" from the test before: one member now, no second entry).
    expect(await historyOf(visitor)).toEqual([]);
    const last = new Map<string, boolean>();
    for (const h of await historyOf(kim)) {
      expect(last.get(h.segmentId) ?? false).toBe(!h.entered);
      last.set(h.segmentId, h.entered);
    }
    const sizeOf = async (id: string) => (await t.db.segment.findUniqueOrThrow({ where: { id } })).size;
    const knownPeople = await t.db.profile.count({ where: { workspaceId, userId: { not: null } } });
    expect([await sizeOf(pricing), await sizeOf(anonymous), await sizeOf(known)]).toEqual([1, 0, knownPeople]);

    // GDPR deletion: one exit per segment (cause deletion, a bare id), the rest of the history and the re-checks go.
    await t.db.segmentRecheck.create({ data: { profileId: kim, workspaceId, dueAt: new Date(Date.now() + HOUR) } });
    await deletePerson(t.db, { workspaceId, actor, profileId: kim });
    const left = (await historyOf(kim)).filter((h) => mine.has(h.segmentId));
    expect(left.map((h) => [h.segmentId === pricing ? "pricing" : "known", h.entered, h.cause]).sort()).toEqual([
      ["known", false, "deletion"],
      ["pricing", false, "deletion"],
    ]);
    expect((await historyOf(kim)).every((h) => !h.entered && h.cause === "deletion")).toBe(true);
    expect(await t.db.segmentRecheck.count({ where: { profileId: kim } })).toBe(0);
    expect([await sizeOf(pricing), await sizeOf(known)]).toEqual([0, knownPeople - 1]);
    const deleted = await sql(t.db).query<{ kind: string }>`SELECT kind FROM change_feed WHERE kind = 'delete' AND ${kim} = ANY(profile_ids)`;
    expect(deleted).toHaveLength(1);
    // The consumer has nothing to do for a deleted person.
    const count = (await historyOf(kim)).length;
    await drain(t.db, consumer);
    expect(await historyOf(kim)).toHaveLength(count);
  });

  describe("kill -9 of the process running the consumer, during steady ingest", () => {
    let worker: ChildProcess | null = null;
    let second: ChildProcess | null = null;
    const start = () => {
      const child = spawn(process.execPath, ["--import", "tsx", path.resolve(import.meta.dirname, "../../scripts/worker.ts")], {
        env: { ...process.env, DATABASE_URL: t.url },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stderr?.on("data", () => {});
      child.stdout?.on("data", () => {});
      return child;
    };
    afterAll(() => {
      worker?.kill("SIGKILL");
      second?.kill("SIGKILL");
    });

    it("after a restart (now two processes) the membership history is exactly what a full recompute says: none missing, none twice", { timeout: 120_000 }, async () => {
      const gold = await save("Gold tier", group({ type: "trait", field: "traits.tier", valueType: "string", operator: { op: "equals", value: "gold" } }));
      const people = Array.from({ length: 40 }, (_, i) => `tier-${i}`);
      let killed = false;
      worker = start();
      const ingesting = (async () => {
        for (let round = 0; round < 60; round++) {
          await ingest(people.filter((_, i) => (i + round) % 3 === 0).map((p, i) => ({ type: "identify", userId: p, traits: { tier: (round + i) % 2 ? "gold" : "silver" } })));
          // An anonymous visitor who is gold, merged into a known person a round later (memberships move under the lock).
          await ingest([{ type: "identify", anonymousId: `visitor-${round}`, traits: { tier: "gold" } }]);
          if (round > 0) await ingest([{ type: "identify", userId: people[round % people.length], anonymousId: `visitor-${round - 1}` }]);
          if (round === 20) {
            // Wait until the consumer is at work, then kill it without warning.
            await until(async () => (await t.db.segmentMembershipChange.count({ where: { segmentId: gold } })) > 0);
            worker!.kill("SIGKILL");
            killed = true;
          }
          if (round === 35) {
            // Back up, as two processes consuming at once.
            worker = start();
            second = start();
          }
          await new Promise((r) => setTimeout(r, 40));
        }
      })();
      await ingesting;
      expect(killed).toBe(true);
      // Caught up: the segment consumer has passed every row.
      await until(async () => (await feedLag(t.db)).find((l) => l.consumer === SEGMENTS_CONSUMER)!.behind === 0, 60_000);
      worker!.kill("SIGTERM");
      second!.kill("SIGTERM");

      expect(await membershipDifferences(t.db, { workspaceId, segmentId: gold, now: new Date() })).toEqual({ enter: [], exit: [] });
      const history = await t.db.segmentMembershipChange.findMany({ where: { segmentId: gold }, orderBy: { id: "asc" } });
      expect(history.length).toBeGreaterThan(40);
      const last = new Map<string, boolean>();
      for (const h of history) {
        // Entries and exits alternate, starting with an entry: nothing recorded twice, nothing missing in between.
        expect(last.get(h.profileId) ?? false).toBe(!h.entered);
        last.set(h.profileId, h.entered);
      }
      const members = new Set((await t.db.segmentMembership.findMany({ where: { segmentId: gold, exitedAt: null } })).map((m) => m.profileId));
      expect(new Set([...last].filter(([, inside]) => inside).map(([id]) => id))).toEqual(members);
      expect((await t.db.segment.findUniqueOrThrow({ where: { id: gold } })).size).toBe(members.size);
      // Every saved segment's size is its member count (merges, moves and decisions never double count).
      for (const s of await t.db.segment.findMany({ where: { workspaceId } })) {
        expect(s.size, s.name).toBe(await t.db.segmentMembership.count({ where: { segmentId: s.id, exitedAt: null } }));
      }
    });
  });
});
