import { createHash, createPrivateKey, sign, type KeyObject } from "node:crypto";
import { parseServiceAccount, type FcmServiceAccount, type PushSettings } from "@/lib/channels/schema";
import type { OutboundPolicy, OutboundResponse } from "@/server/channels/ssrf";
import {
  badIdempotencyKey,
  DEFAULT_TIMEOUT_MS,
  excerpt,
  jsonOf,
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
import type { PushMessage } from "./webpush";

/**
 * Firebase Cloud Messaging, HTTP v1. The secret is a service account's JSON key. Google's
 * OAuth is done here rather than by google-auth-library, so that both requests — the
 * token exchange and the send — go through the SSRF guard like every other: a JWT signed
 * RS256 with the key (node:crypto) is exchanged at the token URL for an access token
 * (scope firebase.messaging), kept in memory until shortly before it expires.
 */

export const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

export type { PushMessage } from "./webpush";

interface Credentials {
  account: FcmServiceAccount;
  key: KeyObject;
}

/** Reads and checks the service-account JSON; the message names the field at fault and never quotes the key. */
export function readServiceAccount(json: string): { ok: true; account: FcmServiceAccount; key: KeyObject } | { ok: false; message: string } {
  const parsed = parseServiceAccount(json);
  if (!parsed.ok) return parsed;
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: parsed.account.private_key, format: "pem" });
  } catch {
    return { ok: false, message: "The service-account JSON is not usable: private_key is not a readable private key (was it cut short or edited?)." };
  }
  if (key.asymmetricKeyType !== "rsa") return { ok: false, message: "The service-account JSON is not usable: private_key must be an RSA key." };
  return { ok: true, account: parsed.account, key };
}

function tokenUrlFor(settings: NonNullable<PushSettings["fcm"]>, account: FcmServiceAccount): string {
  return settings.tokenUrl ?? account.token_uri ?? GOOGLE_TOKEN_URL;
}

/** The signed JWT a service account trades for an access token (RFC 7523). */
export function tokenAssertion(credentials: Credentials, tokenUrl: string, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = encode({ alg: "RS256", typ: "JWT", ...(credentials.account.private_key_id ? { kid: credentials.account.private_key_id } : {}) });
  const claims = encode({ iss: credentials.account.client_email, scope: FCM_SCOPE, aud: tokenUrl, iat, exp: iat + 3600 });
  const signature = sign("RSA-SHA256", Buffer.from(`${header}.${claims}`), credentials.key).toString("base64url");
  return `${header}.${claims}.${signature}`;
}

/** Access tokens by service account and token URL, until a minute before they expire. */
const tokens = new Map<string, { token: string; expiresAt: number }>();
const MAX_CACHED_TOKENS = 100;

/** Forgets every cached access token (tests; a replaced service account is a new cache key anyway). */
export function forgetFcmTokens(): void {
  tokens.clear();
}

function cacheKey(credentials: Credentials, tokenUrl: string): string {
  return createHash("sha256").update(`${credentials.account.client_email}\n${credentials.account.private_key}\n${tokenUrl}`).digest("hex");
}

type TokenResult = { ok: true; token: string; cached: boolean } | { ok: false; outcome: SendOutcome };

async function accessToken(credentials: Credentials, tokenUrl: string, policy: OutboundPolicy | undefined, timeoutMs: number, useCache: boolean): Promise<TokenResult> {
  const key = cacheKey(credentials, tokenUrl);
  const cached = tokens.get(key);
  if (useCache && cached && cached.expiresAt > Date.now()) return { ok: true, token: cached.token, cached: true };
  let response: OutboundResponse;
  try {
    response = await providerRequest(
      {
        url: tokenUrl,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: tokenAssertion(credentials, tokenUrl) }).toString(),
        timeoutMs,
      },
      policy,
    );
    response = scrubbed(response, secretsOf(credentials.account));
  } catch (error) {
    return { ok: false, outcome: requestFailure(error, "Google's token service could not be reached") };
  }
  const body = jsonOf(response.body) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } | undefined;
  if (response.status !== 200 || typeof body?.access_token !== "string" || body.access_token === "") {
    const code = typeof body?.error === "string" ? excerpt(body.error, 100) : statusLine(response.status);
    const description = typeof body?.error_description === "string" ? ` (${excerpt(body.error_description, 300)})` : "";
    const message = `Google did not issue an access token to ${credentials.account.client_email}: ${code}${description}.`;
    return { ok: false, outcome: response.status >= 200 && response.status < 300 ? { ok: false, retryable: false, message } : statusFailure(response, message) };
  }
  const lifetime = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 3600;
  if (useCache) {
    if (tokens.size >= MAX_CACHED_TOKENS) tokens.delete(tokens.keys().next().value!);
    tokens.set(key, { token: body.access_token, expiresAt: Date.now() + Math.max(0, lifetime - 60) * 1000 });
  }
  return { ok: true, token: body.access_token, cached: false };
}

/** Test connection: reads the service account and obtains an access token with it. Sends nothing. */
export async function verifyFcm(settings: PushSettings, serviceAccountJson: string, policy: OutboundPolicy = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ChannelCheck> {
  const fcm = settings.fcm;
  if (!fcm) return { ok: false, message: "FCM is not set up on this channel." };
  const credentials = readServiceAccount(serviceAccountJson);
  if (!credentials.ok) return { ok: false, message: credentials.message };
  const token = await accessToken(credentials, tokenUrlFor(fcm, credentials.account), policy, timeoutMs, false);
  if (!token.ok) return { ok: false, message: clean(token.outcome.message, credentials.account, serviceAccountJson) };
  const other = credentials.account.project_id !== fcm.projectId ? ` (the key belongs to project ${credentials.account.project_id}; it needs the role Firebase Cloud Messaging API Admin in ${fcm.projectId})` : "";
  return { ok: true, message: clean(`Google issued an access token to ${credentials.account.client_email} for sending to project ${fcm.projectId}${other}.`, credentials.account, serviceAccountJson) };
}

/** What must never show in a message: the key (also line by line: answers reflow text) and the access token. */
function secretsOf(account: FcmServiceAccount, json?: string, token?: string): (string | undefined)[] {
  return [json, account.private_key, ...account.private_key.split(/\s+/).filter((line) => line.length >= 16), token];
}

function clean(text: string, account: FcmServiceAccount, json: string, token?: string): string {
  return redact(text, secretsOf(account, json, token));
}

/** FCM's error body: { error: { code, message, status, details: [{ "@type": "…FcmError", errorCode }] } }. */
function fcmError(response: OutboundResponse): { message: string; errorCode?: string } {
  const body = jsonOf(response.body) as { error?: { message?: unknown; status?: unknown; details?: unknown } } | undefined;
  const error = body?.error;
  const details = Array.isArray(error?.details) ? (error.details as { errorCode?: unknown }[]) : [];
  const errorCode = details.map((d) => d?.errorCode).find((c): c is string => typeof c === "string") ?? (typeof error?.status === "string" ? error.status : undefined);
  const text = typeof error?.message === "string" ? excerpt(error.message, 300) : excerpt(response.body, 200);
  return { message: `FCM answered ${statusLine(response.status)}${text ? `: ${text}` : ""}${errorCode ? ` (${excerpt(errorCode, 60)})` : ""}`, errorCode };
}

/** The request body FCM HTTP v1 takes for one device. */
export function fcmBody(token: string, message: PushMessage): object {
  return {
    message: {
      token,
      notification: { title: message.title, body: message.body, ...(message.image ? { image: message.image } : {}) },
      ...(message.url || message.icon || message.ttlSeconds !== undefined
        ? {
            webpush: {
              ...(message.ttlSeconds !== undefined ? { headers: { TTL: String(Math.max(0, Math.floor(message.ttlSeconds))) } } : {}),
              ...(message.icon ? { notification: { icon: message.icon } } : {}),
              ...(message.url ? { fcm_options: { link: message.url } } : {}),
            },
          }
        : {}),
      ...(message.ttlSeconds !== undefined ? { android: { ttl: `${Math.max(0, Math.floor(message.ttlSeconds))}s` } } : {}),
      ...(message.data && Object.keys(message.data).length > 0 ? { data: message.data } : {}),
    },
  };
}

/** Keys FCM keeps for itself in `data`. */
const RESERVED_DATA = /^(from|notification|message_type)$|^(google|gcm)\./;

/**
 * Sends one notification to one device token. A token FCM no longer knows (UNREGISTERED,
 * 404) or that belongs to another project (SENDER_ID_MISMATCH) comes back as `invalidToken`.
 * FCM has no idempotency key: a retry after an unanswered request may show twice.
 */
export async function sendFcm(settings: PushSettings, serviceAccountJson: string, deviceToken: string, message: PushMessage, options: SendOptions): Promise<SendOutcome> {
  const fcm = settings.fcm;
  if (!fcm) return { ok: false, retryable: false, message: "FCM is not set up on this channel." };
  const badKey = badIdempotencyKey(options.idempotencyKey);
  if (badKey) return badKey;
  const credentials = readServiceAccount(serviceAccountJson);
  if (!credentials.ok) return { ok: false, retryable: false, message: credentials.message };
  if (!/^[\x21-\x7e]{1,4096}$/.test(deviceToken)) return { ok: false, retryable: false, invalidToken: true, message: "The device token is not an FCM registration token." };
  const reserved = Object.keys(message.data ?? {}).find((k) => RESERVED_DATA.test(k));
  if (reserved) return { ok: false, retryable: false, message: `The data key “${reserved}” is reserved by FCM.` };

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tokenUrl = tokenUrlFor(fcm, credentials.account);
  const url = `${fcm.baseUrl.replace(/\/+$/, "")}/v1/projects/${encodeURIComponent(fcm.projectId)}/messages:send`;
  const body = JSON.stringify(fcmBody(deviceToken, message));

  for (let attempt = 0; ; attempt++) {
    const token = await accessToken(credentials, tokenUrl, options.policy, timeoutMs, true);
    if (!token.ok) return { ...token.outcome, message: clean(token.outcome.message, credentials.account, serviceAccountJson) };
    let response: OutboundResponse;
    try {
      response = await providerRequest(
        { url, method: "POST", headers: { authorization: `Bearer ${token.token}`, "content-type": "application/json; charset=utf-8", accept: "application/json" }, body, timeoutMs },
        options.policy,
      );
      response = scrubbed(response, secretsOf(credentials.account, serviceAccountJson, token.token));
    } catch (error) {
      const failure = requestFailure(error, "FCM could not be reached");
      return { ...failure, message: clean(failure.message, credentials.account, serviceAccountJson, token.token) };
    }
    const text = (m: string) => clean(m, credentials.account, serviceAccountJson, token.token);
    if (response.status >= 200 && response.status < 300) {
      const sent = jsonOf(response.body) as { name?: unknown } | undefined;
      const name = typeof sent?.name === "string" ? sent.name.slice(0, 300) : undefined;
      return { ok: true, message: "FCM accepted the message.", ...(name ? { providerMessageId: name } : {}) };
    }
    const { message: said, errorCode } = fcmError(response);
    // A cached token Google no longer takes (revoked, clock skew): once more with a fresh one.
    if (response.status === 401 && token.cached && attempt === 0) {
      tokens.delete(cacheKey(credentials, tokenUrl));
      continue;
    }
    if (errorCode === "UNREGISTERED" || response.status === 404) {
      return { ok: false, retryable: false, invalidToken: true, message: text(`${said}. The device token is no longer registered (the app was removed or the token expired).`) };
    }
    if (errorCode === "SENDER_ID_MISMATCH") {
      return { ok: false, retryable: false, invalidToken: true, message: text(`${said}. The device token belongs to another Firebase project.`) };
    }
    if (errorCode === "INVALID_ARGUMENT" && /registration token/i.test(said)) {
      return { ok: false, retryable: false, invalidToken: true, message: text(`${said}.`) };
    }
    return statusFailure(response, text(`${said}.`));
  }
}
