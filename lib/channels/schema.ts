import { z } from "zod";

/**
 * What an admin enters for a channel, apart from its secrets (which travel separately,
 * write-only: server/channels/secrets.ts). Validated here so the form, the API and the
 * provider agree.
 */

const ZHost = z
  .string()
  .trim()
  .min(1, { message: "is required" })
  .max(253)
  .regex(/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, { message: "must be a host name or an IP address" });

export const SMTP_SECURITY = ["none", "starttls", "tls"] as const;

export const ZSender = z.object({
  name: z.string().trim().max(100),
  address: z.email({ message: "must be an email address" }),
  replyTo: z.email({ message: "must be an email address" }).optional(),
});

export const ZSmtpSettings = z.object({
  host: ZHost,
  port: z.number().int().min(1).max(65_535),
  /** none: plain; starttls: upgrade after connecting (587); tls: TLS from the start (465). */
  security: z.enum(SMTP_SECURITY),
  user: z.string().max(320).optional(),
  /** Keep connections open between messages (journeys send many). */
  pool: z.boolean().default(true),
  senders: z.array(ZSender).min(1, { message: "needs at least one sender" }).max(20),
});
export type SmtpSettings = z.infer<typeof ZSmtpSettings>;
export type Sender = z.infer<typeof ZSender>;

/** The usual port for each kind of security, for the form's default. */
export const SMTP_DEFAULT_PORT: Record<(typeof SMTP_SECURITY)[number], number> = { none: 25, starttls: 587, tls: 465 };

// ——— Shared pieces for the HTTP channels ———

const ZHttpAddress = z
  .string()
  .trim()
  .min(1, { message: "is required" })
  .max(2_000, { message: "must be at most 2,000 characters" })
  .superRefine((value, ctx) => {
    const problem = httpAddressProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** Why `value` is not an http(s) address a channel may call, or null. Pure: the form uses it too. */
export function httpAddressProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be a web address (https://…)";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must start with https:// or http://";
  if (url.username || url.password) return "must not contain a user name or password (use headers)";
  if (url.hash) return "must not contain a # fragment";
  return null;
}

/** A provider's API root: an http(s) address without query or fragment, kept without a trailing slash. */
const ZBaseUrl = ZHttpAddress.refine((value) => !URL.canParse(value) || !new URL(value).search, { message: "must not contain a ? query" }).transform((value) =>
  value.replace(/\/+$/, ""),
);

// ——— SMS through Twilio's Messages API ———

const sid = (prefix: string, what: string) =>
  z
    .string()
    .trim()
    .regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), { message: `must be ${what}: ${prefix} followed by 32 hexadecimal characters` });

/** A phone number in E.164 (+4915123456789), or an alphanumeric sender ID (up to 11 letters, digits, spaces). */
export const SMS_FROM_PATTERN = /^\+[1-9][0-9]{6,14}$|^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

export const ZSmsSettings = z
  .object({
    /** AC…: the account messages are sent from. */
    accountSid: sid("AC", "an Account SID"),
    /** SK…: when set, the secret is this API key's secret instead of the account's auth token. */
    apiKeySid: sid("SK", "an API key SID").optional(),
    /** The sending number (E.164) or alphanumeric sender ID… */
    from: z.string().trim().regex(SMS_FROM_PATTERN, { message: "must be a phone number like +4915123456789 or a sender name of up to 11 letters and digits" }).optional(),
    /** …or a messaging service (MG…), which picks the number itself. */
    messagingServiceSid: sid("MG", "a Messaging Service SID").optional(),
    /** Twilio's API root; changed for tests and Twilio-compatible providers. */
    baseUrl: ZBaseUrl.default("https://api.twilio.com"),
  })
  .refine((s) => s.from !== undefined || s.messagingServiceSid !== undefined, {
    message: "needs a from number or a messaging service",
    path: ["from"],
  });
export type SmsSettings = z.infer<typeof ZSmsSettings>;

// ——— Webhook ———

export const WEBHOOK_METHODS = ["POST", "PUT", "PATCH"] as const;

/** Headers Junction sets on every webhook request (lower case); settings cannot replace them. */
export const WEBHOOK_OWN_HEADERS = ["junction-signature", "idempotency-key", "user-agent"] as const;

/** Headers that belong to the connection, not to the request; nobody sets them by hand. */
const CONNECTION_HEADERS = ["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer", "expect", "proxy-connection", "proxy-authorization"];

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
// Visible ASCII, spaces and tabs, and Latin-1 letters: what an HTTP header may carry on one line.
const HEADER_VALUE = /^[\t\x20-\x7e\u0080-\u00ff]*$/;

export const ZWebhookHeaders = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  const names = Object.keys(headers);
  if (names.length > 30) ctx.addIssue({ code: "custom", message: "can have at most 30 headers" });
  const seen = new Set<string>();
  for (const name of names) {
    const lower = name.toLowerCase();
    const value = headers[name]!;
    const problem = !HEADER_NAME.test(name)
      ? "is not a valid header name (letters, digits and - only, at most 100)"
      : (WEBHOOK_OWN_HEADERS as readonly string[]).includes(lower)
        ? "is set by Junction on every request and cannot be changed"
        : CONNECTION_HEADERS.includes(lower)
          ? "belongs to the connection and cannot be set"
          : seen.has(lower)
            ? "is given twice (header names ignore case)"
            : value.length > 4_000
              ? "must be at most 4,000 characters"
              : !HEADER_VALUE.test(value)
                ? "must be text on one line (no line breaks, control characters or characters beyond Latin-1)"
                : null;
    seen.add(lower);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: [name] });
  }
});

export const ZWebhookSettings = z.object({
  /** Where each request goes; checked against the SSRF guard when saved and at every send. */
  url: ZHttpAddress,
  method: z.enum(WEBHOOK_METHODS).default("POST"),
  /** Sent with every request (Authorization, Content-Type…), besides Junction's own. */
  headers: ZWebhookHeaders.default({}),
  /** The body template (Liquid) a send uses when its message brings none. */
  body: z.string().max(50_000, { message: "must be at most 50,000 characters" }).default(""),
  /** A request that has not been answered in this time counts as failed (and is retried). */
  timeoutMs: z.number().int().min(1_000).max(30_000).default(10_000),
});
export type WebhookSettings = z.infer<typeof ZWebhookSettings>;

// ——— Push: Web Push (VAPID) and Firebase Cloud Messaging (HTTP v1) ———

/** A P-256 public key, uncompressed (65 bytes, so starting with 0x04: "B…"), URL-safe base64 without padding. */
export const ZVapidPublicKey = z
  .string()
  .trim()
  .regex(/^B[A-Za-z0-9_-]{86}$/, { message: "must be a VAPID public key (87 characters of URL-safe base64, starting with B)" });

/** Whom push services contact about this sender: a mailto: address or an https: page. */
const ZVapidSubject = z
  .string()
  .trim()
  .max(300, { message: "must be at most 300 characters" })
  .refine((v) => /^mailto:[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) || (/^https:\/\//.test(v) && URL.canParse(v)), {
    message: "must be a mailto: address or an https:// address (push services contact you there)",
  });

/** Google Cloud project IDs: 6–30 lowercase letters, digits and hyphens, starting with a letter. */
const ZFirebaseProjectId = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { message: "must be a Firebase project ID (lowercase letters, digits and hyphens, like acme-app-1234)" });

export const ZPushSettings = z
  .object({
    /** Web Push to browsers. The VAPID private key is a secret, stored apart from these settings. */
    webPush: z.object({ publicKey: ZVapidPublicKey, subject: ZVapidSubject }).optional(),
    /** FCM HTTP v1 to apps. The service-account JSON is a secret, stored apart from these settings. */
    fcm: z
      .object({
        projectId: ZFirebaseProjectId,
        baseUrl: ZBaseUrl.default("https://fcm.googleapis.com"),
        /** Where the OAuth token comes from; by default the service account's own token_uri. */
        tokenUrl: ZHttpAddress.optional(),
      })
      .optional(),
  })
  .refine((s) => s.webPush !== undefined || s.fcm !== undefined, { message: "needs Web Push or FCM (or both)" });
export type PushSettings = z.infer<typeof ZPushSettings>;

/** A browser's PushSubscription (`subscription.toJSON()`), as the tracking API receives it. */
export const ZWebPushSubscription = z.object({
  endpoint: ZHttpAddress,
  keys: z.object({
    p256dh: z.string().regex(/^B[A-Za-z0-9_-]{86}={0,2}$/, { message: "must be the subscription's p256dh key (URL-safe base64 of 65 bytes)" }),
    auth: z.string().regex(/^[A-Za-z0-9_-]{22}={0,2}$/, { message: "must be the subscription's auth secret (URL-safe base64 of 16 bytes)" }),
  }),
});
export type WebPushSubscription = z.infer<typeof ZWebPushSubscription>;

const missingOr = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? "is missing" : message);

/** The fields of a Google service-account key file that FCM needs. */
export const ZFcmServiceAccount = z.object({
  type: z.literal("service_account", {
    error: missingOr("must be “service_account” (this is another kind of Google credential; create a key for a service account)"),
  }),
  project_id: z.string({ error: missingOr("must be text") }).min(1, { message: "is missing" }),
  private_key_id: z.string({ error: missingOr("must be text") }).optional(),
  private_key: z
    .string({ error: missingOr("must be text") })
    .regex(/^\s*-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\s]+-----END PRIVATE KEY-----\s*$/, { message: "must be a PEM private key (-----BEGIN PRIVATE KEY----- …)" }),
  client_email: z.email({ error: missingOr("must be an email") }),
  token_uri: ZHttpAddress.optional(),
});
export type FcmServiceAccount = z.infer<typeof ZFcmServiceAccount>;

/**
 * Reads a pasted service-account JSON. The answer names what is wrong ("private_key is
 * missing") and never repeats any of the text (it holds a private key).
 */
export function parseServiceAccount(text: string): { ok: true; account: FcmServiceAccount } | { ok: false; message: string } {
  if (text.length > 20_000) return { ok: false, message: "The service-account JSON is too long to be a key file (at most 20,000 characters)." };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text around the mistake: keep only where it is.
    const at = /line (\d+) column (\d+)/.exec(String((error as Error).message));
    return { ok: false, message: `The service-account JSON is not valid JSON${at ? ` (line ${at[1]}, column ${at[2]})` : ""}.` };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { ok: false, message: "The service-account JSON must be an object ({ … }) as downloaded from Google." };
  const parsed = ZFcmServiceAccount.safeParse(json);
  if (parsed.success) return { ok: true, account: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
  return { ok: false, message: `The service-account JSON is not usable: ${problems.join("; ")}.` };
}

// ——— In-app ———

export const ZInAppSettings = z.object({
  /** Messages older than this are no longer shown, and are removed. */
  retentionDays: z.number().int().min(1).max(365).default(90),
});
export type InAppSettings = z.infer<typeof ZInAppSettings>;
