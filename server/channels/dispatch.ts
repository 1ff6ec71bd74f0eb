import { ZWebPushSubscription } from "@/lib/channels/schema";
import type { ChannelConfig, ChannelKind } from "@/lib/channels/kinds";
import { readServiceAccount, sendFcm, verifyFcm } from "./providers/fcm";
import type { ChannelCheck, SendOutcome } from "./providers/http";
import { sendSmtp, sendSmtpPooled, verifySmtp } from "./providers/smtp";
import { sendTwilio, verifyTwilio } from "./providers/twilio";
import { sendWebhook, verifyWebhook } from "./providers/webhook";
import { sendWebPush, verifyWebPush } from "./providers/webpush";
import { checkHost, OutboundRefused, outboundPolicy } from "./ssrf";

/**
 * One place that knows each kind of channel: which hosts it reaches, how its connection is
 * tested, and how one rendered message goes out through its provider. The journey runtime
 * calls `sendOnChannel(config, secrets, message, idempotencyKey)` like the test sends do.
 */

export type Secrets = Record<string, string | null>;

/** The user-given hosts a channel reaches (checked at save and again by every request). */
export function hostsOf(config: ChannelConfig): string[] {
  const host = (url: string) => new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
  switch (config.kind) {
    case "email":
      return [config.settings.host];
    case "sms":
      return [host(config.settings.baseUrl)];
    case "webhook":
      return [host(config.settings.url)];
    case "push": {
      const fcm = config.settings.fcm;
      return fcm ? [host(fcm.baseUrl), ...(fcm.tokenUrl ? [host(fcm.tokenUrl)] : [])] : [];
    }
    case "inapp":
      return [];
  }
}

/** The first host the outbound policy refuses, with why; null when all may be reached. */
export async function refusedHost(config: ChannelConfig): Promise<string | null> {
  for (const host of hostsOf(config)) {
    try {
      await checkHost(host, outboundPolicy());
    } catch (error) {
      if (error instanceof OutboundRefused) return error.message;
      throw error;
    }
  }
  return null;
}

const missing = (what: string): ChannelCheck => ({ ok: false, message: `${what} is not set.` });

/** Test connection: a real handshake or authenticated call per kind; sends nothing to people. */
export async function verifyChannel(config: ChannelConfig, secrets: Secrets): Promise<ChannelCheck> {
  const policy = outboundPolicy();
  switch (config.kind) {
    case "email":
      return verifySmtp(config.settings, secrets.password ?? null, policy);
    case "sms":
      return secrets.authToken ? verifyTwilio(config.settings, secrets.authToken, policy) : missing("The auth token");
    case "webhook":
      return secrets.signingSecret ? verifyWebhook(config.settings, secrets.signingSecret, policy) : missing("The signing secret");
    case "push": {
      const checks: ChannelCheck[] = [];
      if (config.settings.webPush) checks.push(secrets.vapidPrivateKey ? verifyWebPush(config.settings, secrets.vapidPrivateKey) : missing("The VAPID private key"));
      if (config.settings.fcm) checks.push(secrets.serviceAccount ? await verifyFcm(config.settings, secrets.serviceAccount, policy) : missing("The FCM service-account JSON"));
      return { ok: checks.every((c) => c.ok), message: checks.map((c) => c.message).join(" ") };
    }
    case "inapp":
      return { ok: true, message: "In-app messages are kept in Junction; your app fetches them from /api/v1/profiles/{userId}/messages." };
  }
}

/** A secret pasted into a form, checked before it is stored: says what is wrong, never repeats it. */
export function secretProblem(kind: ChannelKind, name: string, value: string): string | null {
  if (kind === "push" && name === "serviceAccount") {
    const read = readServiceAccount(value);
    return read.ok ? null : read.message;
  }
  if (kind === "push" && name === "vapidPrivateKey" && !/^[A-Za-z0-9_-]{43}$/.test(value.trim())) {
    return "The VAPID private key must be 43 characters of URL-safe base64 (use “Generate keys”).";
  }
  return null;
}

/** A message rendered for one channel (lib/messages/render.ts output). */
export type RenderedMessage = Record<string, string>;

export interface Delivery {
  /** Address, phone number, device token or Web Push subscription (JSON); for a webhook, its URL. */
  to: string;
  /** The delivery's key: providers that dedupe by it (webhook, Twilio, Web Push topics) see the same key on a retry. */
  idempotencyKey: string;
  /** Email: Message-ID, List-Unsubscribe… */
  email?: { from: { name: string; address: string }; replyTo?: string; messageId: string; headers: Record<string, string> };
}

/** Sends one rendered message through one channel. In-app is stored, not sent: the caller does that. */
export async function sendOnChannel(config: ChannelConfig, secrets: Secrets, message: RenderedMessage, delivery: Delivery): Promise<SendOutcome> {
  const options = { idempotencyKey: delivery.idempotencyKey, policy: outboundPolicy() };
  switch (config.kind) {
    case "email": {
      const email = delivery.email!;
      // Pooled channels keep connections open between messages; a test of the settings opens its own.
      const send = config.settings.pool && !delivery.idempotencyKey.startsWith("settings-test:") ? sendSmtpPooled : sendSmtp;
      const outcome = await send(
        config.settings,
        secrets.password ?? null,
        { from: email.from, replyTo: email.replyTo, to: delivery.to, subject: message.subject ?? "", html: message.html, text: message.text, headers: email.headers, messageId: email.messageId },
        options.policy,
      );
      return { ok: outcome.ok, message: outcome.message, providerMessageId: outcome.messageId, retryable: outcome.ok ? undefined : !/^5\d\d/.test(outcome.message) };
    }
    case "sms":
      if (!secrets.authToken) return { ok: false, retryable: false, message: "The channel's auth token is not set." };
      return sendTwilio(config.settings, secrets.authToken, { to: delivery.to, body: message.text ?? "" }, options);
    case "webhook":
      if (!secrets.signingSecret) return { ok: false, retryable: false, message: "The channel's signing secret is not set." };
      return sendWebhook(config.settings, secrets.signingSecret, { body: message.body ?? "" }, options);
    case "push": {
      const push = { title: message.title ?? "", body: message.body ?? "", url: message.url || undefined, icon: message.icon || undefined };
      if (delivery.to.trim().startsWith("{")) {
        let subscription;
        try {
          subscription = ZWebPushSubscription.parse(JSON.parse(delivery.to));
        } catch {
          return { ok: false, retryable: false, message: "This is not a Web Push subscription ({ endpoint, keys: { p256dh, auth } })." };
        }
        if (!secrets.vapidPrivateKey) return { ok: false, retryable: false, message: "Web Push is not set up on this channel (no VAPID private key)." };
        return sendWebPush(config.settings, secrets.vapidPrivateKey, subscription, push, options);
      }
      if (!secrets.serviceAccount) return { ok: false, retryable: false, message: "FCM is not set up on this channel (no service-account JSON)." };
      return sendFcm(config.settings, secrets.serviceAccount, delivery.to.trim(), push, options);
    }
    case "inapp":
      return { ok: false, retryable: false, message: "In-app messages are stored for the person, not sent through a provider." };
  }
}
