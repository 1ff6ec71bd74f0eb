import { DomainError } from "@/server/errors";
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { createCallerFactory } from "@/server/api/trpc";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";

import { eventDailyCounts, eventProperties, listEventNames } from "./explorer";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-03-15T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe("events explorer", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  let otherWorkspaceId: string;
  let profileId: string;
  let otherProfileId: string;

  async function createProfile(wsId: string) {
    const profile = await t.db.profile.create({
      data: { id: `p_${randomBytes(6).toString("hex")}`, workspaceId: wsId, bucket: 1, firstSeenAt: ago(400 * DAY), lastSeenAt: NOW },
    });
    return profile.id;
  }

  async function insert(
    events: { name: string | null; at: Date; type?: string; properties?: Record<string, unknown> }[],
    where: { workspaceId: string; profileId: string } = { workspaceId, profileId },
  ) {
    await t.db.event.createMany({
      data: events.map((e) => ({
        workspaceId: where.workspaceId,
        profileId: where.profileId,
        messageId: `m_${randomBytes(8).toString("hex")}`,
        type: e.type ?? (e.name === null ? "identify" : "track"),
        name: e.name,
        properties: (e.properties ?? {}) as object,
        timestamp: e.at,
        receivedAt: e.at,
      })),
    });
  }

  beforeAll(async () => {
    workspaceId = (await createWorkspaceWith(t.db)).workspace.id;
    otherWorkspaceId = (await createWorkspaceWith(t.db)).workspace.id;
    profileId = await createProfile(workspaceId);
    otherProfileId = await createProfile(otherWorkspaceId);

    await insert([
      // The 30-day window is [NOW - 30 days, NOW], both ends included.
      { name: "edge", at: ago(30 * DAY) },
      { name: "edge", at: ago(30 * DAY + 1) },
      { name: "edge", at: ago(31 * DAY) },
      { name: "edge", at: NOW },
      { name: "edge", at: new Date(NOW.getTime() + 1) },
      { name: "edge", at: ago(2 * DAY) },
      // Busy recently.
      ...Array.from({ length: 5 }, (_, i) => ({ name: "purchase", at: ago(i * DAY + 1000) })),
      // Busy long ago only.
      ...Array.from({ length: 9 }, () => ({ name: "legacy_signup", at: ago(100 * DAY) })),
      // The same name as a page and as a screen.
      { name: "Pricing", type: "page", at: ago(DAY) },
      { name: "Pricing", type: "screen", at: ago(DAY) },
      // No name: not listed.
      { name: null, at: ago(DAY) },
      // Late on 14 March in UTC, already 15 March in Berlin (UTC+1 until 29 March).
      { name: "late", at: new Date("2026-03-14T23:30:00.000Z") },
    ]);
    // Another workspace's events with the same names never leak in.
    await insert(
      [
        ...Array.from({ length: 20 }, () => ({ name: "purchase", at: ago(DAY), properties: { plan: "enterprise", secret: 1 } })),
        { name: "other_only", at: ago(DAY) },
      ],
      { workspaceId: otherWorkspaceId, profileId: otherProfileId },
    );
  });

  describe("listEventNames", () => {
    it("counts the window inclusively at both ends, and every event ever", async () => {
      const { events, window } = await listEventNames(t.db, { workspaceId, now: NOW });
      expect(window).toEqual({ days: 30, from: ago(30 * DAY), to: NOW });
      const edge = events.find((e) => e.name === "edge");
      // Exactly 30 days ago, 2 days ago and NOW; not 30 days + 1 ms, 31 days, or the future.
      expect(edge).toEqual({ name: "edge", types: ["track"], recentCount: 3, totalCount: 6, lastSeenAt: new Date(NOW.getTime() + 1) });
    });

    it("sorts by the window's count, then by count ever, then by name; lists only named events", async () => {
      const { events, truncated } = await listEventNames(t.db, { workspaceId, now: NOW });
      expect(events.map((e) => [e.name, e.recentCount, e.totalCount])).toEqual([
        ["purchase", 5, 5],
        ["edge", 3, 6],
        ["Pricing", 2, 2],
        ["late", 1, 1],
        ["legacy_signup", 0, 9],
      ]);
      expect(events.find((e) => e.name === "Pricing")?.types).toEqual(["page", "screen"]);
      expect(truncated).toBe(false);
    });

    it("caps the list and says so", async () => {
      const capped = await listEventNames(t.db, { workspaceId, now: NOW, limit: 2 });
      expect(capped.events.map((e) => e.name)).toEqual(["purchase", "edge"]);
      expect(capped).toMatchObject({ limit: 2, truncated: true });
    });

    it("narrows to one name, and a shorter window counts less", async () => {
      const one = await listEventNames(t.db, { workspaceId, now: NOW, name: "edge", days: 7 });
      expect(one.events).toEqual([expect.objectContaining({ name: "edge", recentCount: 2, totalCount: 6 })]);
      expect((await listEventNames(t.db, { workspaceId, now: NOW, name: "nope" })).events).toEqual([]);
    });

    it("keeps workspaces apart", async () => {
      const mine = await listEventNames(t.db, { workspaceId, now: NOW });
      expect(mine.events.map((e) => e.name)).not.toContain("other_only");
      expect(mine.events.find((e) => e.name === "purchase")?.totalCount).toBe(5);
      const theirs = await listEventNames(t.db, { workspaceId: otherWorkspaceId, now: NOW });
      expect(theirs.events.map((e) => [e.name, e.recentCount])).toEqual([
        ["purchase", 20],
        ["other_only", 1],
      ]);
    });

    it("refuses a nonsensical window", async () => {
      await expect(listEventNames(t.db, { workspaceId, now: NOW, days: 0 })).rejects.toBeInstanceOf(DomainError);
      await expect(listEventNames(t.db, { workspaceId, now: NOW, days: 1.5 })).rejects.toBeInstanceOf(DomainError);
    });
  });

  describe("eventDailyCounts", () => {
    it("has a zero-filled row per calendar day overlapping the window, adding up to the window's count", async () => {
      const daily = await eventDailyCounts(t.db, { workspaceId, name: "edge", now: NOW });
      expect(daily.timeZone).toBe("UTC");
      // 13 Feb 12:00 (partial) … 15 Mar 12:00 (partial): 31 days.
      expect(daily.days).toHaveLength(31);
      expect(daily.days[0]).toEqual({ date: "2026-02-13", count: 1 }); // exactly 30 days ago; not 1 ms earlier
      expect(daily.days.at(-1)).toEqual({ date: "2026-03-15", count: 1 }); // NOW; not 1 ms later
      expect(daily.days.find((d) => d.date === "2026-03-13")).toEqual({ date: "2026-03-13", count: 1 });
      expect(daily.days.filter((d) => d.count === 0)).toHaveLength(28);
      // Consecutive days, none missing.
      const dates = daily.days.map((d) => new Date(`${d.date}T00:00:00Z`).getTime());
      expect(dates.slice(1).every((time, i) => time - dates[i]! === DAY)).toBe(true);
      expect(daily.total).toBe(3);
      const listed = await listEventNames(t.db, { workspaceId, now: NOW, name: "edge" });
      expect(daily.total).toBe(listed.events[0]?.recentCount);
    });

    it("is all zeros for a name without events in the window, or one never seen", async () => {
      for (const name of ["legacy_signup", "never_sent"]) {
        const daily = await eventDailyCounts(t.db, { workspaceId, name, now: NOW, days: 7 });
        expect(daily.days).toHaveLength(8);
        expect(daily.days.every((d) => d.count === 0)).toBe(true);
        expect(daily.total).toBe(0);
      }
    });

    it("buckets days in the given time zone", async () => {
      const utc = await eventDailyCounts(t.db, { workspaceId, name: "late", now: NOW, days: 3 });
      expect(utc.days).toEqual([
        { date: "2026-03-12", count: 0 },
        { date: "2026-03-13", count: 0 },
        { date: "2026-03-14", count: 1 },
        { date: "2026-03-15", count: 0 },
      ]);
      const berlin = await eventDailyCounts(t.db, { workspaceId, name: "late", now: NOW, days: 3, timeZone: "Europe/Berlin" });
      expect(berlin.days.filter((d) => d.count > 0)).toEqual([{ date: "2026-03-15", count: 1 }]);
      await expect(eventDailyCounts(t.db, { workspaceId, name: "late", now: NOW, timeZone: "Mars/Olympus_Mons" })).rejects.toThrow(
        "Not a known time zone",
      );
    });

    it("keeps workspaces apart", async () => {
      const daily = await eventDailyCounts(t.db, { workspaceId, name: "purchase", now: NOW, days: 7 });
      expect(daily.total).toBe(5);
      expect((await eventDailyCounts(t.db, { workspaceId, name: "other_only", now: NOW })).total).toBe(0);
    });
  });

  describe("eventProperties", () => {
    let propsWorkspaceId: string;
    let propsProfileId: string;

    beforeAll(async () => {
      propsWorkspaceId = (await createWorkspaceWith(t.db)).workspace.id;
      propsProfileId = await createProfile(propsWorkspaceId);
      const plans = ["pro", "pro", "pro", "basic", "basic", "free"];
      await insert(
        [
          ...plans.map((plan, i) => ({
            name: "checkout",
            at: ago((i + 1) * 60_000),
            properties: {
              plan,
              // A number everywhere but once, where a sender stringified it.
              amount: i === 5 ? "49" : 49 + (i % 2) * 50,
              gift: i === 0,
              items: [{ sku: "a" }],
              address: { city: "Berlin" },
              coupon: i < 2 ? null : "SPRING",
              note: "x".repeat(300),
            },
          })),
          // Outside the window: never examined.
          { name: "checkout", at: ago(31 * DAY), properties: { plan: "ancient", old_key: true } },
          // Many distinct values: only the top 10 are listed.
          ...Array.from({ length: 12 }, (_, i) => ({ name: "search", at: ago(DAY), properties: { term: `t${String(i).padStart(2, "0")}` } })),
          { name: "search", at: ago(DAY), properties: { term: "t05" } },
        ],
        { workspaceId: propsWorkspaceId, profileId: propsProfileId },
      );
    });

    it("reports each key's JSON types with counts, most common first", async () => {
      const result = await eventProperties(t.db, { workspaceId: propsWorkspaceId, name: "checkout", now: NOW });
      expect(result).toMatchObject({ name: "checkout", matched: 6, sampleSize: 6, sampled: false, keysTruncated: false });
      const byKey = Object.fromEntries(result.properties.map((p) => [p.key, p]));
      expect(Object.keys(byKey).sort()).toEqual(["address", "amount", "coupon", "gift", "items", "note", "plan"]);
      expect(byKey.amount?.types).toEqual([
        { type: "number", count: 5 },
        { type: "string", count: 1 },
      ]);
      expect(byKey.plan?.types).toEqual([{ type: "string", count: 6 }]);
      expect(byKey.gift?.types).toEqual([{ type: "boolean", count: 6 }]);
      expect(byKey.items?.types).toEqual([{ type: "array", count: 6 }]);
      expect(byKey.address?.types).toEqual([{ type: "object", count: 6 }]);
      expect(byKey.coupon?.types).toEqual([
        { type: "string", count: 4 },
        { type: "null", count: 2 },
      ]);
      expect(result.properties.every((p) => p.count === 6)).toBe(true);
    });

    it("lists the top scalar values by count, numbers and strings kept apart", async () => {
      const result = await eventProperties(t.db, { workspaceId: propsWorkspaceId, name: "checkout", now: NOW });
      const byKey = Object.fromEntries(result.properties.map((p) => [p.key, p]));
      expect(byKey.plan?.topValues).toEqual([
        { value: "pro", count: 3 },
        { value: "basic", count: 2 },
        { value: "free", count: 1 },
      ]);
      expect(byKey.plan?.distinctValues).toBe(3);
      // 49 ×3 (i = 0, 2, 4), 99 ×2 (i = 1, 3), and the string "49" once.
      expect(byKey.amount?.topValues).toEqual([
        { value: 49, count: 3 },
        { value: 99, count: 2 },
        { value: "49", count: 1 },
      ]);
      expect(byKey.gift?.topValues).toEqual([
        { value: false, count: 5 },
        { value: true, count: 1 },
      ]);
      // Nulls, objects, arrays and long strings have types but no top values.
      expect(byKey.coupon?.topValues).toEqual([{ value: "SPRING", count: 4 }]);
      for (const key of ["items", "address", "note"]) {
        expect(byKey[key]?.topValues).toEqual([]);
        expect(byKey[key]?.distinctValues).toBe(0);
      }
    });

    it("keeps at most 10 top values, ties broken by value", async () => {
      const result = await eventProperties(t.db, { workspaceId: propsWorkspaceId, name: "search", now: NOW });
      const term = result.properties.find((p) => p.key === "term");
      expect(term?.distinctValues).toBe(12);
      expect(term?.topValues.map((v) => [v.value, v.count])).toEqual([
        ["t05", 2],
        ...["t00", "t01", "t02", "t03", "t04", "t06", "t07", "t08", "t09"].map((v) => [v, 1]),
      ]);
    });

    it("samples the most recent events when there are more than the limit, and says so", async () => {
      const result = await eventProperties(t.db, { workspaceId: propsWorkspaceId, name: "checkout", now: NOW, sampleLimit: 2 });
      expect(result).toMatchObject({ matched: 6, sampleSize: 2, sampled: true, sampleLimit: 2 });
      // The two newest checkouts are plan "pro" (1 and 2 minutes ago).
      expect(result.properties.find((p) => p.key === "plan")?.topValues).toEqual([{ value: "pro", count: 2 }]);
      expect(result.properties.find((p) => p.key === "coupon")?.types).toEqual([{ type: "null", count: 2 }]);
    });

    it("is empty for events outside the window or of another workspace", async () => {
      const none = await eventProperties(t.db, { workspaceId: propsWorkspaceId, name: "purchase", now: NOW });
      expect(none).toMatchObject({ matched: 0, sampleSize: 0, sampled: false, properties: [] });
      const old = await eventProperties(t.db, { workspaceId: propsWorkspaceId, name: "checkout", now: ago(20 * DAY), days: 5 });
      expect(old).toMatchObject({ matched: 0, properties: [] });
      // The other workspace's purchases carry plan "enterprise" and "secret"; ours carry nothing.
      const ours = await eventProperties(t.db, { workspaceId, name: "purchase", now: NOW });
      expect(ours).toMatchObject({ matched: 5, properties: [] });
      const theirs = await eventProperties(t.db, { workspaceId: otherWorkspaceId, name: "purchase", now: NOW });
      expect(theirs.properties.map((p) => p.key).sort()).toEqual(["plan", "secret"]);
    });
  });

  describe("events router", () => {
    const createCaller = createCallerFactory(appRouter);

    async function codeOf(promise: Promise<unknown>): Promise<string> {
      try {
        await promise;
        return "OK";
      } catch (error) {
        return error instanceof TRPCError ? error.code : `unexpected ${String(error)}`;
      }
    }

    it("lets a viewer read their own workspace's events, with the clock read at the edge", async () => {
      const { workspace, members } = await createWorkspaceWith(t.db, ["viewer"]);
      await t.db.workspace.update({ where: { id: workspace.id }, data: { defaultTimezone: "Europe/Berlin" } });
      const ownProfile = await createProfile(workspace.id);
      const recent = new Date(Date.now() - 60 * 60 * 1000);
      await insert(
        [
          { name: "signup", at: recent, properties: { source: "ad" } },
          { name: "signup", at: recent, properties: { source: "ad" } },
        ],
        { workspaceId: workspace.id, profileId: ownProfile },
      );
      const caller = createCaller({ db: t.db, viewer: viewerFor(members[0]!.user, workspace, "viewer"), headers: new Headers() });

      const names = await caller.events.names();
      expect(names.events.map((e) => [e.name, e.recentCount])).toEqual([["signup", 2]]);
      const daily = await caller.events.daily({ name: "signup" });
      // Days follow the workspace's time zone unless the caller names one.
      expect(daily).toMatchObject({ timeZone: "Europe/Berlin", total: 2 });
      expect((await caller.events.daily({ name: "signup", days: 7, timeZone: "UTC" })).timeZone).toBe("UTC");
      const properties = await caller.events.properties({ name: "signup" });
      expect(properties.properties).toEqual([
        { key: "source", count: 2, types: [{ type: "string", count: 2 }], topValues: [{ value: "ad", count: 2 }], distinctValues: 1 },
      ]);
      // Another workspace's names never show up.
      expect((await caller.events.daily({ name: "purchase" })).total).toBe(0);
    });

    it("refuses bad input and anonymous callers", async () => {
      const { workspace, admin } = await createWorkspaceWith(t.db);
      const caller = createCaller({ db: t.db, viewer: viewerFor(admin, workspace, "admin"), headers: new Headers() });
      expect(await codeOf(caller.events.daily({ name: "x".repeat(201) }))).toBe("BAD_REQUEST");
      expect(await codeOf(caller.events.properties({ name: "" }))).toBe("BAD_REQUEST");
      expect(await codeOf(caller.events.daily({ name: "signup", timeZone: "Not/AZone" }))).toBe("BAD_REQUEST");
      expect(await codeOf(caller.events.names({ days: 1000 }))).toBe("BAD_REQUEST");
      expect(await codeOf(caller.events.daily({ name: "x".repeat(200) }))).toBe("OK");
      const anonymous = createCaller({ db: t.db, viewer: null, headers: new Headers() });
      expect(await codeOf(anonymous.events.names())).toBe("UNAUTHORIZED");
    });
  });
});
