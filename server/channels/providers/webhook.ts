import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { WEBHOOK_OWN_HEADERS, type WebhookSettings } from "@/lib/channels/schema";
import type { OutboundPolicy, OutboundResponse } from "@/server/channels/ssrf";
import {
  badIdempotencyKey,
  excerpt,
  providerRequest,
  redact,
  requestFailure,
  scrubbed,
  statusFailure,
  statusLine,
  type ChannelCheck,
  type SendOptions,
  type SendOutcome,
} from "./http";

/**
 * Webhooks: one HTTP request per send to the URL an admin configured, signed so the
 * receiver can tell it came from Junction and was not replayed (the scheme Stripe uses):
 *
 *   Junction-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *   Idempotency-Key: <the delivery's key; the same on every retry of one delivery>
 *
 * Receivers check it with `verifyWebhookSignature` (or its few lines in their language):
 * recompute the HMAC over the timestamp, a dot and the body exactly as received, compare in
 * constant time, and refuse timestamps older than a few minutes. Redirects are not
 * followed; the answer must come within the channel's timeout; 2xx is success, 408, 425,
 * 429 and 5xx are worth a retry, other answers are not.
 */

export const SIGNATURE_HEADER = "Junction-Signature";
export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const WEBHOOK_USER_AGENT = "Junction-Webhook/1";

/** How old (or how far ahead) a signature's timestamp may be by default: five minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface WebhookMessage {
  /** The rendered body, sent byte for byte as signed. */
  body: string;
}

/** A new signing secret to show the admin once (and to give the receiver). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

function hmacHex(secret: string, timestamp: number, body: string | Uint8Array): string {
  return createHmac("sha256", secret).update(`${timestamp}.`, "utf8").update(body).digest("hex");
}

/** The Junction-Signature header value for `body` at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}

/**
 * For receivers: is `header` a valid Junction-Signature for this raw `body`? `secret` may be
 * a list (while rotating: the old and the new). The body must be the bytes received, before
 * any JSON parsing. `now` is in milliseconds.
 */
export function verifyWebhookSignature(
  secret: string | string[],
  header: string | null | undefined,
  body: string | Uint8Array,
  options: { toleranceSeconds?: number; now?: number } = {},
): { ok: true; timestamp: number } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
  if (header.length > 4_096) return { ok: false, reason: "the signature header is too long" };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, "hex"));
  }
  if (timestamp === undefined) return { ok: false, reason: "the signature header has no timestamp (t=)" };
  if (signatures.length === 0) return { ok: false, reason: "the signature header has no v1 signature" };
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: `the timestamp is more than ${tolerance} seconds away from now` };
  let match = false;
  for (const s of Array.isArray(secret) ? secret : [secret]) {
    if (!s) continue;
    const expected = Buffer.from(hmacHex(s, timestamp, body), "hex");
    // Every candidate is compared, in constant time each.
    for (const candidate of signatures) if (timingSafeEqual(expected, candidate)) match = true;
  }
  return match ? { ok: true, timestamp } : { ok: false, reason: "no signature matches" };
}

/** The request's headers: the admin's, then Junction's own, which no admin header can replace. */
function headersFor(settings: WebhookSettings, signature: string, idempotencyKey: string): Record<string, string> {
  const own = new Set<string>([...WEBHOOK_OWN_HEADERS, "host", "content-length", "transfer-encoding", "connection"]);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings.headers ?? {})) {
    if (!own.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  headers["content-type"] ??= "application/json";
  headers["user-agent"] = WEBHOOK_USER_AGENT;
  headers["junction-signature"] = signature;
  headers["idempotency-key"] = idempotencyKey;
  return headers;
}

async function deliver(settings: WebhookSettings, secret: string, body: string, idempotencyKey: string, policy: OutboundPolicy | undefined, timeoutMs: number | undefined) {
  const signature = signWebhook(secret, body);
  return providerRequest(
    { url: settings.url, method: settings.method ?? "POST", headers: headersFor(settings, signature, idempotencyKey), body, timeoutMs: timeoutMs ?? settings.timeoutMs },
    policy,
  );
}

function answerMessage(response: OutboundResponse): string {
  const said = excerpt(response.body, 300);
  return `The endpoint answered ${statusLine(response.status)}${said ? `: ${said}` : ""}`;
}

/** The body a connection test sends: the receiver can tell it apart from real sends. */
export function pingBody(now = new Date()): string {
  return JSON.stringify({ type: "junction.ping", sentAt: now.toISOString() });
}

/**
 * Test connection: one signed request with a `{"type":"junction.ping"}` body (the receiver
 * should answer 2xx to it). Says what the endpoint answered.
 */
export async function verifyWebhook(settings: WebhookSettings, secret: string, policy: OutboundPolicy = {}): Promise<ChannelCheck> {
  if (!secret) return { ok: false, message: "No signing secret is set." };
  try {
    const response = scrubbed(await deliver(settings, secret, pingBody(), `ping-${randomUUID()}`, policy, undefined), [secret]);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, message: redact(`${answerMessage(response)}.`, [secret]) };
  } catch (error) {
    return { ok: false, message: redact(requestFailure(error, "The endpoint could not be reached").message, [secret]) };
  }
}

/** Sends one signed request. The channel's timeout applies unless `options.timeoutMs` is given. */
export async function sendWebhook(settings: WebhookSettings, secret: string, message: WebhookMessage, options: SendOptions): Promise<SendOutcome> {
  if (!secret) return { ok: false, retryable: false, message: "No signing secret is set." };
  const badKey = badIdempotencyKey(options.idempotencyKey);
  if (badKey) return badKey;
  let response: OutboundResponse;
  try {
    response = scrubbed(await deliver(settings, secret, message.body, options.idempotencyKey, options.policy, options.timeoutMs), [secret]);
  } catch (error) {
    const failure = requestFailure(error, "The endpoint could not be reached");
    return { ...failure, message: redact(failure.message, [secret]) };
  }
  const said = redact(answerMessage(response), [secret]);
  if (response.status >= 200 && response.status < 300) return { ok: true, message: `${said}.` };
  return statusFailure(response, `${said}.`);
}
