import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { insertApiKey } from "@/server/keys/service";
import { findProfileById } from "@/server/profiles/service";
import { handleIngest } from "./http";
import type { MessageType } from "@/lib/ingest/schema";

process.env.INGEST_RATE_LIMIT = "100000";

/**
 * What careless clients and attackers send: bad messages travel with good ones, ids are
 * cut inside emoji, clocks are wrong, write keys are public. Nothing good is ever lost,
 * nothing bad is half-stored, and nobody takes over someone else's profile.
 */
describe("ingestion under hostile and careless input", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  let writeKey: string;
  let counter = 0;
  const mid = () => `h-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    workspaceId = workspace.id;
    writeKey = (await insertApiKey(t.db, { workspaceId, name: "w", kind: "write", createdById: admin.id })).raw;
  });

  function send(endpoint: MessageType | "batch", body: unknown, raw?: string) {
    return handleIngest(
      new Request(`http://localhost/api/v1/${endpoint}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` },
        body: raw ?? JSON.stringify(body),
      }),
      endpoint,
    );
  }

  const stored = (messageIds: string[]) => t.db.event.count({ where: { workspaceId, messageId: { in: messageIds } } });

  function deep(levels: number): unknown {
    let value: unknown = "bottom";
    for (let i = 0; i < levels; i++) value = { d: value };
    return value;
  }
  /** Deeper than JSON.stringify can go: `DEEP` in a body's JSON text stands for objects nested 5,000 deep. */
  const DEEP = "__nested_5000_deep__";
  const json = (body: unknown) => JSON.stringify(body).replaceAll(`"${DEEP}"`, `${'{"d":'.repeat(5_000)}"bottom"${"}".repeat(5_000)}`);

  describe("one bad message never costs its batch-mates", () => {
    it.each<[string, (id: string) => Record<string, unknown>, RegExp]>([
      ["a NUL in the event name", () => ({ type: "track", userId: "u-nul", event: "buy\u0000" }), /^event: /],
      ["a NUL in a page name", () => ({ type: "page", userId: "u-nul", name: "Home\u0000" }), /^name: /],
      ["a NUL in the userId", () => ({ type: "track", userId: "u\u0000x", event: "e" }), /^userId: /],
      ["a NUL in the anonymousId", () => ({ type: "track", anonymousId: "a\u0000x", event: "e" }), /^anonymousId: /],
      ["a NUL in the messageId", (id) => ({ type: "track", userId: "u-nul", event: "e", messageId: `${id}\u0000` }), /^messageId: /],
      ["a NUL in a property key", () => ({ type: "track", userId: "u-nul", event: "e", properties: { "a\u0000": 1 } }), /^properties: /],
      ["a lone surrogate in a property", () => ({ type: "track", userId: "u-sur", event: "e", properties: { title: "cut \ud83d" } }), /^properties\.title: /],
      ["a lone surrogate in a trait key", () => ({ type: "identify", userId: "u-sur", traits: { ["k\udc00"]: 1 } }), /^traits: /],
      ["a lone surrogate in the event name", () => ({ type: "track", userId: "u-sur", event: "\ud800" }), /^event: /],
      ["a lone surrogate in the context", () => ({ type: "track", userId: "u-sur", event: "e", context: { page: { title: "x\udfff" } } }), /^context\.page\.title: /],
      ["properties nested 5,000 deep", () => ({ type: "track", userId: "u-deep", event: "e", properties: DEEP }), /nest/],
      ["traits nested 65 deep", () => ({ type: "identify", userId: "u-deep", traits: deep(65) as object }), /nest/],
    ])("%s: that message is refused on its own, the others are stored", async (_name, bad, error) => {
      const good = [mid(), mid()];
      const badId = mid();
      const body = json({
        batch: [
          { type: "track", userId: "u-good", event: "before", messageId: good[0] },
          { messageId: badId, ...bad(badId) },
          { type: "identify", userId: "u-good", traits: { ok: true }, messageId: good[1] },
        ],
      });
      const res = await send("batch", null, body);
      expect(res.status).toBe(200);
      const answer = await res.json();
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors[0]).toMatchObject({ index: 1 });
      expect(answer.errors[0].error).toMatch(error);
      expect(await stored(good)).toBe(2);
      expect(await stored([badId])).toBe(0);
    });

    it("the same bad message on a single-message endpoint is a 400 naming the field, never a 5xx", async () => {
      for (const body of [
        { userId: "u\u0000", event: "e" },
        { userId: "u", event: "e\ud800" },
        { userId: "u", event: "e", properties: DEEP },
      ]) {
        const res = await send("track", null, json({ ...body, messageId: mid() }));
        expect(res.status).toBe(400);
        expect((await res.json()).error.length).toBeLessThan(300);
      }
    });

    it("an id cut inside an emoji is refused, not folded into U+FFFD (two ids would become one)", async () => {
      const res = await send("identify", { userId: "cut-\ufffd", traits: { who: "replacement" }, messageId: mid() });
      expect(res.status).toBe(200);
      const refused = await send("identify", { userId: "cut-\ud83d", traits: { who: "cut" }, messageId: mid() });
      expect(refused.status).toBe(400);
      expect((await refused.json()).error).toMatch(/^userId: /);
      expect((await findProfileById(t.db, workspaceId, "cut-\ufffd"))?.traits).toEqual({ who: "replacement" });
    });
  });

  describe("timestamps", () => {
    const day = 86_400_000;

    it.each([
      ["1"],
      ["March 7"],
      ["1700000000000"],
      ["Tue, 24 Nov 2026 10:00:00 GMT"],
      ["2026-02-30T10:00:00Z"],
      ["2199-01-01T00:00:00Z"],
    ])("refuses timestamp %j with a per-message error", async (timestamp) => {
      const good = mid();
      const bad = mid();
      const res = await send("batch", {
        batch: [
          { type: "track", userId: "u-time", event: "ok", messageId: good },
          { type: "track", userId: "u-time", event: "odd", messageId: bad, timestamp },
        ],
      });
      expect(res.status).toBe(200);
      const answer = await res.json();
      expect(answer.errors).toEqual([{ index: 1, messageId: bad, error: expect.stringMatching(/^timestamp: /) }]);
      expect(await stored([good])).toBe(1);
      expect(await stored([bad])).toBe(0);
    });

    it("accepts ISO 8601 with and without an offset (no offset means UTC) and a date alone", async () => {
      const ids = [mid(), mid(), mid()];
      const res = await send("batch", {
        batch: [
          { type: "track", userId: "u-iso", event: "a", messageId: ids[0], timestamp: "2026-11-01T10:00:00+02:00" },
          { type: "track", userId: "u-iso", event: "b", messageId: ids[1], timestamp: "2026-11-01T10:00:00" },
          { type: "track", userId: "u-iso", event: "c", messageId: ids[2], timestamp: "2026-11-01" },
        ],
      });
      expect(await res.json()).toEqual({ success: true });
      const events = await t.db.event.findMany({ where: { workspaceId, messageId: { in: ids } }, orderBy: { name: "asc" } });
      expect(events.map((e) => e.timestamp.toISOString())).toEqual(["2026-11-01T08:00:00.000Z", "2026-11-01T10:00:00.000Z", "2026-11-01T00:00:00.000Z"]);
    });

    it("a timestamp more than a day ahead of the server is refused; up to a day ahead is stored, but last seen never passes now", async () => {
      const ahead = new Date(Date.now() + 2 * 3_600_000).toISOString();
      const tooFar = new Date(Date.now() + 2 * day).toISOString();
      const before = Date.now();
      const res = await send("batch", {
        batch: [
          { type: "track", userId: "u-future", event: "soon", messageId: mid(), timestamp: ahead },
          { type: "track", userId: "u-future", event: "far", messageId: mid(), timestamp: tooFar },
        ],
      });
      const answer = await res.json();
      expect(answer.errors).toEqual([expect.objectContaining({ index: 1, error: expect.stringMatching(/^timestamp: .*day/) })]);
      const profile = await findProfileById(t.db, workspaceId, "u-future");
      expect(profile!.lastSeenAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(profile!.lastSeenAt.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it("skew correction never lands before 1970 or after the server's now", async () => {
      const now = Date.now();
      const old = mid();
      const future = mid();
      const res = await send("batch", {
        batch: [
          // 200 years between "happened" and "sent": correcting lands in the 1820s.
          { type: "track", userId: "u-skew2", event: "old", messageId: old, timestamp: "1990-01-01T00:00:00Z", sentAt: "2190-01-01T00:00:00Z" },
          // Happened "after" it was sent: the correction would put it in the future.
          { type: "track", userId: "u-skew2", event: "future", messageId: future, timestamp: "2190-01-01T00:00:00Z", sentAt: "1990-01-01T00:00:00Z" },
        ],
      });
      const answer = await res.json();
      expect(answer.errors).toEqual([expect.objectContaining({ index: 0, error: expect.stringMatching(/^timestamp: .*1970/) })]);
      const [event] = await t.db.event.findMany({ where: { workspaceId, messageId: future } });
      expect(event!.timestamp.getTime()).toBeGreaterThanOrEqual(now - 1_000);
      expect(event!.timestamp.getTime()).toBeLessThanOrEqual(Date.now());
    });
  });

  describe("merging people", () => {
    it("identify of an anonymous visitor into a known person keeps every trait (known wins), the earliest first-seen, the latest last-seen and all ids", async () => {
      await send("track", { anonymousId: "m-anon", event: "viewed", timestamp: "2026-01-05T00:00:00Z", messageId: mid() });
      await send("identify", {
        anonymousId: "m-anon",
        traits: { goal: "run", plan: "trial", address: { country: "AT" } },
        timestamp: "2026-01-06T00:00:00Z",
        messageId: mid(),
      });
      await send("identify", { userId: "m-known", traits: { plan: "pro" }, timestamp: "2026-02-01T00:00:00Z", messageId: mid() });
      const anonymous = await findProfileById(t.db, workspaceId, "m-anon");
      expect(anonymous).toMatchObject({ country: "AT", traits: { goal: "run", plan: "trial" } });

      const res = await send("identify", { userId: "m-known", anonymousId: "m-anon", traits: {}, timestamp: "2026-01-03T00:00:00Z", messageId: mid() });
      expect(res.status).toBe(200);
      const merged = await findProfileById(t.db, workspaceId, "m-known");
      expect(merged?.id).toBe((await findProfileById(t.db, workspaceId, "m-anon"))?.id);
      expect(merged?.traits).toEqual({ goal: "run", plan: "pro", address: { country: "AT" } });
      expect(merged?.country).toBe("AT");
      expect(merged?.firstSeenAt.toISOString()).toBe("2026-01-03T00:00:00.000Z");
      expect(merged?.lastSeenAt.toISOString()).toBe("2026-02-01T00:00:00.000Z");
      expect(merged?.identities.map((i) => `${i.kind}:${i.value}`).sort()).toEqual(["anonymous_id:m-anon", "user_id:m-known"]);
    });

    it("alias of an anonymous visitor into a known person keeps their traits, in a batch too", async () => {
      const res = await send("batch", {
        batch: [
          { type: "identify", anonymousId: "al-anon", traits: { quiz: "sleep", email: "al@example.com" }, messageId: mid() },
          { type: "identify", userId: "al-known", traits: { plan: "free" }, messageId: mid() },
          { type: "alias", previousId: "al-anon", userId: "al-known", messageId: mid() },
        ],
      });
      expect(await res.json()).toEqual({ success: true });
      const merged = await findProfileById(t.db, workspaceId, "al-known");
      expect(merged?.traits).toEqual({ quiz: "sleep", email: "al@example.com", plan: "free" });
      expect(merged?.email).toBe("al@example.com");
      expect((await findProfileById(t.db, workspaceId, "al-anon"))?.id).toBe(merged?.id);
    });

    it("alias never merges two known people, nor renames one: refused per message, nothing stored from it", async () => {
      await send("identify", { userId: "victim", traits: { email: "victim@example.com" }, messageId: mid() });
      await send("track", { userId: "victim", event: "purchase", messageId: mid() });
      await send("identify", { userId: "attacker", anonymousId: "attacker-device", messageId: mid() });
      const victim = await findProfileById(t.db, workspaceId, "victim");
      const attacker = await findProfileById(t.db, workspaceId, "attacker");

      for (const [previousId, userId] of [
        ["victim", "attacker"], // two known people
        ["attacker-device", "victim"], // an anonymous id that belongs to a known person
        ["victim", "attacker-new"], // renaming a known person
      ]) {
        const aliasId = mid();
        const good = mid();
        const res = await send("batch", {
          batch: [
            { type: "alias", previousId, userId, messageId: aliasId },
            { type: "track", userId: "attacker", event: "after", messageId: good },
          ],
        });
        expect(res.status).toBe(200);
        const answer = await res.json();
        expect(answer.errors).toEqual([{ index: 0, messageId: aliasId, error: expect.stringMatching(/known/) }]);
        expect(await stored([aliasId])).toBe(0);
        expect(await stored([good])).toBe(1);
        const single = await send("alias", { previousId, userId, messageId: mid() });
        expect(single.status).toBe(400);
      }
      expect(await findProfileById(t.db, workspaceId, "victim")).toMatchObject({ id: victim!.id, userId: "victim", traits: { email: "victim@example.com" } });
      expect((await findProfileById(t.db, workspaceId, "attacker"))?.id).toBe(attacker!.id);
      expect(await findProfileById(t.db, workspaceId, "attacker-new")).toBeNull();
      expect(await t.db.event.count({ where: { profileId: victim!.id, name: "purchase" } })).toBe(1);
    });

    it("identify never merges two known people either: the message is kept on its user, the other keeps their anonymous id", async () => {
      await send("identify", { userId: "share-a", anonymousId: "shared-device", messageId: mid() });
      const res = await send("identify", { userId: "share-b", anonymousId: "shared-device", traits: { plan: "b" }, messageId: mid() });
      expect(res.status).toBe(200);
      const a = await findProfileById(t.db, workspaceId, "share-a");
      const b = await findProfileById(t.db, workspaceId, "share-b");
      expect(a?.id).not.toBe(b?.id);
      expect(b?.traits).toEqual({ plan: "b" });
      expect((await findProfileById(t.db, workspaceId, "shared-device"))?.id).toBe(a?.id);
    });
  });

  it("a duplicate messageId from a new person leaves no empty profile behind", async () => {
    const messageId = mid();
    await send("track", { userId: "dup-first", event: "e", messageId });
    for (const endpoint of ["track", "batch"] as const) {
      const message = { type: "track", userId: `dup-new-${endpoint}`, anonymousId: `dup-anon-${endpoint}`, event: "e", messageId };
      const res = await send(endpoint, endpoint === "batch" ? { batch: [message] } : message);
      expect(res.status).toBe(200);
      expect(await findProfileById(t.db, workspaceId, `dup-new-${endpoint}`)).toBeNull();
      expect(await findProfileById(t.db, workspaceId, `dup-anon-${endpoint}`)).toBeNull();
    }
  });

  it("fuzz: valid messages mixed with NUL, lone surrogates, deep nesting, huge strings and odd timestamps — never a 5xx, every valid one stored, every invalid one answered", async () => {
    const ok = fc.record({
      type: fc.constantFrom("track", "identify", "page"),
      userId: fc.stringMatching(/^[a-z0-9]{1,12}$/),
      event: fc.stringMatching(/^[a-z_]{1,20}$/),
      properties: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.oneof(fc.string({ unit: "grapheme", maxLength: 30 }), fc.integer(), fc.boolean()), { maxKeys: 4 }),
      traits: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.oneof(fc.string({ maxLength: 20 }), fc.integer()), { maxKeys: 3 }),
    });
    const poison = fc.oneof(
      fc.constant("\u0000"),
      fc.constant("\ud800"),
      fc.constant("\udfff tail"),
      fc.string({ unit: "binary", minLength: 1, maxLength: 8 }).map((s) => `${s}\u0000`),
    );
    const odd = fc.constantFrom("1", "March 7", "2199-01-01T00:00:00Z", "0000-00-00", "2026-13-01", "", "NaN");
    type Bad = (m: Record<string, unknown>) => Record<string, unknown>;
    const bad: fc.Arbitrary<Bad> = fc.oneof(
      fc.tuple(fc.constantFrom("userId", "event", "anonymousId", "messageId"), poison).map(([field, p]): Bad => (m) => ({ ...m, [field]: `${String(m[field] ?? "x")}${p}` })),
      poison.map((p): Bad => (m) => ({ ...m, properties: { ...(m.properties as object), v: p } })),
      poison.map((p): Bad => (m) => ({ ...m, properties: { [p]: 1 } })),
      fc.integer({ min: 65, max: 3_000 }).map((n): Bad => (m) => ({ ...m, properties: deep(n) as object })),
      fc.constant<Bad>((m) => ({ ...m, properties: { blob: "x".repeat(40_000) } })),
      odd.map((timestamp): Bad => (m) => ({ ...m, timestamp })),
    );
    const item = fc.oneof({ arbitrary: ok.map((m) => ({ m, bad: null as Bad | null })), weight: 3 }, fc.tuple(ok, bad).map(([m, b]) => ({ m, bad: b as Bad | null })));
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 8 }), async (items) => {
        const messages = items.map(({ m, bad }) => {
          const message = { ...m, messageId: mid() };
          return { message: bad ? bad(message) : message, valid: !bad };
        });
        const res = await send("batch", { batch: messages.map((x) => x.message) });
        expect(res.status).toBeLessThan(500);
        const answer = await res.json();
        const refused = new Set<number>((answer.errors ?? []).map((e: { index: number }) => e.index));
        messages.forEach((x, i) => expect(refused.has(i), `message ${i} valid=${x.valid}`).toBe(!x.valid));
        const validIds = messages.filter((x) => x.valid).map((x) => x.message.messageId as string);
        expect(await stored(validIds)).toBe(validIds.length);
        if (validIds.length === 0) expect(res.status).toBe(400);
      }),
      { numRuns: 120 },
    );
  });
});
