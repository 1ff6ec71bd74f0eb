import type { IncomingHttpHeaders } from "node:http";
import { OutboundRefused, outboundRequest, type OutboundPolicy, type OutboundRequest, type OutboundResponse } from "@/server/channels/ssrf";

/**
 * What the HTTP providers (Twilio, webhook, Web Push, FCM) share: one outcome shape, one
 * way to call a provider through the SSRF guard with a deadline, and one reading of what
 * went wrong — worth retrying (5xx, 429, timeouts, connection errors) or not (4xx, refused
 * addresses, bad settings).
 */

/** Test connection's answer. */
export interface ChannelCheck {
  ok: boolean;
  /** What the provider said, in words an admin can act on. Never holds a secret. */
  message: string;
}

/** One send's answer. */
export interface SendOutcome extends ChannelCheck {
  /** The provider's id for the message (Twilio's SM…, FCM's projects/…/messages/…, a push service's Location). */
  providerMessageId?: string;
  /** Failed for now (5xx, 429, timeout, connection): try again later. False: failed for good. Unset when ok. */
  retryable?: boolean;
  /** Push: the device token or subscription no longer exists; the caller should forget it. */
  invalidToken?: boolean;
  /** The provider asked to wait this long before trying again (Retry-After). */
  retryAfterSeconds?: number;
}

/** What every send takes besides the message. */
export interface SendOptions {
  /** Stable per delivery: a retry of the same delivery carries the same key. */
  idempotencyKey: string;
  policy?: OutboundPolicy;
  /** The whole request, answer included, within this time (default 10 s). */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** An idempotency key travels in a header: visible ASCII, at most 255 characters. */
export function badIdempotencyKey(key: string): SendOutcome | null {
  if (/^[\x21-\x7e]{1,255}$/.test(key)) return null;
  return { ok: false, retryable: false, message: "The idempotency key must be 1 to 255 visible ASCII characters." };
}

/** Answers kept for messages: an error text, never a page. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One request to a provider through the SSRF guard. Redirects are not followed (they would
 * carry credentials and signatures to another address); the whole exchange has `timeoutMs`.
 * Throws only OutboundRefused.
 */
export async function providerRequest(request: OutboundRequest, policy: OutboundPolicy = {}): Promise<OutboundResponse> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OutboundRefused(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([
      outboundRequest({ maxResponseBytes: MAX_RESPONSE_BYTES, ...request, timeoutMs, maxRedirects: 0 }, policy).catch((error: unknown) => {
        if (error instanceof OutboundRefused && /^too many redirects/.test(error.message)) {
          throw new OutboundRefused("the server answered with a redirect, which Junction does not follow here (credentials and signatures would go along); use the final address");
        }
        throw error;
      }),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failure before any answer: connection trouble is worth retrying, a refused address or URL is not. */
export function requestFailure(error: unknown, what: string): SendOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const transient = /^no answer within|^the request failed|could not be resolved/.test(message);
  return { ok: false, retryable: transient, message: `${what}: ${message}` };
}

/** Whether an HTTP status means "later" rather than "never". */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Retry-After in seconds (either form), when the answer has one. */
export function retryAfterSeconds(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const value = headers["retry-after"];
  if (typeof value !== "string" || value.trim() === "") return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Math.min(Number(value), 86_400);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.min(Math.ceil((date - now) / 1000), 86_400));
}

/** The outcome of a non-2xx answer with the provider's own words. */
export function statusFailure(response: OutboundResponse, message: string, extra: Partial<SendOutcome> = {}): SendOutcome {
  const retryable = isRetryableStatus(response.status);
  const after = retryable ? retryAfterSeconds(response.headers) : undefined;
  return { ok: false, retryable, message, ...(after !== undefined ? { retryAfterSeconds: after } : {}), ...extra };
}

/** A short, one-line excerpt of an answer for a message: no control characters, no pages of HTML. */
export function excerpt(text: string, max = 300): string {
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** The answer's body as JSON, or undefined. */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Takes every secret (and any encoded form the request carried) out of a text that came
 * back from a server: a misbehaving server may echo what it was sent.
 */
export function redact(text: string, secrets: (string | null | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join("[secret]");
  }
  return out;
}

/** The answer with every secret taken out of its body, before anything reads it (excerpts cut and reflow text). */
export function scrubbed(response: OutboundResponse, secrets: (string | null | undefined)[]): OutboundResponse {
  return { ...response, body: redact(response.body, secrets) };
}

/** The reason phrase people know for a status, for messages ("404 Not Found"). */
export function statusLine(status: number): string {
  const phrases: Record<number, string> = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    410: "Gone",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  return phrases[status] ? `${status} ${phrases[status]}` : String(status);
}
