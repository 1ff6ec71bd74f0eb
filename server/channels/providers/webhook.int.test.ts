import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZWebhookSettings, type WebhookSettings } from "@/lib/channels/schema";
import { startHttpSink, type HttpSink } from "@/server/test/http-sink";
import { sendWebhook, verifyWebhook, verifyWebhookSignature } from "./webhook";

/** A local HTTP server standing in for the receiver: it sees each request exactly as sent. */
describe("webhooks, against a local receiver", () => {
  let sink: HttpSink;
  const local = { allowPrivate: true };
  const SECRET = "whsec_planted-SECRET-4b1d";
  const settings = (over: Partial<WebhookSettings> = {}): WebhookSettings =>
    ZWebhookSettings.parse({ url: `${sink.url}/hooks/junction?source=test`, headers: { Authorization: "Bearer receiver-token", "X-Team": "growth" }, ...over });
  const send = (body: string, over: Partial<WebhookSettings> = {}, key = "delivery-1") =>
    sendWebhook(settings(over), SECRET, { body }, { idempotencyKey: key, policy: local });

  beforeAll(async () => {
    sink = await startHttpSink();
  });
  afterAll(() => sink.close());
  beforeEach(() => {
    sink.reset();
    sink.handle(() => ({ status: 200, body: "ok" }));
  });

  it("sends the body byte for byte, signed, with the idempotency key and the admin's headers", async () => {
    const body = JSON.stringify({ userId: "ada", note: "Grüße ✓ \u0000 end" });
    const outcome = await send(body);
    expect(outcome).toEqual({ ok: true, message: "The endpoint answered 200 OK: ok." });
    const request = sink.last();
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/hooks/junction?source=test");
    expect(request.body.equals(Buffer.from(body, "utf8"))).toBe(true);
    expect(request.headers).toMatchObject({
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "user-agent": "Junction-Webhook/1",
      "idempotency-key": "delivery-1",
      authorization: "Bearer receiver-token",
      "x-team": "growth",
    });
    const header = request.headers["junction-signature"] as string;
    expect(header).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
    expect(Math.abs(Number(/t=(\d+)/.exec(header)![1]) - Date.now() / 1000)).toBeLessThan(5);
    // What a receiver does: verify over the raw bytes it received.
    expect(verifyWebhookSignature(SECRET, header, request.body)).toMatchObject({ ok: true });
    expect(verifyWebhookSignature("whsec_other", header, request.body).ok).toBe(false);
    // The same key on a retry of the same delivery.
    await send(body);
    expect(sink.last().headers["idempotency-key"]).toBe("delivery-1");
  });

  it("uses the method and content type the admin chose", async () => {
    await send("name=ada", { method: "PUT", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expect(sink.last()).toMatchObject({ method: "PUT", text: "name=ada" });
    expect(sink.last().headers["content-type"]).toBe("application/x-www-form-urlencoded");
    await send("{}", { method: "PATCH" });
    expect(sink.last().method).toBe("PATCH");
  });

  it("lets no admin header replace the signature, the key or the length, even unvalidated", async () => {
    const forged: WebhookSettings = {
      ...settings(),
      headers: { "Junction-Signature": "t=1,v1=forged", "IDEMPOTENCY-KEY": "forged", "Content-Length": "1", "User-Agent": "evil", "Transfer-Encoding": "chunked" },
    };
    const outcome = await sendWebhook(forged, SECRET, { body: '{"a":1}' }, { idempotencyKey: "delivery-2", policy: local });
    expect(outcome.ok).toBe(true);
    const request = sink.last();
    expect(request.text).toBe('{"a":1}');
    expect(request.headers["idempotency-key"]).toBe("delivery-2");
    expect(request.headers["user-agent"]).toBe("Junction-Webhook/1");
    expect(request.headers["content-length"]).toBe("7");
    expect(request.rawHeaders.filter(([name]) => name.toLowerCase() === "junction-signature")).toHaveLength(1);
    expect(verifyWebhookSignature(SECRET, request.headers["junction-signature"] as string, request.body).ok).toBe(true);
  });

  it("sends a large body whole", async () => {
    const body = JSON.stringify({ blob: "x".repeat(2_000_000) });
    expect((await send(body)).ok).toBe(true);
    expect(sink.last().body.length).toBe(body.length);
    expect(verifyWebhookSignature(SECRET, sink.last().headers["junction-signature"] as string, sink.last().body).ok).toBe(true);
  });

  it("classifies answers: 5xx, 429 and 408 are retried, other 4xx are not", async () => {
    sink.reply(
      { status: 503, body: "<html><body>\n  Service\tUnavailable\n</body></html>" },
      { status: 429, headers: { "retry-after": "7" }, body: { error: "slow down" } },
      { status: 408 },
      { status: 400, body: { error: "unknown userId" } },
      { status: 410 },
    );
    expect(await send("{}")).toEqual({ ok: false, retryable: true, message: "The endpoint answered 503 Service Unavailable: <html><body> Service Unavailable </body></html>." });
    expect(await send("{}")).toEqual({ ok: false, retryable: true, retryAfterSeconds: 7, message: 'The endpoint answered 429 Too Many Requests: {"error":"slow down"}.' });
    expect(await send("{}")).toMatchObject({ ok: false, retryable: true });
    expect(await send("{}")).toEqual({ ok: false, retryable: false, message: 'The endpoint answered 400 Bad Request: {"error":"unknown userId"}.' });
    expect(await send("{}")).toEqual({ ok: false, retryable: false, message: "The endpoint answered 410 Gone." });
  });

  it("does not follow redirects (the signature and headers would go along)", async () => {
    sink.reply({ status: 307, headers: { location: `${sink.url}/elsewhere` } });
    const outcome = await send("{}");
    expect(outcome).toMatchObject({ ok: false, retryable: false, message: expect.stringMatching(/redirect, which Junction does not follow/) });
    expect(sink.requests.map((r) => r.path)).toEqual(["/hooks/junction?source=test"]);
  });

  it("keeps to the timeout: silence, a slow answer, a dropped connection", async () => {
    sink.reply({ hang: true });
    let started = Date.now();
    expect(await send("{}", { timeoutMs: 1_000 })).toEqual({ ok: false, retryable: true, message: "The endpoint could not be reached: no answer within 1000 ms" });
    expect(Date.now() - started).toBeLessThan(2_500);

    // Headers at once, then one byte every 100 ms: the whole answer has to come in time.
    sink.reply({ status: 200, body: "x".repeat(100), trickleMs: 100 });
    started = Date.now();
    expect(await send("{}", { timeoutMs: 1_000 })).toMatchObject({ ok: false, retryable: true, message: expect.stringMatching(/no answer within 1000 ms/) });
    expect(Date.now() - started).toBeLessThan(2_500);

    // The send's own timeout wins over the channel's.
    sink.reply({ delayMs: 600, status: 200 });
    expect(await sendWebhook(settings({ timeoutMs: 10_000 }), SECRET, { body: "{}" }, { idempotencyKey: "k", policy: local, timeoutMs: 300 })).toMatchObject({ retryable: true });

    sink.reply({ hangUp: true });
    expect(await send("{}")).toMatchObject({ ok: false, retryable: true, message: expect.stringMatching(/^The endpoint could not be reached: the request failed: socket hang up/) });
  });

  it("reads only the start of a huge answer", async () => {
    sink.reply({ status: 500, body: "E".repeat(5_000_000) });
    const outcome = await send("{}");
    expect(outcome.retryable).toBe(true);
    expect(outcome.message.length).toBeLessThan(400);
  });

  it("says why it could not reach the endpoint", async () => {
    const closed = await sendWebhook(settings({ url: "http://127.0.0.1:1/x" }), SECRET, { body: "{}" }, { idempotencyKey: "k", policy: local });
    expect(closed).toMatchObject({ ok: false, retryable: true, message: expect.stringMatching(/ECONNREFUSED/) });
    // Without the private-network allowance this machine is out of reach, and nothing is sent.
    const refused = await sendWebhook(settings(), SECRET, { body: "{}" }, { idempotencyKey: "k" });
    expect(refused).toEqual({ ok: false, retryable: false, message: "The endpoint could not be reached: 127.0.0.1 resolves to 127.0.0.1, a loopback address; Junction does not send there" });
    expect(sink.requests).toHaveLength(0);
    expect(await sendWebhook(settings(), SECRET, { body: "{}" }, { idempotencyKey: "bad\r\nkey", policy: local })).toMatchObject({ ok: false, retryable: false });
    expect(sink.requests).toHaveLength(0);
  });

  it("never repeats the secret, even when the receiver echoes it", async () => {
    sink.handle((request) => ({ status: 401, body: `wrong secret, expected ${SECRET}; got ${JSON.stringify(request.headers)}` }));
    const outcomes = [await send("{}"), await verifyWebhook(settings(), SECRET, local)];
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      expect(JSON.stringify(outcome)).not.toContain(SECRET);
      expect(outcome.message).toContain("[secret]");
    }
  });

  it("tests the connection with a signed ping", async () => {
    expect(await verifyWebhook(settings(), SECRET, local)).toEqual({ ok: true, message: "The endpoint answered 200 OK: ok." });
    const ping = sink.last();
    expect(JSON.parse(ping.text)).toMatchObject({ type: "junction.ping" });
    expect(ping.headers["idempotency-key"]).toMatch(/^ping-/);
    expect(verifyWebhookSignature(SECRET, ping.headers["junction-signature"] as string, ping.body).ok).toBe(true);
    sink.reply({ status: 404, body: "no such hook" });
    expect(await verifyWebhook(settings(), SECRET, local)).toEqual({ ok: false, message: "The endpoint answered 404 Not Found: no such hook." });
  });
});
