import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZSmsSettings, type SmsSettings } from "@/lib/channels/schema";
import { startHttpSink, type HttpSink, type SunkRequest } from "@/server/test/http-sink";
import { sendTwilio, verifyTwilio } from "./twilio";

const ACCOUNT = "AC" + "a1b2c3d4".repeat(4);
const API_KEY = "SK" + "0f".repeat(16);
const SERVICE = "MG" + "9e".repeat(16);
const TOKEN = "planted-auth-token-7c41";

/** Decodes a Basic Authorization header into [user, password]. */
function basic(request: SunkRequest): [string, string] {
  const value = String(request.headers.authorization ?? "");
  const decoded = Buffer.from(value.replace(/^Basic /, ""), "base64").toString("utf8");
  const at = decoded.indexOf(":");
  return [decoded.slice(0, at), decoded.slice(at + 1)];
}

/** A local HTTP server answering as Twilio's REST API does. */
describe("SMS through Twilio's API, against a local stand-in", () => {
  let sink: HttpSink;
  const local = { allowPrivate: true };
  const settings = (over: Record<string, unknown> = {}): SmsSettings => ZSmsSettings.parse({ accountSid: ACCOUNT, from: "+4915100000001", baseUrl: sink.url, ...over });
  const send = (body: string, over: Record<string, unknown> = {}, secret = TOKEN) =>
    sendTwilio(settings(over), secret, { to: "+4915123456789", body }, { idempotencyKey: "delivery-42", policy: local });

  beforeAll(async () => {
    sink = await startHttpSink();
  });
  afterAll(() => sink.close());
  beforeEach(() => {
    sink.reset();
    sink.handle((request) => {
      const [user, password] = basic(request);
      if (!(user === ACCOUNT && password === TOKEN) && !(user === API_KEY && password === "key-secret")) {
        return { status: 401, body: { code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 } };
      }
      if (request.method === "GET") return { status: 200, body: { sid: ACCOUNT, friendly_name: "Acme Fitness", status: "active" } };
      return { status: 201, body: { sid: "SM" + "5".repeat(32), status: "queued" } };
    });
  });

  it("posts the form Twilio expects, with Basic auth and the idempotency key", async () => {
    const text = "Hi Ada & co: 50% off = today + tomorrow! Grüße 😀 \u0000 end";
    const outcome = await send(text);
    expect(outcome).toEqual({ ok: true, message: "Twilio accepted the message (queued).", providerMessageId: "SM" + "5".repeat(32) });
    const request = sink.last();
    expect(request.method).toBe("POST");
    expect(request.path).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    expect(basic(request)).toEqual([ACCOUNT, TOKEN]);
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded; charset=utf-8");
    expect(request.headers["i-twilio-idempotency-token"]).toBe("delivery-42");
    const form = new URLSearchParams(request.text);
    expect([...form.keys()]).toEqual(["To", "Body", "From"]);
    expect(form.get("To")).toBe("+4915123456789");
    expect(form.get("Body")).toBe(text);
    expect(form.get("From")).toBe("+4915100000001");
  });

  it("sends through a messaging service, signs in with an API key, and keeps a base path", async () => {
    await send("Hello", { from: undefined, messagingServiceSid: SERVICE, apiKeySid: API_KEY }, "key-secret");
    expect(basic(sink.last())).toEqual([API_KEY, "key-secret"]);
    const form = new URLSearchParams(sink.last().text);
    expect(form.get("MessagingServiceSid")).toBe(SERVICE);
    expect(form.has("From")).toBe(false);

    await send("Hello", { baseUrl: `${sink.url}/twilio-compatible/` });
    expect(sink.last().path).toBe(`/twilio-compatible/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
  });

  it("shows Twilio's own error and code; retries only what may pass later", async () => {
    sink.reply(
      { status: 400, body: { code: 21211, message: "The 'To' number +4915123456789 is not a valid phone number.", more_info: "https://www.twilio.com/docs/errors/21211", status: 400 } },
      { status: 429, headers: { "retry-after": "3" }, body: { code: 20429, message: "Too Many Requests", status: 429 } },
      { status: 502, body: "<html>Bad gateway</html>" },
    );
    expect(await send("Hi")).toEqual({ ok: false, retryable: false, message: "The 'To' number +4915123456789 is not a valid phone number. (Twilio error 21211)" });
    expect(await send("Hi")).toEqual({ ok: false, retryable: true, retryAfterSeconds: 3, message: "Too Many Requests (Twilio error 20429)" });
    expect(await send("Hi")).toEqual({ ok: false, retryable: true, message: "Twilio answered 502 Bad Gateway: <html>Bad gateway</html>" });
    expect(await send("Hi", {}, "wrong-token")).toEqual({
      ok: false,
      retryable: false,
      message: "Twilio did not accept the credentials: Authenticate (Twilio error 20003). Check the Account SID and auth token (or the API key SID and its secret).",
    });
  });

  it("refuses what Twilio cannot send, before sending", async () => {
    expect(await send("x".repeat(1_601))).toEqual({ ok: false, retryable: false, message: "The message is 1601 characters long; Twilio takes at most 1600." });
    expect(await send("  ")).toMatchObject({ ok: false, retryable: false, message: "The message is empty." });
    expect(await sendTwilio(settings(), TOKEN, { to: "+49151\r\nX: y", body: "Hi" }, { idempotencyKey: "k", policy: local })).toMatchObject({ ok: false, retryable: false });
    expect(await sendTwilio(settings(), "", { to: "+4915123456789", body: "Hi" }, { idempotencyKey: "k", policy: local })).toMatchObject({ ok: false, retryable: false });
    expect(sink.requests).toHaveLength(0);
  });

  it("gives up in time and says so", async () => {
    sink.reply({ hang: true });
    const outcome = await sendTwilio(settings(), TOKEN, { to: "+4915123456789", body: "Hi" }, { idempotencyKey: "k", policy: local, timeoutMs: 500 });
    expect(outcome).toEqual({ ok: false, retryable: true, message: "Twilio could not be reached: no answer within 500 ms" });
    expect(await sendTwilio(settings(), TOKEN, { to: "+4915123456789", body: "Hi" }, { idempotencyKey: "k" })).toMatchObject({
      ok: false,
      retryable: false,
      message: expect.stringMatching(/loopback address; Junction does not send there/),
    });
  });

  it("tests the connection by reading the account", async () => {
    expect(await verifyTwilio(settings(), TOKEN, local)).toEqual({ ok: true, message: "Connected to the Twilio account “Acme Fitness”." });
    expect(sink.last()).toMatchObject({ method: "GET", path: `/2010-04-01/Accounts/${ACCOUNT}.json` });
    expect(sink.last().text).toBe("");
    expect(await verifyTwilio(settings(), "wrong", local)).toEqual({
      ok: false,
      message: "Twilio did not accept the credentials: Authenticate (Twilio error 20003). Check the Account SID and auth token (or the API key SID and its secret).",
    });
    sink.reply({ status: 200, body: { sid: ACCOUNT, friendly_name: "Acme Fitness", status: "suspended" } });
    expect(await verifyTwilio(settings(), TOKEN, local)).toEqual({ ok: false, message: "The Twilio account “Acme Fitness” is suspended, so it cannot send." });
    expect(await verifyTwilio(settings({ baseUrl: "http://127.0.0.1:1" }), TOKEN, local)).toMatchObject({ ok: false, message: expect.stringMatching(/^Twilio could not be reached: .*ECONNREFUSED/) });
  });

  it("never repeats the token, even when the server echoes what it got", async () => {
    sink.handle((request) => ({ status: 400, body: { code: 1, message: `got ${request.headers.authorization} = ${basic(request).join(":")}` } }));
    const outcomes = [await send("Hi"), await verifyTwilio(settings(), TOKEN, local)];
    const encoded = Buffer.from(`${ACCOUNT}:${TOKEN}`).toString("base64");
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      expect(JSON.stringify(outcome)).not.toContain(TOKEN);
      expect(JSON.stringify(outcome)).not.toContain(encoded);
    }
  });
});
