import { beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { storeInAppMessage } from "@/server/inapp/service";
import { handleIngest } from "@/server/ingest/http";
import { ingestMessage } from "@/server/ingest/service";
import { insertApiKey } from "@/server/keys/service";
import { deletePerson, exportPerson } from "@/server/profiles/gdpr";
import { findProfileById } from "@/server/profiles/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { devicesOf, dropDevice } from "./service";

process.env.INGEST_RATE_LIMIT = "2000";

const createCaller = createCallerFactory(appRouter);

const fcm = (n: number) => `fcm-token-${n}:APA91b${"x".repeat(120)}${n}`;
const ENDPOINT = "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABn-abcdef123456";
const KEYS = { p256dh: "B" + "Q".repeat(86), auth: "a".repeat(22) };

describe("push devices through the tracking API", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let workspaceId: string;
  let writeKey: string;
  let n = 0;
  const mid = () => `dev-${++n}`;

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer"]);
    workspaceId = ws.workspace.id;
    writeKey = (await insertApiKey(t.db, { workspaceId, name: "w", kind: "write", createdById: ws.admin.id })).raw;
  });

  function send(endpoint: "track" | "identify" | "batch", body: unknown) {
    return handleIngest(
      new Request(`http://localhost/api/v1/${endpoint}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` },
        body: JSON.stringify(body),
      }),
      endpoint,
    );
  }

  async function profileId(id: string): Promise<string> {
    const profile = await findProfileById(t.db, workspaceId, id);
    if (!profile) throw new Error(`no profile ${id}`);
    return profile.id;
  }
  const devicesOfUser = async (id: string) => devicesOf(t.db, { workspaceId, profileId: await profileId(id) });

  it("track “Device Registered” stores an FCM token and a browser subscription for the person", async () => {
    const at = "2026-11-30T12:00:00.000Z";
    let res = await send("track", { userId: "u-reg", event: "Device Registered", properties: { kind: "fcm", token: fcm(1), platform: "android" }, timestamp: at, messageId: mid() });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    res = await send("track", { userId: "u-reg", event: "Device Registered", properties: { kind: "webpush", subscription: { endpoint: ENDPOINT, expirationTime: null, keys: KEYS } }, messageId: mid() });
    expect(res.status).toBe(200);

    const devices = await devicesOfUser("u-reg");
    expect(devices).toHaveLength(2);
    expect(devices.find((d) => d.kind === "fcm")).toMatchObject({ token: fcm(1), keys: null, platform: "android", createdAt: new Date(at), lastSeenAt: new Date(at) });
    expect(devices.find((d) => d.kind === "webpush")).toMatchObject({ token: ENDPOINT, keys: KEYS, platform: "web" });

    // The event is in the timeline, without the credentials.
    const events = await t.db.event.findMany({ where: { profileId: await profileId("u-reg"), name: "Device Registered" }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.properties)).toEqual([
      { kind: "fcm", token: "fcm-to…xxxxx1", platform: "android" },
      { kind: "webpush", token: "updates.push.services.mozilla.com/…123456", platform: "web" },
    ]);
    const stored = JSON.stringify(events.map((e) => [e.properties, e.context]));
    expect(stored).not.toContain(KEYS.auth);
    expect(stored).not.toContain(fcm(1));
  });

  it("registering again is the same device, seen again; a batch's bad device is refused on its own, its batch-mates stored", async () => {
    const first = await devicesOfUser("u-reg");
    const res = await send("batch", {
      batch: [
        { type: "track", userId: "u-reg", event: "Device Registered", properties: { kind: "fcm", token: fcm(1) }, messageId: mid() },
        { type: "track", userId: "u-reg", event: "Device Registered", properties: { kind: "webpush", subscription: { endpoint: ENDPOINT } }, messageId: "bad-device" },
        { type: "track", userId: "u-batch", event: "Device Registered", properties: { kind: "fcm", token: fcm(2), platform: "ios" }, messageId: mid() },
        { type: "track", userId: "u-batch", event: "Device Registered", properties: { kind: "apns", token: "abc" }, messageId: mid() },
        { type: "track", userId: "u-batch", event: "purchase", properties: { amount: 10 }, messageId: mid() },
      ],
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.success).toBe(true);
    expect(body.errors).toEqual([
      { index: 1, messageId: "bad-device", error: expect.stringMatching(/^properties\.subscription\.keys: is required/) },
      { index: 3, messageId: expect.any(String), error: 'properties.kind: must be "fcm" or "webpush"' },
    ]);
    const again = (await devicesOfUser("u-reg")).find((d) => d.kind === "fcm")!;
    const before = first.find((d) => d.kind === "fcm")!;
    expect(again.id).toBe(before.id);
    expect(again.createdAt).toEqual(before.createdAt);
    expect(again.lastSeenAt.getTime()).toBeGreaterThan(before.lastSeenAt.getTime());
    expect(again.platform).toBe("android"); // a registration without a platform keeps the one known
    expect((await devicesOfUser("u-batch")).map((d) => [d.token, d.platform])).toEqual([[fcm(2), "ios"]]);
    expect(await t.db.event.count({ where: { messageId: "bad-device" } })).toBe(0);
    expect(await t.db.event.count({ where: { profileId: await profileId("u-batch") } })).toBe(2);
  });

  it("a single bad device message is a 400 naming the field, and stores nothing", async () => {
    const res = await send("track", { userId: "u-nothing", event: "Device Registered", properties: { kind: "fcm", token: "with space" }, messageId: mid() });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/^properties\.token: must be an FCM registration token/);
    expect(await findProfileById(t.db, workspaceId, "u-nothing")).toBeNull();
  });

  it("a token registered by another person moves to them (a shared phone); the first person's sign-out then leaves it alone", async () => {
    await send("track", { userId: "u-alice", event: "Device Registered", properties: { kind: "fcm", token: fcm(3) }, messageId: mid() });
    await send("track", { userId: "u-bob", event: "Device Registered", properties: { kind: "fcm", token: fcm(3) }, messageId: mid() });
    expect(await devicesOfUser("u-alice")).toEqual([]);
    expect((await devicesOfUser("u-bob")).map((d) => d.token)).toEqual([fcm(3)]);
    expect(await t.db.device.count({ where: { workspaceId, token: fcm(3) } })).toBe(1);

    // Alice's app signs out on that phone later: Bob keeps the device.
    await send("track", { userId: "u-alice", event: "Device Unregistered", properties: { kind: "fcm", token: fcm(3) }, messageId: mid() });
    expect((await devicesOfUser("u-bob")).map((d) => d.token)).toEqual([fcm(3)]);
    // Bob signs out: gone.
    await send("track", { userId: "u-bob", event: "Device Unregistered", properties: { kind: "fcm", token: fcm(3) }, messageId: mid() });
    expect(await devicesOfUser("u-bob")).toEqual([]);
  });

  it("in one batch: registered to one, then another, then unregistered — message order decides", async () => {
    const res = await send("batch", {
      batch: [
        { type: "track", userId: "u-c1", event: "Device Registered", properties: { kind: "webpush", subscription: { endpoint: `${ENDPOINT}-b`, keys: KEYS } }, messageId: mid() },
        { type: "track", userId: "u-c2", event: "Device Registered", properties: { kind: "webpush", subscription: { endpoint: `${ENDPOINT}-b`, keys: KEYS } }, messageId: mid() },
        { type: "track", userId: "u-c1", event: "Device Unregistered", properties: { kind: "webpush", subscription: { endpoint: `${ENDPOINT}-b` } }, messageId: mid() },
        { type: "track", userId: "u-c1", event: "Device Registered", properties: { kind: "fcm", token: fcm(4) }, messageId: mid() },
        { type: "track", userId: "u-c1", event: "Device Unregistered", properties: { kind: "fcm", token: fcm(4) }, messageId: mid() },
      ],
    });
    expect(await res.json()).toEqual({ success: true });
    expect((await devicesOfUser("u-c2")).map((d) => d.token)).toEqual([`${ENDPOINT}-b`]);
    expect(await devicesOfUser("u-c1")).toEqual([]);
  });

  it("the single-message path (CSV import, fallback) registers and refuses the same way", async () => {
    const parsed = parseMessage({ type: "track", userId: "u-single", event: "Device Registered", properties: { kind: "fcm", token: fcm(5) }, messageId: mid() });
    if (!parsed.ok) throw new Error(parsed.error);
    expect(await ingestMessage(t.db, { workspaceId, message: parsed.message, receivedAt: new Date() })).toBe("stored");
    expect((await devicesOfUser("u-single")).map((d) => d.token)).toEqual([fcm(5)]);
    // A caller that skipped validation still gets the refusal, and nothing is written.
    const unchecked = { ...parsed.message, messageId: mid(), userId: "u-unchecked", properties: { kind: "fcm" } };
    expect(await ingestMessage(t.db, { workspaceId, message: unchecked, receivedAt: new Date() })).toEqual({ refused: "properties.token: is required" });
    expect(await findProfileById(t.db, workspaceId, "u-unchecked")).toBeNull();
  });

  it("a merge of anonymous activity moves the devices (and in-app messages) to the known person", async () => {
    await send("track", { anonymousId: "anon-merge", event: "Device Registered", properties: { kind: "webpush", subscription: { endpoint: `${ENDPOINT}-m`, keys: KEYS } }, messageId: mid() });
    const anonymous = await profileId("anon-merge");
    await storeInAppMessage(t.db, { workspaceId, profileId: anonymous, deliveryId: "merge-d1", content: { title: "Welcome", body: "Hi" } });
    await send("identify", { userId: "u-known", traits: { plan: "pro" }, messageId: mid() });
    await send("identify", { userId: "u-known", anonymousId: "anon-merge", messageId: mid() });

    const known = await profileId("u-known");
    expect(await profileId("anon-merge")).toBe(known);
    expect(await t.db.profile.count({ where: { id: anonymous } })).toBe(0);
    expect((await devicesOf(t.db, { workspaceId, profileId: known })).map((d) => d.token)).toEqual([`${ENDPOINT}-m`]);
    expect(await t.db.inAppMessage.findMany({ where: { deliveryId: "merge-d1" }, select: { profileId: true } })).toEqual([{ profileId: known }]);
  });

  it("dropDevice forgets a token the provider calls invalid; devicesOf is per workspace", async () => {
    await send("track", { userId: "u-drop", event: "Device Registered", properties: { kind: "fcm", token: fcm(6) }, messageId: mid() });
    const other = await createWorkspaceWith(t.db);
    expect(await dropDevice(t.db, { workspaceId: other.workspace.id, kind: "fcm", token: fcm(6) })).toBe(false);
    expect(await devicesOf(t.db, { workspaceId: other.workspace.id, profileId: await profileId("u-drop") })).toEqual([]);
    expect(await dropDevice(t.db, { workspaceId, kind: "webpush", token: fcm(6) })).toBe(false);
    expect(await dropDevice(t.db, { workspaceId, kind: "fcm", token: fcm(6) })).toBe(true);
    expect(await devicesOfUser("u-drop")).toEqual([]);
    expect(await dropDevice(t.db, { workspaceId, kind: "fcm", token: fcm(6) })).toBe(false);
  });

  it("the profile page's devices query shows tokens shortened, to viewers too; another workspace's profile is not found", async () => {
    const viewer = ws.members.find((m) => m.role === "viewer")!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(viewer, ws.workspace, "viewer"), headers: new Headers() };
    const caller = createCaller(ctx);
    const result = await caller.profiles.devices({ profileId: await profileId("u-reg") });
    expect(result.more).toBe(false);
    expect(result.devices.map((d) => [d.kind, d.platform, d.token])).toEqual(
      expect.arrayContaining([
        ["fcm", "android", "fcm-to…xxxxx1"],
        ["webpush", "web", "updates.push.services.mozilla.com/…123456"],
      ]),
    );
    expect(JSON.stringify(result)).not.toContain(KEYS.auth);
    expect(JSON.stringify(result)).not.toContain(fcm(1));
    expect((await caller.profiles.devices({ profileId: await profileId("u-known") })).devices).toHaveLength(1);

    const other = await createWorkspaceWith(t.db);
    const outsider = createCaller({ db: t.db, viewer: viewerFor(other.admin, other.workspace, "admin"), headers: new Headers() });
    await expect(outsider.profiles.devices({ profileId: await profileId("u-reg") })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("GDPR: the export lists devices and in-app messages, deletion removes both", async () => {
    await send("track", { userId: "u-gdpr", event: "Device Registered", properties: { kind: "fcm", token: fcm(7), platform: "android" }, messageId: mid() });
    const id = await profileId("u-gdpr");
    await storeInAppMessage(t.db, { workspaceId, profileId: id, deliveryId: "gdpr-d1", content: { title: "Your analysis", body: "Three tips", buttonLabel: "Read", buttonUrl: "https://example.com/a" } });
    const actor = { userId: ws.admin.id, label: ws.admin.email };

    const data = await exportPerson(t.db, { workspaceId, actor, profileId: id });
    expect(data.devices).toEqual([expect.objectContaining({ kind: "fcm", token: fcm(7), platform: "android" })]);
    expect(data.inAppMessages).toEqual([expect.objectContaining({ content: { title: "Your analysis", body: "Three tips", buttonLabel: "Read", buttonUrl: "https://example.com/a" } })]);

    await deletePerson(t.db, { workspaceId, actor, profileId: id });
    expect(await t.db.device.count({ where: { token: fcm(7) } })).toBe(0);
    expect(await t.db.inAppMessage.count({ where: { deliveryId: "gdpr-d1" } })).toBe(0);
    // Later registrations for the deleted person are dropped like their other events.
    const res = await send("track", { userId: "u-gdpr", event: "Device Registered", properties: { kind: "fcm", token: fcm(7) }, messageId: mid() });
    expect(res.status).toBe(200);
    expect(await t.db.device.count({ where: { token: fcm(7) } })).toBe(0);
  });
});
