import { createECDH, createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import webPush from "web-push";
import { ZWebPushSubscription, type PushSettings, type WebPushSubscription } from "@/lib/channels/schema";
import { checkHost, OutboundRefused, type OutboundPolicy, type OutboundResponse } from "@/server/channels/ssrf";
import { badIdempotencyKey, DEFAULT_TIMEOUT_MS, excerpt, redact, requestFailure, scrubbed, statusFailure, statusLine, type ChannelCheck, type SendOptions, type SendOutcome } from "./http";

/**
 * Web Push to browsers (RFC 8030 with VAPID, RFC 8292, and aes128gcm, RFC 8291). `web-push`
 * builds the encrypted request and its VAPID signature; the request itself goes out here,
 * through the SSRF guard (checked and pinned address, no redirects, a deadline): a
 * subscription's endpoint arrives from the tracking API, so it is as untrusted as any URL.
 *
 * The VAPID private key is the secret; the public key and subject are settings. The
 * notification reaches the site's service worker as JSON (see `PushPayload`); `id` is the
 * delivery's idempotency key, meant as the notification's `tag`, so a retried delivery
 * replaces the first rather than showing twice. The push service also replaces a message
 * still waiting with the same Topic header, which is derived from the same key.
 */

export interface PushMessage {
  title: string;
  body: string;
  /** Opened when the notification is clicked or tapped. */
  url?: string;
  icon?: string;
  image?: string;
  /** Extra key-value pairs for the app or service worker. */
  data?: Record<string, string>;
  /** How long the push service keeps the message for an offline device (default 1 day). */
  ttlSeconds?: number;
  urgency?: "very-low" | "low" | "normal" | "high";
}

/** What the service worker receives in `event.data.json()`. */
export interface PushPayload {
  /** The delivery's idempotency key: use it as the notification's `tag`. */
  id: string;
  title: string;
  body: string;
  url?: string;
  icon?: string;
  image?: string;
  data?: Record<string, string>;
}

/** Push services take at most 4,096 bytes of body; aes128gcm adds 86 bytes of header, a padding delimiter and a 16-byte tag. */
export const WEB_PUSH_MAX_PAYLOAD = 4_096 - 86 - 1 - 16;

export const DEFAULT_PUSH_TTL_SECONDS = 86_400;
const MAX_PUSH_TTL_SECONDS = 28 * 86_400;

/** A new VAPID key pair (P-256): the public key is a setting, the private key a secret. */
export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  const keys = webPush.generateVAPIDKeys();
  return { publicKey: keys.publicKey, privateKey: keys.privateKey };
}

/** Why this VAPID private key does not belong to `publicKey`, or null when they are a pair. */
function vapidProblem(publicKey: string, privateKey: string): string | null {
  const priv = privateKey.trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(priv)) return "The VAPID private key must be 43 characters of URL-safe base64 (32 bytes).";
  let derived: Buffer;
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(Buffer.from(priv, "base64url"));
    derived = ecdh.getPublicKey();
  } catch {
    return "The VAPID private key is not a valid P-256 key.";
  }
  if (!derived.equals(Buffer.from(publicKey, "base64url"))) return "The VAPID private key does not belong to the public key in the settings.";
  return null;
}

/**
 * Test connection. Web Push has no account to sign in to: this checks that the private key
 * and the public key are one pair and the subject is usable. Each subscription is tested by
 * sending to it.
 */
export function verifyWebPush(settings: PushSettings, privateKey: string): ChannelCheck {
  const config = settings.webPush;
  if (!config) return { ok: false, message: "Web Push is not set up on this channel." };
  const problem = vapidProblem(config.publicKey, privateKey);
  if (problem) return { ok: false, message: problem };
  try {
    webPush.getVapidHeaders("https://push.example", config.subject, config.publicKey, privateKey.trim(), "aes128gcm");
  } catch (error) {
    return { ok: false, message: redact(`The VAPID details are not usable: ${(error as Error).message}`, [privateKey]) };
  }
  return { ok: true, message: "The VAPID keys are a pair and the subject is valid. Send a test to a subscribed browser to check delivery." };
}

/** The push service's Topic for a delivery: the same for every retry of it (at most 32 URL-safe characters). */
export function topicFor(idempotencyKey: string): string {
  return createHash("sha256").update(idempotencyKey).digest("base64url").slice(0, 32);
}

/** Sends one notification to one browser subscription. 404 and 410 mean the subscription is gone: `invalidToken`. */
export async function sendWebPush(
  settings: PushSettings,
  privateKey: string,
  subscription: WebPushSubscription,
  message: PushMessage,
  options: SendOptions,
): Promise<SendOutcome> {
  const config = settings.webPush;
  if (!config) return { ok: false, retryable: false, message: "Web Push is not set up on this channel." };
  const badKey = badIdempotencyKey(options.idempotencyKey);
  if (badKey) return badKey;
  const vapid = vapidProblem(config.publicKey, privateKey);
  if (vapid) return { ok: false, retryable: false, message: vapid };

  const parsed = ZWebPushSubscription.safeParse(subscription);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, retryable: false, invalidToken: true, message: `The subscription is not usable: ${issue.path.join(".")} ${issue.message}.` };
  }
  const endpoint = new URL(parsed.data.endpoint);
  // Browsers hand out https endpoints only; http is for a push service on this machine in tests.
  if (endpoint.protocol !== "https:" && !options.policy?.allowPrivate) {
    return { ok: false, retryable: false, invalidToken: true, message: "The subscription's endpoint is not an https:// address." };
  }

  const payload: PushPayload = {
    id: options.idempotencyKey,
    title: message.title,
    body: message.body,
    ...(message.url ? { url: message.url } : {}),
    ...(message.icon ? { icon: message.icon } : {}),
    ...(message.image ? { image: message.image } : {}),
    ...(message.data && Object.keys(message.data).length > 0 ? { data: message.data } : {}),
  };
  const text = JSON.stringify(payload);
  const size = Buffer.byteLength(text);
  if (size > WEB_PUSH_MAX_PAYLOAD) {
    return { ok: false, retryable: false, message: `The notification is ${size} bytes; Web Push carries at most ${WEB_PUSH_MAX_PAYLOAD}. Shorten the title, body or data.` };
  }
  const ttl = Math.max(0, Math.min(Math.floor(message.ttlSeconds ?? DEFAULT_PUSH_TTL_SECONDS), MAX_PUSH_TTL_SECONDS));

  let details: webPush.RequestDetails;
  try {
    details = webPush.generateRequestDetails(parsed.data, text, {
      vapidDetails: { subject: config.subject, publicKey: config.publicKey, privateKey: privateKey.trim() },
      TTL: ttl,
      urgency: message.urgency ?? "normal",
      topic: topicFor(options.idempotencyKey),
      contentEncoding: "aes128gcm",
    });
  } catch (error) {
    // The VAPID details were checked above: what is left is the subscription's keys.
    return { ok: false, retryable: false, invalidToken: true, message: redact(`The subscription's keys are not usable: ${(error as Error).message}`, [privateKey]) };
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(details.headers)) headers[name.toLowerCase()] = String(value);
  let response: OutboundResponse;
  try {
    response = scrubbed(await pushRequest(details.endpoint, headers, details.body ?? Buffer.alloc(0), options.policy ?? {}, options.timeoutMs ?? DEFAULT_TIMEOUT_MS), [privateKey]);
  } catch (error) {
    const failure = requestFailure(error, "The push service could not be reached");
    return { ...failure, message: redact(failure.message, [privateKey]) };
  }

  const said = excerpt(response.body, 200);
  const answer = `The push service answered ${statusLine(response.status)}${said ? `: ${said}` : ""}`;
  if (response.status >= 200 && response.status < 300) {
    const location = typeof response.headers.location === "string" ? response.headers.location.slice(0, 500) : undefined;
    return { ok: true, message: `${answer}.`, ...(location ? { providerMessageId: location } : {}) };
  }
  if (response.status === 404 || response.status === 410) {
    return { ok: false, retryable: false, invalidToken: true, message: `The subscription no longer exists (${statusLine(response.status)}): the browser unsubscribed or it expired.` };
  }
  if (response.status === 403) {
    return statusFailure(response, redact(`${answer}. The subscription may have been made with another VAPID public key.`, [privateKey]));
  }
  return statusFailure(response, redact(`${answer}.`, [privateKey]));
}

/**
 * A POST with a binary body through the SSRF guard: the name is resolved and checked, the
 * connection pinned to the checked address (TLS still verifies the name), no redirects
 * followed, the answer cut at 64 KiB, the whole exchange within `timeoutMs`.
 */
function pushRequest(url: string, headers: Record<string, string>, body: Buffer, policy: OutboundPolicy, timeoutMs: number): Promise<OutboundResponse> {
  const target = new URL(url);
  const limit = 64 * 1024;
  return checkHost(target.hostname, policy).then(
    (address) =>
      new Promise<OutboundResponse>((resolve, reject) => {
        const client = target.protocol === "https:" ? https : http;
        let settled = false;
        const timer: { deadline?: NodeJS.Timeout } = {};
        const finish = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer.deadline);
          outcome();
        };
        const fail = (error: Error) => finish(() => reject(error instanceof OutboundRefused ? error : new OutboundRefused(`the request failed: ${error.message}`)));
        let req: http.ClientRequest;
        try {
          req = client.request(
            target,
            {
              method: "POST",
              headers: { ...headers, "content-length": String(body.length) },
              lookup: (_host, options, callback) => {
                if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [address]);
                else callback(null, address.address, address.family);
              },
              timeout: timeoutMs,
            },
            (res) => {
              const chunks: Buffer[] = [];
              let size = 0;
              const done = () => finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), url }));
              res.on("data", (chunk: Buffer) => {
                if (size < limit) chunks.push(chunk.subarray(0, limit - size));
                size += chunk.length;
                // Enough to say what went wrong; the rest is not read.
                if (size >= limit) {
                  done();
                  res.destroy();
                }
              });
              res.on("end", done);
              res.on("error", fail);
            },
          );
        } catch (error) {
          return fail(error as Error);
        }
        const tooLate = () => fail(new OutboundRefused(`no answer within ${timeoutMs} ms`));
        timer.deadline = setTimeout(() => {
          tooLate();
          req.destroy();
        }, timeoutMs);
        req.on("timeout", () => {
          tooLate();
          req.destroy();
        });
        req.on("error", fail);
        req.end(body);
      }),
  );
}
