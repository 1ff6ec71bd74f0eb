import { describe, expect, it } from "vitest";
import { ZPushSettings } from "@/lib/channels/schema";
import { generateVapidKeys, topicFor, verifyWebPush } from "./webpush";

describe("VAPID keys", () => {
  const keys = generateVapidKeys();
  const settings = ZPushSettings.parse({ webPush: { publicKey: keys.publicKey, subject: "mailto:push@acme.test" } });

  it("are made as a P-256 pair in the formats the settings take", () => {
    expect(keys.publicKey).toMatch(/^B[A-Za-z0-9_-]{86}$/);
    expect(keys.privateKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateVapidKeys().privateKey).not.toBe(keys.privateKey);
  });

  it("are tested locally: a pair, and a usable subject", () => {
    expect(verifyWebPush(settings, keys.privateKey)).toEqual({ ok: true, message: "The VAPID keys are a pair and the subject is valid. Send a test to a subscribed browser to check delivery." });
    expect(verifyWebPush(settings, ` ${keys.privateKey}\n`).ok).toBe(true);
    const other = generateVapidKeys().privateKey;
    expect(verifyWebPush(settings, other)).toEqual({ ok: false, message: "The VAPID private key does not belong to the public key in the settings." });
    expect(verifyWebPush(settings, "not a key")).toEqual({ ok: false, message: "The VAPID private key must be 43 characters of URL-safe base64 (32 bytes)." });
    expect(verifyWebPush(settings, "A".repeat(43))).toEqual({ ok: false, message: "The VAPID private key is not a valid P-256 key." });
    expect(verifyWebPush(ZPushSettings.parse({ fcm: { projectId: "acme-app-1234" } }), keys.privateKey)).toEqual({ ok: false, message: "Web Push is not set up on this channel." });
    for (const key of [other, "not a key", keys.privateKey]) expect(JSON.stringify(verifyWebPush(settings, key === keys.privateKey ? other : key))).not.toContain(keys.privateKey);
  });
});

describe("the push Topic of a delivery", () => {
  it("is the same for every retry, different per delivery, and within the 32 URL-safe characters allowed", () => {
    expect(topicFor("delivery-1")).toBe(topicFor("delivery-1"));
    expect(topicFor("delivery-1")).not.toBe(topicFor("delivery-2"));
    expect(topicFor("x".repeat(1000))).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});
