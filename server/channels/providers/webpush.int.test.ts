import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZPushSettings, type PushSettings, type WebPushSubscription } from "@/lib/channels/schema";
import { startHttpSink, type HttpSink } from "@/server/test/http-sink";
import { generateVapidKeys, sendWebPush, topicFor, type PushPayload } from "./webpush";

/** A browser's side of a subscription: its P-256 key pair and auth secret. */
function browser() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") } };
}

/** What the browser does with a push (RFC 8291, aes128gcm, one record): decrypt it. */
function decrypt(body: Buffer, user: ReturnType<typeof browser>): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const serverPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const hmac = (key: Buffer, data: Buffer) => createHmac("sha256", key).update(data).digest();
  const secret = user.ecdh.computeSecret(serverPublic);
  const ikm = hmac(hmac(user.auth, secret), Buffer.concat([Buffer.from("WebPush: info\0"), user.ecdh.getPublicKey(), serverPublic, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01")).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01")).subarray(0, 12);
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(-16));
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, -16)), decipher.final()]);
  let end = plain.length - 1;
  while (end > 0 && plain[end] === 0) end--;
  expect(plain[end]).toBe(2); // the last record's padding delimiter
  return plain.subarray(0, end).toString("utf8");
}

/** Verifies a VAPID JWT (ES256) with the raw public key from the settings. */
function vapidClaims(jwt: string, publicKey: string): Record<string, unknown> {
  const [header, claims, signature] = jwt.split(".") as [string, string, string];
  const raw = Buffer.from(publicKey, "base64url");
  const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: raw.subarray(1, 33).toString("base64url"), y: raw.subarray(33, 65).toString("base64url") }, format: "jwk" });
  expect(verify("sha256", Buffer.from(`${header}.${claims}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(signature, "base64url"))).toBe(true);
  expect(JSON.parse(Buffer.from(header, "base64url").toString())).toEqual({ typ: "JWT", alg: "ES256" });
  return JSON.parse(Buffer.from(claims, "base64url").toString()) as Record<string, unknown>;
}

/** A local HTTP server standing in for a browser vendor's push service. */
describe("Web Push, against a local push service", () => {
  let sink: HttpSink;
  const local = { allowPrivate: true };
  const vapid = generateVapidKeys();
  const user = browser();
  let settings: PushSettings;
  let subscription: WebPushSubscription;
  const message = { title: "Your analysis is ready", body: "Grüße — tap to see it ✓", url: "https://acme.test/analysis", icon: "https://acme.test/icon.png", data: { analysisId: "a-17" } };
  const send = (over: Partial<typeof message> & { ttlSeconds?: number; urgency?: "high" } = {}, sub: WebPushSubscription = subscription, key = "delivery-7") =>
    sendWebPush(settings, vapid.privateKey, sub, { ...message, ...over }, { idempotencyKey: key, policy: local });

  beforeAll(async () => {
    sink = await startHttpSink();
    settings = ZPushSettings.parse({ webPush: { publicKey: vapid.publicKey, subject: "mailto:push@acme.test" } });
    subscription = { endpoint: `${sink.url}/push/v2/abc-123`, keys: user.keys };
  });
  afterAll(() => sink.close());
  beforeEach(() => {
    sink.reset();
    sink.handle(() => ({ status: 201, headers: { location: `${sink.url}/message/m-1` } }));
  });

  it("posts the encrypted notification with VAPID, TTL, urgency and topic; the browser can read it", async () => {
    expect(await send()).toEqual({ ok: true, message: "The push service answered 201 Created.", providerMessageId: `${sink.url}/message/m-1` });
    const request = sink.last();
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/push/v2/abc-123");
    expect(request.headers).toMatchObject({
      ttl: "86400",
      "content-encoding": "aes128gcm",
      "content-type": "application/octet-stream",
      urgency: "normal",
      topic: topicFor("delivery-7"),
      "content-length": String(request.body.length),
    });
    expect(request.body.length).toBeGreaterThan(86 + 16);

    const authorization = /^vapid t=([^,]+), k=(.+)$/.exec(String(request.headers.authorization));
    expect(authorization?.[2]).toBe(vapid.publicKey);
    const claims = vapidClaims(authorization![1]!, vapid.publicKey);
    expect(claims).toMatchObject({ aud: sink.url, sub: "mailto:push@acme.test" });
    expect(Number(claims.exp) - Date.now() / 1000).toBeGreaterThan(0);
    expect(Number(claims.exp) - Date.now() / 1000).toBeLessThanOrEqual(24 * 3600);

    const payload = JSON.parse(decrypt(request.body, user)) as PushPayload;
    expect(payload).toEqual({ id: "delivery-7", ...message });
  });

  it("passes the TTL and urgency asked for", async () => {
    await send({ ttlSeconds: 60, urgency: "high" });
    expect(sink.last().headers).toMatchObject({ ttl: "60", urgency: "high" });
    await send({ ttlSeconds: 10 ** 9 });
    expect(sink.last().headers.ttl).toBe(String(28 * 86_400));
  });

  it("marks a gone subscription for removal, retries what may pass later", async () => {
    sink.reply(
      { status: 410, body: "push subscription has unsubscribed or expired.\n" },
      { status: 404 },
      { status: 429, headers: { "retry-after": "120" } },
      { status: 503, body: "maintenance" },
      { status: 413 },
      { status: 403, body: "invalid JWT provided" },
    );
    const gone = { ok: false, retryable: false, invalidToken: true };
    expect(await send()).toEqual({ ...gone, message: "The subscription no longer exists (410 Gone): the browser unsubscribed or it expired." });
    expect(await send()).toMatchObject(gone);
    expect(await send()).toEqual({ ok: false, retryable: true, retryAfterSeconds: 120, message: "The push service answered 429 Too Many Requests." });
    expect(await send()).toEqual({ ok: false, retryable: true, message: "The push service answered 503 Service Unavailable: maintenance." });
    expect(await send()).toEqual({ ok: false, retryable: false, message: "The push service answered 413 Payload Too Large." });
    expect(await send()).toEqual({
      ok: false,
      retryable: false,
      message: "The push service answered 403 Forbidden: invalid JWT provided. The subscription may have been made with another VAPID public key.",
    });
  });

  it("refuses what cannot be sent, before sending", async () => {
    expect(await send({ body: "x".repeat(4_000) })).toMatchObject({ ok: false, retryable: false, message: expect.stringMatching(/^The notification is \d+ bytes; Web Push carries at most 3993/) });
    expect(await send({}, { endpoint: `${sink.url}/p`, keys: { p256dh: "short", auth: user.keys.auth } })).toEqual({
      ok: false,
      retryable: false,
      invalidToken: true,
      message: "The subscription is not usable: keys.p256dh must be the subscription's p256dh key (URL-safe base64 of 65 bytes).",
    });
    // 65 bytes that are no point on the curve.
    expect(await send({}, { endpoint: `${sink.url}/p`, keys: { p256dh: "B" + "A".repeat(86), auth: user.keys.auth } })).toMatchObject({ ok: false, invalidToken: true });
    expect(await sendWebPush(settings, generateVapidKeys().privateKey, subscription, message, { idempotencyKey: "k", policy: local })).toEqual({
      ok: false,
      retryable: false,
      message: "The VAPID private key does not belong to the public key in the settings.",
    });
    expect(await send({}, subscription, "two\nlines")).toMatchObject({ ok: false, retryable: false });
    expect(sink.requests).toHaveLength(0);
  });

  it("goes only where the SSRF guard allows, in time", async () => {
    // Without the private-network allowance: http endpoints are refused, and so is this machine.
    expect(await sendWebPush(settings, vapid.privateKey, subscription, message, { idempotencyKey: "k" })).toEqual({
      ok: false,
      retryable: false,
      invalidToken: true,
      message: "The subscription's endpoint is not an https:// address.",
    });
    const https = { ...subscription, endpoint: "https://127.0.0.1:1/push" };
    expect(await sendWebPush(settings, vapid.privateKey, https, message, { idempotencyKey: "k" })).toMatchObject({ ok: false, retryable: false, message: expect.stringMatching(/loopback address/) });
    const metadata = { ...subscription, endpoint: "http://169.254.169.254/latest/meta-data" };
    expect(await send({}, metadata)).toMatchObject({ ok: false, retryable: false, message: expect.stringMatching(/cloud metadata address/) });
    expect(sink.requests).toHaveLength(0);

    sink.reply({ hang: true });
    const started = Date.now();
    expect(await sendWebPush(settings, vapid.privateKey, subscription, message, { idempotencyKey: "k", policy: local, timeoutMs: 500 })).toEqual({
      ok: false,
      retryable: true,
      message: "The push service could not be reached: no answer within 500 ms",
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    sink.reply({ status: 200, body: "y".repeat(50), trickleMs: 50 });
    expect(await sendWebPush(settings, vapid.privateKey, subscription, message, { idempotencyKey: "k", policy: local, timeoutMs: 500 })).toMatchObject({ retryable: true });
    sink.reply({ hangUp: true });
    expect(await send()).toMatchObject({ ok: false, retryable: true, message: expect.stringMatching(/socket hang up/) });
    sink.reply({ status: 500, body: "E".repeat(3_000_000) });
    const big = await send();
    expect(big.retryable).toBe(true);
    expect(big.message.length).toBeLessThan(300);
  });

  it("never repeats the VAPID private key", async () => {
    sink.handle((request) => ({ status: 400, body: `bad: ${String(request.headers.authorization)} ${vapid.privateKey}` }));
    const outcome = await send();
    expect(outcome.ok).toBe(false);
    expect(JSON.stringify(outcome)).not.toContain(vapid.privateKey);
  });
});
