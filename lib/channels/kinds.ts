import { z } from "zod";
import { MESSAGE_CHANNELS, type MessageChannel } from "@/lib/messages/schema";
import { ZInAppSettings, ZPushSettings, ZSmsSettings, ZSmtpSettings, ZWebhookSettings } from "./schema";

/**
 * A channel is one kind (the same five a message is written for) with that kind's settings,
 * and the names of its secrets — kept apart, write-only (server/channels/secrets.ts).
 */

export type ChannelKind = MessageChannel;
export const CHANNEL_KINDS = MESSAGE_CHANNELS;

export const ZChannelConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("email"), settings: ZSmtpSettings }),
  z.object({ kind: z.literal("sms"), settings: ZSmsSettings }),
  z.object({ kind: z.literal("push"), settings: ZPushSettings }),
  z.object({ kind: z.literal("webhook"), settings: ZWebhookSettings }),
  z.object({ kind: z.literal("inapp"), settings: ZInAppSettings }),
]);
export type ChannelConfig = z.infer<typeof ZChannelConfig>;

export interface SecretSpec {
  name: string;
  label: string;
  /** Needed for the channel to work (a missing one makes Test connection fail with its name). */
  required: boolean;
}

/** Each kind's secrets, by name. */
export const CHANNEL_SECRETS: Record<ChannelKind, SecretSpec[]> = {
  email: [{ name: "password", label: "Password", required: false }],
  sms: [{ name: "authToken", label: "Auth token (or the API key's secret)", required: true }],
  push: [
    { name: "vapidPrivateKey", label: "VAPID private key", required: false },
    { name: "serviceAccount", label: "FCM service-account JSON", required: false },
  ],
  webhook: [{ name: "signingSecret", label: "Signing secret", required: true }],
  inapp: [],
};

/** What a test send goes to, per kind. */
export const TEST_RECIPIENT: Record<ChannelKind, { label: string; placeholder: string }> = {
  email: { label: "Send to", placeholder: "you@company.com" },
  sms: { label: "Phone number", placeholder: "+4915123456789" },
  push: { label: "Device token or Web Push subscription (JSON)", placeholder: "FCM token, or {\"endpoint\": …}" },
  webhook: { label: "Receiver", placeholder: "the channel's URL" },
  inapp: { label: "User id", placeholder: "a person's user id" },
};
