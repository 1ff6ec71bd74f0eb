import type { SmsSettings } from "@/lib/channels/schema";
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

/**
 * SMS through Twilio's Messages API (REST, no SDK: every request goes through the SSRF
 * guard). The secret is the account's auth token, or — when the settings name an API key
 * (SK…) — that key's secret. The base URL can point at a Twilio-compatible provider or a
 * test server. Answers carry Twilio's own words and error code.
 */

export interface SmsMessage {
  /** The recipient, E.164 (+4915123456789) or a channel address Twilio knows (whatsapp:+49…). */
  to: string;
  body: string;
}

/** Twilio's limit for one message's body (it splits it into segments itself). */
export const TWILIO_MAX_BODY = 1_600;

/** Sends the idempotency key, so a retried request is recognisable as the same one. */
export const TWILIO_IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token";

function authorization(settings: SmsSettings, secret: string): string {
  return `Basic ${Buffer.from(`${settings.apiKeySid ?? settings.accountSid}:${secret.trim()}`, "utf8").toString("base64")}`;
}

function accountUrl(settings: SmsSettings, tail: string): string {
  return `${settings.baseUrl.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}${tail}`;
}

/** Twilio's error body: { code, message, more_info, status }. */
function twilioError(response: OutboundResponse): string {
  const body = jsonOf(response.body) as { code?: unknown; message?: unknown } | undefined;
  const text = typeof body?.message === "string" ? excerpt(body.message) : "";
  const code = typeof body?.code === "number" || typeof body?.code === "string" ? ` (Twilio error ${body.code})` : "";
  if (text) return `${text}${code}`;
  const raw = excerpt(response.body, 200);
  return `Twilio answered ${statusLine(response.status)}${raw ? `: ${raw}` : ""}`;
}

function credentialsHint(response: OutboundResponse, said: string): string {
  if (response.status !== 401) return said;
  return `Twilio did not accept the credentials: ${said}. Check the Account SID and auth token (or the API key SID and its secret).`;
}

/** Test connection: reads the account with the credentials (GET /Accounts/{sid}.json). Sends nothing. */
export async function verifyTwilio(settings: SmsSettings, secret: string, policy: OutboundPolicy = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ChannelCheck> {
  const auth = authorization(settings, secret);
  const secrets = [secret, secret.trim(), auth.slice("Basic ".length)];
  const clean = (text: string) => redact(text, secrets);
  if (!secret.trim()) return { ok: false, message: "No auth token (or API key secret) is set." };
  let response: OutboundResponse;
  try {
    response = scrubbed(
      await providerRequest({ url: accountUrl(settings, ".json"), method: "GET", headers: { authorization: auth, accept: "application/json" }, timeoutMs }, policy),
      secrets,
    );
  } catch (error) {
    return { ok: false, message: clean(requestFailure(error, "Twilio could not be reached").message) };
  }
  if (response.status !== 200) return { ok: false, message: clean(credentialsHint(response, twilioError(response))) };
  const account = jsonOf(response.body) as { friendly_name?: unknown; status?: unknown } | undefined;
  const name = typeof account?.friendly_name === "string" ? ` “${excerpt(account.friendly_name, 100)}”` : "";
  const status = typeof account?.status === "string" ? account.status : "active";
  if (status !== "active") return { ok: false, message: clean(`The Twilio account${name} is ${excerpt(status, 40)}, so it cannot send.`) };
  return { ok: true, message: clean(`Connected to the Twilio account${name}.`) };
}

/**
 * Sends one SMS (POST /Accounts/{sid}/Messages.json). A 201 gives Twilio's message SID;
 * a refusal gives Twilio's message and code, retryable for 429 and 5xx.
 */
export async function sendTwilio(settings: SmsSettings, secret: string, message: SmsMessage, options: SendOptions): Promise<SendOutcome> {
  const auth = authorization(settings, secret);
  const secrets = [secret, secret.trim(), auth.slice("Basic ".length)];
  const clean = (outcome: SendOutcome): SendOutcome => ({ ...outcome, message: redact(outcome.message, secrets) });
  if (!secret.trim()) return { ok: false, retryable: false, message: "No auth token (or API key secret) is set." };
  const badKey = badIdempotencyKey(options.idempotencyKey);
  if (badKey) return badKey;
  const to = message.to.trim();
  if (!to || to.length > 64 || /[\u0000-\u001f\u007f]/.test(to)) return { ok: false, retryable: false, message: "The recipient is not a phone number." };
  if (message.body.trim() === "") return { ok: false, retryable: false, message: "The message is empty." };
  if ([...message.body].length > TWILIO_MAX_BODY) {
    return { ok: false, retryable: false, message: `The message is ${[...message.body].length} characters long; Twilio takes at most ${TWILIO_MAX_BODY}.` };
  }
  const form = new URLSearchParams({ To: to, Body: message.body });
  if (settings.messagingServiceSid) form.set("MessagingServiceSid", settings.messagingServiceSid);
  if (settings.from) form.set("From", settings.from);
  let response: OutboundResponse;
  try {
    response = await providerRequest(
      {
        url: accountUrl(settings, "/Messages.json"),
        method: "POST",
        headers: {
          authorization: auth,
          accept: "application/json",
          "content-type": "application/x-www-form-urlencoded; charset=utf-8",
          [TWILIO_IDEMPOTENCY_HEADER]: options.idempotencyKey,
        },
        body: form.toString(),
        timeoutMs: options.timeoutMs,
      },
      options.policy,
    );
    response = scrubbed(response, secrets);
  } catch (error) {
    return clean(requestFailure(error, "Twilio could not be reached"));
  }
  if (response.status < 200 || response.status >= 300) return clean(statusFailure(response, credentialsHint(response, twilioError(response))));
  const sent = jsonOf(response.body) as { sid?: unknown; status?: unknown } | undefined;
  const sid = typeof sent?.sid === "string" ? sent.sid : undefined;
  const status = typeof sent?.status === "string" ? ` (${excerpt(sent.status, 40)})` : "";
  return clean({ ok: true, message: `Twilio accepted the message${status}.`, ...(sid ? { providerMessageId: sid } : {}) });
}
