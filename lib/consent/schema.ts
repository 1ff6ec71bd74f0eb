import { z } from "zod";
import { STORABLE, UNSTORABLE_MESSAGE } from "@/lib/storable";

/**
 * Consent: subscription groups per channel (what a person can join or leave), each
 * person's answer per group, and where that answer came from. One definition of each,
 * read by the settings page, tRPC, the HTTP API, the preference page, the segment
 * condition `subscription` and the send-time check (server/consent/service.ts).
 *
 * A person's state for a group is their own answer when they gave one, else the group's
 * default by its mode: an opt-out group counts everyone in until they say no, an opt-in
 * group nobody until they say yes.
 */

/** The channel names of lib/messages (a message's group is of its own channel). */
export const CONSENT_CHANNELS = ["email", "sms", "push", "webhook", "inapp"] as const;
export const ZConsentChannel = z.enum(CONSENT_CHANNELS);
export type ConsentChannel = z.infer<typeof ZConsentChannel>;

export const CONSENT_CHANNEL_LABELS: Record<ConsentChannel, string> = {
  email: "Email",
  sms: "SMS",
  push: "Push",
  webhook: "Webhook",
  inapp: "In-app",
};

export const SUBSCRIPTION_MODES = ["opt_out", "opt_in"] as const;
export const ZSubscriptionMode = z.enum(SUBSCRIPTION_MODES);
export type SubscriptionMode = z.infer<typeof ZSubscriptionMode>;

export const MODE_LABELS: Record<SubscriptionMode, string> = { opt_out: "Opt-out", opt_in: "Opt-in" };
export const MODE_DESCRIPTIONS: Record<SubscriptionMode, string> = {
  opt_out: "Everyone is in until they unsubscribe.",
  opt_in: "Nobody is in until they say yes.",
};

export const PURPOSES = ["marketing", "transactional"] as const;
export const ZPurpose = z.enum(PURPOSES);
export type Purpose = z.infer<typeof ZPurpose>;
export const PURPOSE_LABELS: Record<Purpose, string> = { marketing: "Marketing", transactional: "Transactional" };

/** Where an answer came from, kept with every consent record. */
export const CONSENT_SOURCES = ["api", "preference_page", "one_click", "admin", "import"] as const;
export const ZConsentSource = z.enum(CONSENT_SOURCES);
export type ConsentSource = z.infer<typeof ZConsentSource>;
export const SOURCE_LABELS: Record<ConsentSource, string> = {
  api: "HTTP API",
  preference_page: "Preference page",
  one_click: "One-click unsubscribe",
  admin: "Changed in Junction",
  import: "Import",
};

/** The wording of the hosted preference page, recorded with the answers given on it. */
export const PREFERENCE_PAGE_TEXT_VERSION = "preference-page-v1";

const storable = { message: UNSTORABLE_MESSAGE };

export const ZGroupName = z.string().trim().min(1, { message: "is required" }).max(80).regex(STORABLE, storable);
export const ZGroupDescription = z.string().trim().max(500).regex(STORABLE, storable);
export const ZGroupId = z.string().min(1, { message: "is required" }).max(64);

/** A new group. Channel and mode are fixed once it exists (see ZSubscriptionGroupUpdate). */
export const ZSubscriptionGroupInput = z.object({
  name: ZGroupName,
  description: ZGroupDescription.default(""),
  channel: ZConsentChannel,
  mode: ZSubscriptionMode,
  purpose: ZPurpose,
});
export type SubscriptionGroupInput = z.infer<typeof ZSubscriptionGroupInput>;

/**
 * What may change on an existing group. Not its mode: turning an opt-in group into an
 * opt-out one would count everyone who never answered as subscribed. Not its channel:
 * the answers people gave were about that channel.
 */
export const ZSubscriptionGroupUpdate = z.object({
  name: ZGroupName,
  description: ZGroupDescription.default(""),
  purpose: ZPurpose,
});
export type SubscriptionGroupUpdate = z.infer<typeof ZSubscriptionGroupUpdate>;

/** The version of the wording a person agreed to ("signup-form-v3"). */
export const ZTextVersion = z.string().trim().min(1, { message: "is required" }).max(100).regex(STORABLE, storable);

/** One answer to record. */
export const ZSubscriptionChange = z.object({
  groupId: ZGroupId,
  subscribed: z.boolean({ message: "must be true or false" }),
  textVersion: ZTextVersion.optional(),
});
export type SubscriptionChange = z.infer<typeof ZSubscriptionChange>;

/** A group as stored (mode and purpose are text columns): anything else reads as the safe choice. */
export interface StoredGroup {
  id: string;
  mode: string;
  purpose?: string;
}

/** Whether people who never answered count as subscribed: only for opt-out groups. */
export function subscribedByDefault(mode: string): boolean {
  return mode === "opt_out";
}

/** A person's state for a group: their answer if they gave one, else the group's default. */
export function isSubscribed(group: { mode: string }, answer: boolean | null | undefined): boolean {
  return answer ?? subscribedByDefault(group.mode);
}

/**
 * The groups a person is subscribed to now, from the workspace's groups and the person's
 * answers (answers about groups not among `groups` are ignored): what the segment
 * evaluator reads (`EvalInput.subscriptions`), the same rule as the SQL compiler's.
 */
export function subscribedGroups(groups: readonly StoredGroup[], answers: readonly { groupId: string; subscribed: boolean }[]): Set<string> {
  const answered = new Map(answers.map((a) => [a.groupId, a.subscribed]));
  const out = new Set<string>();
  for (const group of groups) if (isSubscribed(group, answered.get(group.id))) out.add(group.id);
  return out;
}
