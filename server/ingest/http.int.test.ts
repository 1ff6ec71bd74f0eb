import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { insertApiKey, revokeApiKey } from "@/server/keys/service";
import { findProfileById } from "@/server/profiles/service";
import { suppressionHash } from "./service";
import { handleIngest } from "./http";
import type { MessageType } from "@/lib/ingest/schema";

process.env.INGEST_RATE_LIMIT = "2000";

describe("Segment-compatible ingestion API", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  let writeKey: string;
  let secretKey: string;
  let counter = 0;
  const mid = () => `msg-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    workspaceId = workspace.id;
    writeKey = (await insertApiKey(t.db, { workspaceId, name: "w", kind: "write", createdById: admin.id })).raw;
    secretKey = (await insertApiKey(t.db, { workspaceId, name: "s", kind: "secret", createdById: admin.id })).raw;
  });

  function send(endpoint: MessageType | "batch", body: unknown, key: string | null = writeKey, raw?: string) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key !== null) headers.authorization = `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
    return handleIngest(
      new Request(`http://localhost/api/v1/${endpoint}`, { method: "POST", headers, body: raw ?? JSON.stringify(body) }),
      endpoint,
    );
  }

  async function eventsOf(id: string) {
    const profile = await findProfileById(t.db, workspaceId, id);
    return profile ? t.db.event.findMany({ where: { profileId: profile.id }, orderBy: { id: "asc" } }) : [];
  }

  it("accepts every message type and answers like Segment", async () => {
    const user = "u-types";
    for (const [endpoint, body] of [
      ["identify", { userId: user, traits: { email: "Types@Example.com", plan: "pro" }, context: { timezone: "Europe/Berlin" } }],
      ["track", { userId: user, event: "purchase", properties: { amount: 129 } }],
      ["page", { userId: user, name: "Pricing", properties: { path: "/pricing" } }],
      ["screen", { userId: user, name: "Home" }],
      ["group", { userId: user, groupId: "acme", traits: { size: 10 } }],
      ["alias", { userId: user, previousId: "old-id" }],
    ] as const) {
      const res = await send(endpoint, { ...body, messageId: mid() });
      expect(res.status, endpoint).toBe(200);
      expect(await res.json()).toEqual({ success: true });
    }
    const profile = await findProfileById(t.db, workspaceId, user);
    expect(profile).toMatchObject({ userId: user, email: "types@example.com", timezone: "Europe/Berlin", traits: { plan: "pro" } });
    expect((await eventsOf(user)).map((e) => [e.type, e.name])).toEqual([
      ["identify", null],
      ["track", "purchase"],
      ["page", "Pricing"],
      ["screen", "Home"],
      ["group", null],
      ["alias", null],
    ]);
    expect((await findProfileById(t.db, workspaceId, "old-id"))?.id).toBe(profile?.id);
  });

  it("stores a retried message once", async () => {
    const messageId = mid();
    for (let i = 0; i < 3; i++) {
      const res = await send("track", { userId: "u-dedupe", event: "app_open", messageId });
      expect(res.status).toBe(200);
    }
    const batch = await send("batch", { batch: [{ type: "track", userId: "u-dedupe", event: "app_open", messageId }] });
    expect(batch.status).toBe(200);
    expect(await t.db.event.count({ where: { workspaceId, messageId } })).toBe(1);
  });

  it("concurrent retries of one message store it once", async () => {
    const messageId = mid();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => send("track", { anonymousId: "a-race", event: "add_to_cart", messageId })),
    );
    expect(results.map((r) => r.status)).toEqual(new Array(8).fill(200));
    expect(await t.db.event.count({ where: { workspaceId, messageId } })).toBe(1);
    expect(await t.db.profileIdentity.count({ where: { workspaceId, value: "a-race" } })).toBe(1);
  });

  it("merges anonymous activity into the known profile on identify: events and traits move, both ids resolve", async () => {
    await send("track", { anonymousId: "anon-1", event: "product_viewed", messageId: mid(), properties: { product: "Pulse 3" } });
    await send("identify", { anonymousId: "anon-1", traits: { goal: "run_faster" }, messageId: mid() });
    // Known user already exists with their own history.
    await send("identify", { userId: "known-1", traits: { plan: "free", goal: "sleep_better" }, messageId: mid() });
    await send("identify", { userId: "known-1", anonymousId: "anon-1", traits: { email: "k1@example.com" }, messageId: mid() });

    const known = await findProfileById(t.db, workspaceId, "known-1");
    const anonymous = await findProfileById(t.db, workspaceId, "anon-1");
    expect(anonymous?.id).toBe(known?.id);
    // The known profile's traits win over the anonymous ones; nothing is lost.
    expect(known?.traits).toEqual({ plan: "free", goal: "sleep_better", email: "k1@example.com" });
    expect((await eventsOf("known-1")).map((e) => e.name ?? e.type)).toEqual(["product_viewed", "identify", "identify", "identify"]);
    expect(await t.db.profile.count({ where: { workspaceId, OR: [{ userId: "known-1" }, { identities: { some: { value: "anon-1" } } }] } })).toBe(1);
  });

  it("an anonymous profile becomes known on its first identify, and alias joins two ids", async () => {
    await send("page", { anonymousId: "anon-2", name: "Home", messageId: mid() });
    await send("identify", { anonymousId: "anon-2", userId: "known-2", messageId: mid() });
    expect((await findProfileById(t.db, workspaceId, "known-2"))?.id).toBe((await findProfileById(t.db, workspaceId, "anon-2"))?.id);

    await send("track", { anonymousId: "anon-3", event: "feature_used", messageId: mid() });
    await send("alias", { previousId: "anon-3", userId: "known-3", messageId: mid() });
    const aliased = await findProfileById(t.db, workspaceId, "known-3");
    expect(aliased?.userId).toBe("known-3");
    expect((await eventsOf("known-3")).map((e) => e.type)).toEqual(["track", "alias"]);
  });

  it("concurrent identifies for one person never create two profiles", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send("identify", { userId: "u-concurrent", anonymousId: `anon-c-${i}`, traits: { n: i }, messageId: mid() })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await t.db.profile.count({ where: { workspaceId, userId: "u-concurrent" } })).toBe(1);
    const profile = await findProfileById(t.db, workspaceId, "u-concurrent");
    expect(profile?.identities).toHaveLength(21);
  });

  it("a null trait removes it", async () => {
    await send("identify", { userId: "u-null", traits: { plan: "pro", age: 31 }, messageId: mid() });
    await send("identify", { userId: "u-null", traits: { age: null }, messageId: mid() });
    expect((await findProfileById(t.db, workspaceId, "u-null"))?.traits).toEqual({ plan: "pro" });
  });

  it("corrects client clock skew", async () => {
    const sentAt = new Date(Date.now() + 3_600_000); // the client's clock is an hour fast
    const timestamp = new Date(sentAt.getTime() - 10_000);
    await send("track", { userId: "u-skew", event: "e", messageId: mid(), timestamp: timestamp.toISOString(), sentAt: sentAt.toISOString() });
    const [event] = await eventsOf("u-skew");
    const lag = event!.receivedAt.getTime() - event!.timestamp.getTime();
    expect(lag).toBe(10_000);
  });

  it("a batch about new people resolves identities in order: anonymous → identified → known, one profile", async () => {
    const res = await send("batch", {
      batch: [
        { type: "page", anonymousId: "b-anon", name: "Home", messageId: mid() },
        { type: "track", anonymousId: "b-anon", event: "add_to_cart", messageId: mid() },
        { type: "identify", anonymousId: "b-anon", userId: "b-user", traits: { plan: "plus" }, messageId: mid() },
        { type: "track", userId: "b-user", event: "purchase", messageId: mid() },
        { type: "track", anonymousId: "b-other", event: "app_open", messageId: mid() },
        { type: "alias", previousId: "b-other", userId: "b-other-known", messageId: mid() },
      ],
    });
    expect(res.status).toBe(200);
    const profile = await findProfileById(t.db, workspaceId, "b-user");
    expect(profile).toMatchObject({ userId: "b-user", traits: { plan: "plus" } });
    expect((await findProfileById(t.db, workspaceId, "b-anon"))?.id).toBe(profile?.id);
    expect((await eventsOf("b-user")).map((e) => e.name ?? e.type)).toEqual(["Home", "add_to_cart", "identify", "purchase"]);
    expect((await findProfileById(t.db, workspaceId, "b-other-known"))?.id).toBe((await findProfileById(t.db, workspaceId, "b-other"))?.id);
  });

  it("a batch repeating one messageId stores it once", async () => {
    const messageId = mid();
    const res = await send("batch", {
      batch: [
        { type: "track", userId: "b-dup", event: "x", messageId },
        { type: "track", userId: "b-dup", event: "x", messageId },
      ],
    });
    expect(res.status).toBe(200);
    expect(await t.db.event.count({ where: { workspaceId, messageId } })).toBe(1);
  });

  it("a batch stores each valid message and lists the invalid ones", async () => {
    const ids = [mid(), mid(), mid()];
    const res = await send("batch", {
      sentAt: new Date().toISOString(),
      batch: [
        { type: "track", userId: "u-batch", event: "a", messageId: ids[0] },
        { type: "track", userId: "u-batch", messageId: ids[1] },
        { type: "launch", userId: "u-batch", messageId: ids[2] },
        { type: "page", anonymousId: "anon-batch", messageId: mid() },
      ],
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.success).toBe(true);
    expect(body.errors).toEqual([
      { index: 1, messageId: ids[1], error: expect.stringContaining("event: ") },
      { index: 2, messageId: ids[2], error: expect.stringContaining("type: must be one of") },
    ]);
    expect(await t.db.event.count({ where: { workspaceId, messageId: { in: ids } } })).toBe(1);
  });

  it.each<[string, MessageType | "batch", unknown, string | undefined, RegExp]>([
    ["invalid JSON", "track", null, "{nope", /invalid JSON/],
    ["an array body", "track", [1], undefined, /JSON object/],
    ["no userId or anonymousId", "track", { event: "e" }, undefined, /userId: userId or anonymousId is required/],
    ["a missing event", "track", { userId: "u" }, undefined, /event: /],
    ["a batch that is not an array", "batch", { batch: {} }, undefined, /batch: must be an array/],
    ["an empty batch", "batch", { batch: [] }, undefined, /at least one message/],
    ["a message over 32 KB", "track", { userId: "u", event: "e", properties: { x: "y".repeat(33 * 1024) } }, undefined, /larger than 32 KB/],
    ["a batch over 500 KB", "batch", { batch: Array.from({ length: 20 }, () => ({ type: "track", userId: "u", event: "e", properties: { x: "y".repeat(30 * 1024) } })) }, undefined, /larger than 500 KB/],
  ])("400 for %s", async (_name, endpoint, body, raw, message) => {
    const before = await t.db.event.count();
    const res = await send(endpoint, body, writeKey, raw);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(message);
    expect(await t.db.event.count()).toBe(before);
  });

  it("401 for a missing, unknown, revoked or secret key", async () => {
    const body = { userId: "u", event: "e" };
    expect((await send("track", body, null)).status).toBe(401);
    expect((await send("track", body, "nope")).status).toBe(401);
    expect((await send("track", body, secretKey)).status).toBe(401);
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const { key, raw } = await insertApiKey(t.db, { workspaceId: workspace.id, name: "tmp", kind: "write", createdById: admin.id });
    expect((await send("track", { ...body, messageId: mid() }, raw)).status).toBe(200);
    await revokeApiKey(t.db, { workspaceId: workspace.id, actor: { userId: admin.id, label: admin.email }, keyId: key.id });
    const revoked = await send("track", { ...body, messageId: mid() }, raw);
    expect(revoked.status).toBe(401);
    expect((await revoked.json()).error).toMatch(/revoked/);
  });

  it("429 with Retry-After above the per-key rate", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const { raw } = await insertApiKey(t.db, { workspaceId: workspace.id, name: "tmp", kind: "write", createdById: admin.id });
    const res = await send("batch", { batch: Array.from({ length: 2_001 }, () => ({})) }, raw);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("drops messages about a deleted (suppressed) person", async () => {
    await t.db.suppression.create({ data: { workspaceId, idHash: suppressionHash("gone-user") } });
    const res = await send("track", { userId: "gone-user", event: "e", messageId: mid() });
    expect(res.status).toBe(200);
    expect(await findProfileById(t.db, workspaceId, "gone-user")).toBeNull();
  });

  it("never answers 500 to malformed payloads, and stores nothing from a rejected request (fuzz)", async () => {
    const validish = fc.record(
      {
        type: fc.constantFrom("track", "identify", "page", "alias", "group", "screen", "bogus", 7),
        userId: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(""), fc.object()),
        anonymousId: fc.oneof(fc.string(), fc.constant(undefined)),
        event: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
        timestamp: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer()),
        properties: fc.oneof(fc.object({ maxDepth: 3 }), fc.array(fc.anything()), fc.string()),
        traits: fc.oneof(fc.object({ maxDepth: 3 }), fc.constant(null)),
        context: fc.oneof(fc.object({ maxDepth: 2 }), fc.string()),
        previousId: fc.oneof(fc.string(), fc.constant(undefined)),
        groupId: fc.oneof(fc.string(), fc.constant(undefined)),
      },
      { requiredKeys: [] },
    );
    const payload = fc.oneof(
      fc.anything({ maxDepth: 3 }).map((v) => ({ raw: JSON.stringify(v) ?? "undefined" })),
      fc.string().map((s) => ({ raw: s })),
      fc.array(validish, { maxLength: 5 }).map((batch) => ({ raw: JSON.stringify({ batch }) })),
    );
    await fc.assert(
      fc.asyncProperty(payload, fc.constantFrom<MessageType | "batch">("batch", "track", "identify"), async ({ raw }, endpoint) => {
        const before = await t.db.event.count({ where: { workspaceId } });
        const res = await send(endpoint, null, writeKey, raw);
        expect([200, 400]).toContain(res.status);
        if (res.status === 400) expect(await t.db.event.count({ where: { workspaceId } })).toBe(before);
      }),
      { numRuns: 150 },
    );
  });
});
