import { generateKeyPairSync, verify } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZPushSettings, type PushSettings } from "@/lib/channels/schema";
import { startHttpSink, type HttpSink, type SinkReply, type SunkRequest } from "@/server/test/http-sink";
import { forgetFcmTokens, sendFcm, verifyFcm } from "./fcm";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const KEY_LINE = privateKey.split("\n")[3]!;
const EMAIL = "junction@acme-app-1234.iam.gserviceaccount.com";
const PROJECT = "acme-app-1234";

/** FCM's error answers, as Google sends them. */
const fcmError = (code: number, status: string, message: string, errorCode?: string): SinkReply => ({
  status: code,
  body: { error: { code, message, status, details: errorCode ? [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }] : [] } },
});

/** One local server standing in for Google's token endpoint and for FCM. */
describe("FCM HTTP v1, against a local stand-in for Google", () => {
  let sink: HttpSink;
  let issued = 0;
  const local = { allowPrivate: true };
  const json = (over: Record<string, unknown> = {}) =>
    JSON.stringify({ type: "service_account", project_id: PROJECT, private_key_id: "key-1", private_key: privateKey, client_email: EMAIL, token_uri: `${sink.url}/token`, ...over });
  const settings = (over: Record<string, unknown> = {}): PushSettings => ZPushSettings.parse({ fcm: { projectId: PROJECT, baseUrl: sink.url, ...over } });
  const message = { title: "Your analysis is ready", body: "Tap to see it", url: "https://acme.test/analysis", data: { analysisId: "a-17" } };
  const send = (token = "device-token-1", key = "delivery-9") => sendFcm(settings(), json(), token, message, { idempotencyKey: key, policy: local });
  const tokenRequests = () => sink.requests.filter((r) => r.path === "/token");
  const sends = () => sink.requests.filter((r) => r.path !== "/token");

  /** Google's side of the exchange: the JWT must be signed by the key and addressed to this endpoint. */
  function tokenEndpoint(request: SunkRequest): SinkReply {
    const form = new URLSearchParams(request.text);
    const [header, claims, signature] = (form.get("assertion") ?? "").split(".") as [string, string, string];
    const body = JSON.parse(Buffer.from(claims ?? "", "base64url").toString() || "{}") as Record<string, unknown>;
    const good =
      form.get("grant_type") === "urn:ietf:params:oauth:grant-type:jwt-bearer" &&
      verify("RSA-SHA256", Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature ?? "", "base64url")) &&
      body.iss === EMAIL &&
      body.aud === `${sink.url}/token` &&
      body.scope === "https://www.googleapis.com/auth/firebase.messaging";
    if (!good) return { status: 400, body: { error: "invalid_grant", error_description: "Invalid JWT Signature." } };
    issued += 1;
    return { status: 200, body: { access_token: `ya29.issued-${issued}`, expires_in: 3599, token_type: "Bearer" } };
  }

  beforeAll(async () => {
    sink = await startHttpSink();
  });
  afterAll(() => sink.close());
  beforeEach(() => {
    sink.reset();
    forgetFcmTokens();
    sink.handle((request) => {
      if (request.path === "/token") return tokenEndpoint(request);
      if (!/^Bearer ya29\.issued-\d+$/.test(String(request.headers.authorization))) return fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
      return { status: 200, body: { name: `projects/${PROJECT}/messages/0:1700000000000000%31bd1c96` } };
    });
  });

  it("signs in with the service account, then sends the v1 message with the token", async () => {
    expect(await send()).toEqual({ ok: true, message: "FCM accepted the message.", providerMessageId: `projects/${PROJECT}/messages/0:1700000000000000%31bd1c96` });
    expect(tokenRequests()).toHaveLength(1);
    expect(tokenRequests()[0]!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const request = sends()[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe(`/v1/projects/${PROJECT}/messages:send`);
    expect(request.headers.authorization).toBe(`Bearer ya29.issued-${issued}`);
    expect(request.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(request.text)).toEqual({
      message: {
        token: "device-token-1",
        notification: { title: "Your analysis is ready", body: "Tap to see it" },
        webpush: { fcm_options: { link: "https://acme.test/analysis" } },
        data: { analysisId: "a-17" },
      },
    });
  });

  it("keeps the access token for the next sends", async () => {
    await send();
    await send("device-token-2");
    expect(tokenRequests()).toHaveLength(1);
    expect(sends()).toHaveLength(2);
  });

  it("gets a new token once when Google no longer takes the kept one", async () => {
    await send();
    sink.reply(fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));
    expect(await send()).toMatchObject({ ok: true });
    expect(tokenRequests()).toHaveLength(2);
    // A fresh token refused is not tried again.
    forgetFcmTokens();
    sink.reset();
    sink.reply({ status: 200, body: { access_token: "ya29.fresh", expires_in: 3599 } }, fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));
    expect(await send()).toEqual({ ok: false, retryable: false, message: "FCM answered 401 Unauthorized: Request had invalid authentication credentials. (UNAUTHENTICATED)." });
    expect(sink.requests).toHaveLength(2);
  });

  it("says which device tokens to forget", async () => {
    await send(); // the token is kept: the replies below are FCM's
    sink.reply(
      fcmError(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"),
      fcmError(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"),
      fcmError(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT"),
    );
    expect(await send()).toEqual({
      ok: false,
      retryable: false,
      invalidToken: true,
      message: "FCM answered 404 Not Found: Requested entity was not found. (UNREGISTERED). The device token is no longer registered (the app was removed or the token expired).",
    });
    expect(await send()).toMatchObject({ ok: false, retryable: false, invalidToken: true, message: expect.stringMatching(/another Firebase project/) });
    expect(await send()).toMatchObject({ ok: false, retryable: false, invalidToken: true });
    expect(await send("bad token with spaces")).toMatchObject({ ok: false, invalidToken: true, message: "The device token is not an FCM registration token." });
  });

  it("retries quota and outages, not bad messages", async () => {
    await send();
    sink.reply(
      { ...fcmError(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "QUOTA_EXCEEDED"), headers: { "retry-after": "30" } },
      fcmError(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"),
      fcmError(400, "INVALID_ARGUMENT", "Invalid value at 'message.data[0].value'", "INVALID_ARGUMENT"),
    );
    expect(await send()).toEqual({ ok: false, retryable: true, retryAfterSeconds: 30, message: "FCM answered 429 Too Many Requests: Quota exceeded. (QUOTA_EXCEEDED)." });
    expect(await send()).toMatchObject({ ok: false, retryable: true });
    expect(await send()).toEqual({ ok: false, retryable: false, message: "FCM answered 400 Bad Request: Invalid value at 'message.data[0].value' (INVALID_ARGUMENT)." });
    expect(await sendFcm(settings(), json(), "t", { ...message, data: { "google.x": "1" } }, { idempotencyKey: "k", policy: local })).toMatchObject({
      ok: false,
      message: "The data key “google.x” is reserved by FCM.",
    });
  });

  it("reports Google's refusal of the service account", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const wrongKey = json({ private_key: other.privateKey });
    const expected = `Google did not issue an access token to ${EMAIL}: invalid_grant (Invalid JWT Signature.).`;
    expect(await verifyFcm(settings(), wrongKey, local)).toEqual({ ok: false, message: expected });
    expect(await sendFcm(settings(), wrongKey, "t", message, { idempotencyKey: "k", policy: local })).toEqual({ ok: false, retryable: false, message: expected });
    sink.reply({ status: 503, body: "try later" });
    expect(await send()).toMatchObject({ ok: false, retryable: true, message: expect.stringMatching(/^Google did not issue an access token .*503 Service Unavailable/) });
    expect(sends()).toHaveLength(0);
  });

  it("tests the connection by obtaining a token, naming a malformed key's field", async () => {
    expect(await verifyFcm(settings(), json(), local)).toEqual({ ok: true, message: `Google issued an access token to ${EMAIL} for sending to project ${PROJECT}.` });
    expect(sends()).toHaveLength(0);
    expect(await verifyFcm(settings(), json({ private_key: undefined }), local)).toEqual({ ok: false, message: "The service-account JSON is not usable: private_key is missing." });
    expect(await verifyFcm(settings(), json({ client_email: "junction" }), local)).toEqual({ ok: false, message: "The service-account JSON is not usable: client_email must be an email." });
    expect(await verifyFcm(settings(), "{not json", local)).toMatchObject({ ok: false, message: expect.stringMatching(/^The service-account JSON is not valid JSON/) });
    expect(await verifyFcm(ZPushSettings.parse({ webPush: { publicKey: "B" + "A".repeat(86), subject: "mailto:a@b.co" } }), json(), local)).toEqual({
      ok: false,
      message: "FCM is not set up on this channel.",
    });
  });

  it("takes the token URL from the settings over the key file", async () => {
    sink.handle((request) => (request.path === "/other-token" ? { status: 200, body: { access_token: "ya29.issued-99", expires_in: 3599 } } : { status: 200, body: { name: "n" } }));
    expect(await sendFcm(settings({ tokenUrl: `${sink.url}/other-token` }), json(), "t", message, { idempotencyKey: "k", policy: local })).toMatchObject({ ok: true });
    expect(sink.requests.map((r) => r.path)).toEqual(["/other-token", `/v1/projects/${PROJECT}/messages:send`]);
  });

  it("keeps to the timeout and the address rules", async () => {
    sink.reply({ hang: true });
    expect(await sendFcm(settings(), json(), "t", message, { idempotencyKey: "k", policy: local, timeoutMs: 400 })).toEqual({
      ok: false,
      retryable: true,
      message: "Google's token service could not be reached: no answer within 400 ms",
    });
    expect(await sendFcm(settings(), json(), "t", message, { idempotencyKey: "k" })).toMatchObject({ ok: false, retryable: false, message: expect.stringMatching(/loopback address/) });
    const metadata = json({ token_uri: "http://169.254.169.254/token" });
    expect(await verifyFcm(settings(), metadata, local)).toMatchObject({ ok: false, message: expect.stringMatching(/cloud metadata address/) });
  });

  it("never repeats the key or the access token, even when the server echoes them", async () => {
    await send();
    sink.handle((request) => fcmError(400, "INVALID_ARGUMENT", `you sent ${String(request.headers.authorization)} and ${privateKey}`));
    const outcome = await send();
    expect(outcome.ok).toBe(false);
    expect(JSON.stringify(outcome)).not.toMatch(/ya29\.issued/);
    expect(JSON.stringify(outcome)).not.toContain(KEY_LINE);
    sink.handle(() => ({ status: 400, body: { error: "invalid_grant", error_description: `bad key ${privateKey}` } }));
    forgetFcmTokens();
    for (const answer of [await send(), await verifyFcm(settings(), json(), local)]) {
      expect(answer.ok).toBe(false);
      expect(JSON.stringify(answer)).not.toContain(KEY_LINE);
    }
  });
});
