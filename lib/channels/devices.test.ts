import { describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { deviceChangeOf, maskToken, planDeviceWrites, storedDeviceProperties, type DeviceOp } from "./devices";

const FCM = "dP3x0f8kQ0e:APA91bH" + "x".repeat(140);
const ENDPOINT = "https://fcm.googleapis.com/fcm/send/cXyZ-abc123:APA91bE" + "y".repeat(100);
const KEYS = { p256dh: "B" + "A".repeat(86), auth: "c".repeat(22) };
const track = (event: string, properties: Record<string, unknown>, context: Record<string, unknown> = {}) => ({ type: "track", event, properties, context });

describe("deviceChangeOf", () => {
  it("is null for anything but the two reserved track events", () => {
    expect(deviceChangeOf(track("purchase", { token: FCM }))).toBeNull();
    expect(deviceChangeOf(track("device registered", { kind: "fcm", token: FCM }))).toBeNull();
    expect(deviceChangeOf({ type: "identify", properties: {} })).toBeNull();
  });

  it("reads an FCM registration, the platform from properties or else the context's OS", () => {
    expect(deviceChangeOf(track("Device Registered", { kind: "fcm", token: ` ${FCM} `, platform: "android" }))).toEqual({
      ok: true,
      change: { op: "register", kind: "fcm", token: FCM, keys: null, platform: "android" },
    });
    expect(deviceChangeOf(track("Device Registered", { kind: "fcm", token: FCM }, { os: { name: "iOS" } }))).toMatchObject({ ok: true, change: { platform: "iOS" } });
    expect(deviceChangeOf(track("Device Registered", { kind: "fcm", token: FCM }))).toMatchObject({ ok: true, change: { platform: null } });
  });

  it("reads a browser's subscription (subscription.toJSON()), platform web by default", () => {
    expect(deviceChangeOf(track("Device Registered", { kind: "webpush", subscription: { endpoint: ENDPOINT, expirationTime: null, keys: KEYS } }))).toEqual({
      ok: true,
      change: { op: "register", kind: "webpush", token: ENDPOINT, keys: KEYS, platform: "web" },
    });
  });

  it("reads unregistrations: an FCM token, a subscription without keys, or an endpoint as token", () => {
    expect(deviceChangeOf(track("Device Unregistered", { kind: "fcm", token: FCM }))).toEqual({ ok: true, change: { op: "unregister", kind: "fcm", token: FCM } });
    expect(deviceChangeOf(track("Device Unregistered", { kind: "webpush", subscription: { endpoint: ENDPOINT } }))).toEqual({
      ok: true,
      change: { op: "unregister", kind: "webpush", token: ENDPOINT },
    });
    expect(deviceChangeOf(track("Device Unregistered", { kind: "webpush", token: ENDPOINT }))).toMatchObject({ ok: true, change: { token: ENDPOINT } });
  });

  it.each([
    [{}, /^properties\.kind: is required: "fcm" .* or "webpush"/],
    [{ kind: "apns", token: FCM }, /^properties\.kind: must be "fcm" or "webpush"$/],
    [{ kind: "fcm" }, /^properties\.token: is required$/],
    [{ kind: "fcm", token: 42 }, /^properties\.token: must be text$/],
    [{ kind: "fcm", token: "has a space" }, /^properties\.token: must be an FCM registration token/],
    [{ kind: "fcm", token: "x".repeat(5000) }, /^properties\.token: must be at most 4,096 characters$/],
    [{ kind: "fcm", token: FCM, platform: "x".repeat(51) }, /^properties\.platform: must be at most 50 characters$/],
    [{ kind: "webpush" }, /^properties\.subscription: /],
    [{ kind: "webpush", subscription: { endpoint: "ftp://push.example/x", keys: KEYS } }, /^properties\.subscription\.endpoint: must start with https:\/\/ or http:\/\//],
    [{ kind: "webpush", subscription: { endpoint: ENDPOINT, keys: { ...KEYS, auth: "short" } } }, /^properties\.subscription\.keys\.auth: must be the subscription's auth secret/],
    [{ kind: "webpush", subscription: { endpoint: ENDPOINT } }, /^properties\.subscription\.keys: /],
  ])("refuses %j, naming the field", (properties, error) => {
    const result = deviceChangeOf(track("Device Registered", properties));
    expect(result?.ok).toBe(false);
    expect(result && !result.ok && result.error).toMatch(error);
  });

  it("refuses an unregistration without a device", () => {
    expect(deviceChangeOf(track("Device Unregistered", { kind: "webpush" }))).toMatchObject({ ok: false, error: expect.stringMatching(/^properties\.subscription: is required/) });
    expect(deviceChangeOf(track("Device Unregistered", { kind: "fcm" }))).toMatchObject({ ok: false, error: "properties.token: is required" });
  });

  it("is part of message validation: parseMessage refuses a bad device event with the field", () => {
    const bad = parseMessage({ type: "track", userId: "u1", event: "Device Registered", properties: { kind: "webpush", subscription: { endpoint: ENDPOINT } } });
    expect(bad).toEqual({ ok: false, error: expect.stringMatching(/^properties\.subscription\.keys: /) });
    expect(parseMessage({ type: "track", userId: "u1", event: "Device Registered", properties: { kind: "fcm", token: FCM } }).ok).toBe(true);
    expect(parseMessage({ type: "track", userId: "u1", event: "Device Registered ", properties: { kind: "fcm", token: FCM } }).ok).toBe(true);
  });
});

describe("maskToken and storedDeviceProperties", () => {
  it("shortens tokens so devices can be told apart but not used", () => {
    expect(maskToken("fcm", FCM)).toBe(`dP3x0f…xxxxxx`);
    expect(maskToken("webpush", ENDPOINT)).toBe("fcm.googleapis.com/…yyyyyy");
    expect(maskToken("fcm", "short-token")).toBe("sh…en");
    expect(maskToken("webpush", `https://${"a".repeat(60)}.example/x1234567`).length).toBeLessThanOrEqual(60);
  });

  it("keeps no credentials in the event log, and everything else", () => {
    const change = deviceChangeOf(track("Device Registered", { kind: "webpush", subscription: { endpoint: ENDPOINT, keys: KEYS }, appVersion: "2.1" }));
    if (!change?.ok) throw new Error("expected a change");
    const stored = storedDeviceProperties({ kind: "webpush", subscription: { endpoint: ENDPOINT, keys: KEYS }, appVersion: "2.1" }, change.change);
    expect(stored).toEqual({ kind: "webpush", token: "fcm.googleapis.com/…yyyyyy", platform: "web", appVersion: "2.1" });
    expect(JSON.stringify(stored)).not.toContain(KEYS.auth);
  });
});

describe("planDeviceWrites", () => {
  const at = new Date("2026-12-01T10:00:00Z");
  const reg = (profileId: string, token: string): DeviceOp => ({ profileId, at, change: { op: "register", kind: "fcm", token, keys: null, platform: null } });
  const unreg = (profileId: string, token: string): DeviceOp => ({ profileId, at, change: { op: "unregister", kind: "fcm", token } });

  it("one write per device, the last registration winning, in token order", () => {
    expect(planDeviceWrites([reg("a", "t2"), reg("a", "t1"), reg("b", "t2")])).toEqual([
      { op: "upsert", kind: "fcm", token: "t1", profileId: "a", keys: null, platform: null, at },
      { op: "upsert", kind: "fcm", token: "t2", profileId: "b", keys: null, platform: null, at },
    ]);
  });

  it("an unregistration removes only the person's own device", () => {
    // Not touched before in the batch: removed only while it is theirs.
    expect(planDeviceWrites([unreg("a", "t")])).toEqual([{ op: "delete", kind: "fcm", token: "t", ownerIds: ["a"] }]);
    // Two people let go of it: whichever of them holds it.
    expect(planDeviceWrites([unreg("a", "t"), unreg("b", "t")])).toEqual([{ op: "delete", kind: "fcm", token: "t", ownerIds: ["a", "b"] }]);
    // Registered to them in this batch: whoever held it before, it goes.
    expect(planDeviceWrites([reg("a", "t"), unreg("a", "t")])).toEqual([{ op: "delete", kind: "fcm", token: "t", ownerIds: null }]);
    // Registered to someone else in this batch (a shared phone): a's sign-out changes nothing.
    expect(planDeviceWrites([reg("b", "t"), unreg("a", "t")])).toEqual([{ op: "upsert", kind: "fcm", token: "t", profileId: "b", keys: null, platform: null, at }]);
    // Removed, then registered again.
    expect(planDeviceWrites([reg("a", "t"), unreg("a", "t"), reg("a", "t")])[0]).toMatchObject({ op: "upsert", profileId: "a" });
  });
});
