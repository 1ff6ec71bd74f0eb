import { randomUUID } from "node:crypto";
import { renderTemplate, type RenderResult, type TemplateVariables } from "@/lib/messages/render";
import { smsLength, type SmsLength } from "@/lib/messages/sms";
import type { TemplateContent } from "@/lib/messages/schema";
import { eventVariables, EXAMPLE_PERSON, exampleEvent, personVariables } from "@/lib/messages/variables";
import { memberSummary, type MemberSummary } from "@/lib/profiles/display";
import type { Actor } from "@/server/audit/service";
import { sendOnChannel, type Secrets } from "@/server/channels/dispatch";
import { dropDevice } from "@/server/devices/service";
import { storeInAppMessage } from "@/server/inapp/service";
import { channelSecrets, configOf } from "@/server/channels/service";
import type { Db, DbTx } from "@/server/db/client";
import { DomainError } from "@/server/errors";
import { claimDelivery, finishDelivery, type DeliveryStatus } from "./deliveries";
import { latestVersion, partialMap } from "./templates";
import { consentForSend } from "@/server/consent/service";
import { publicBaseUrl, unsubscribeLinks, type UnsubscribeLinks } from "@/server/consent/links";

/**
 * Rendering a template for a person, and sending it: the preview, test sends, and (later)
 * the journey runtime's sends all take this path — render (lib/messages/render.ts), check
 * consent, claim a delivery row, call the channel's provider, record what it said.
 */

export interface ExampleEvent {
  name: string;
  properties: Record<string, unknown>;
  timestamp?: string;
}

async function personOf(db: DbTx, workspaceId: string, profileId: string | null | undefined) {
  if (!profileId) return null;
  const profile = await db.profile.findFirst({
    where: { id: profileId, workspaceId },
    select: { id: true, userId: true, email: true, phone: true, timezone: true, locale: true, country: true, traits: true, firstSeenAt: true, lastSeenAt: true },
  });
  if (!profile) throw new DomainError("NOT_FOUND", "This person does not exist (they may have been merged or deleted).");
  return profile;
}

/** The person's latest event, as a template would see it when that event triggered the send. */
async function latestEventOf(db: DbTx, profileId: string) {
  const event = await db.event.findFirst({
    where: { profileId, type: "track" },
    orderBy: [{ timestamp: "desc" }, { id: "desc" }],
    select: { name: true, properties: true, timestamp: true },
  });
  return event ? eventVariables(event) : null;
}

/** The links a message carries to leave it: signed for a real person; for the example person, a page that says it is an example. */
/** The person's unsubscribe and preference links; an example person gets the example page. */
export function linksOf(input: { workspaceId: string; profileId: string | null; groupId: string | null; channel: TemplateContent["channel"] }): UnsubscribeLinks {
  if (input.profileId) return unsubscribeLinks({ workspaceId: input.workspaceId, profileId: input.profileId, groupId: input.groupId, channel: input.channel });
  const example = `${publicBaseUrl()}/preferences/example`;
  return { unsubscribeUrl: example, preferencesUrl: example, oneClickUrl: example };
}

async function variablesFor(
  db: DbTx,
  input: { workspaceId: string; profileId?: string | null; event?: ExampleEvent | null; groupId: string | null; channel: TemplateContent["channel"] },
): Promise<{ variables: TemplateVariables; links: UnsubscribeLinks; person: MemberSummary | null; event: Record<string, unknown> | null; profile: Awaited<ReturnType<typeof personOf>> }> {
  const profile = await personOf(db, input.workspaceId, input.profileId);
  const event = input.event
    ? eventVariables({ name: input.event.name, properties: input.event.properties, timestamp: input.event.timestamp ?? new Date().toISOString() })
    : profile
      ? await latestEventOf(db, profile.id)
      : null;
  const links = linksOf({ workspaceId: input.workspaceId, profileId: profile?.id ?? null, groupId: input.groupId, channel: input.channel });
  return {
    profile,
    links,
    person: profile ? memberSummary(profile) : null,
    event,
    variables: {
      person: profile ? personVariables(profile) : EXAMPLE_PERSON,
      event: event ?? exampleEvent(new Date()),
      unsubscribe_url: links.unsubscribeUrl,
      preferences_url: links.preferencesUrl,
    },
  };
}

export interface Preview {
  /** Who it was rendered for (null: the example person). */
  person: MemberSummary | null;
  /** The event it was rendered with (the person's latest, or the example given). */
  event: Record<string, unknown> | null;
  result: RenderResult;
  /** SMS: characters and parts of the rendered text. */
  sms: SmsLength | null;
}

/** The editor's live preview: the unsaved content, rendered with the current partials for a chosen person. */
export async function previewTemplate(db: DbTx, input: { workspaceId: string; content: TemplateContent; profileId?: string | null; event?: ExampleEvent | null }): Promise<Preview> {
  const { variables, person, event } = await variablesFor(db, { ...input, groupId: input.content.subscriptionGroupId, channel: input.content.channel });
  const result = renderTemplate(input.content, variables, await partialMap(db, input.workspaceId));
  return { person, event, result, sms: input.content.channel === "sms" && result.ok ? smsLength(result.output.text ?? "") : null };
}

export interface SendOutcome {
  deliveryId: string;
  status: DeliveryStatus;
  message: string;
}

/**
 * Test send: the template's latest saved version, rendered for a chosen person (or the
 * example person) and sent to `to` through a connected channel. It is recorded like every
 * send, and a person who has unsubscribed is not sent it — it is recorded as suppressed.
 */
export async function sendTemplateTest(
  db: Db,
  input: { workspaceId: string; actor: Actor; templateId: string; channelId: string; to: string; profileId?: string | null; event?: ExampleEvent | null; sender?: number },
): Promise<SendOutcome> {
  const version = await latestVersion(db, { workspaceId: input.workspaceId, templateId: input.templateId });
  const channel = await db.channel.findFirst({ where: { id: input.channelId, workspaceId: input.workspaceId } });
  if (!channel) throw new DomainError("NOT_FOUND", "This channel does not exist.");
  if (channel.kind !== version.content.channel) throw new DomainError("BAD_REQUEST", `A ${version.content.channel} template cannot be sent through a ${channel.kind} channel.`);

  const groupId = version.content.subscriptionGroupId;
  const { variables, links, profile } = await variablesFor(db, { workspaceId: input.workspaceId, profileId: input.profileId, event: input.event, groupId, channel: version.content.channel });
  const base = {
    workspaceId: input.workspaceId,
    channel: version.content.channel,
    channelId: channel.id,
    profileId: profile?.id ?? null,
    templateVersionId: version.id,
    idempotencyKey: `test:${randomUUID()}`,
    recipient: input.to,
    test: true,
  };

  const rendered = renderTemplate(version.content, variables, version.partials);
  if (!rendered.ok) {
    const reason = rendered.errors.map((e) => `${e.field}${e.line ? ` (line ${e.line}, column ${e.column})` : ""}: ${e.message}`).join("; ");
    const row = await claimDelivery(db, { ...base, status: "failed", reason: `The template did not render: ${reason}` });
    return { deliveryId: row.id, status: "failed", message: `The template did not render: ${reason}` };
  }
  // Consent holds at every send: a person who left the message's group is not sent it.
  if (profile) {
    const gate = await consentForSend(db, { workspaceId: input.workspaceId, profileId: profile.id, groupId });
    if (!gate.allowed) {
      const row = await claimDelivery(db, { ...base, status: "suppressed", reason: gate.reason, rendered: rendered.output });
      return { deliveryId: row.id, status: "suppressed", message: `Not sent: ${gate.reason}` };
    }
  }

  if (version.content.channel === "inapp") {
    // Kept for the person, fetched by their app: nothing goes through a provider.
    if (!profile) throw new DomainError("BAD_REQUEST", "Choose a person: in-app messages are kept for a person, who sees them in your app.");
    const retentionDays = (configOf(channel).settings as { retentionDays?: number }).retentionDays ?? 90;
    const row = await db.$transaction(async (tx) => {
      const claim = await claimDelivery(tx, { ...base, recipient: profile.userId ?? profile.id, status: "sending", rendered: rendered.output });
      await storeInAppMessage(tx, {
        workspaceId: input.workspaceId,
        profileId: profile.id,
        deliveryId: claim.id,
        content: { title: rendered.output.title ?? "", body: rendered.output.body ?? "", buttonLabel: rendered.output.buttonLabel, buttonUrl: rendered.output.buttonUrl },
        expiresAt: new Date(Date.now() + retentionDays * 86_400_000),
      });
      await finishDelivery(tx, { id: claim.id, status: "sent" });
      return claim;
    });
    return { deliveryId: row.id, status: "sent", message: `Kept for ${profile.userId ?? "this person"}: their app shows it from /api/v1/profiles/{userId}/messages.` };
  }

  const claim = await claimDelivery(db, { ...base, status: "sending", rendered: rendered.output });
  const outcome = await sendThrough(db, { channel, rendered: rendered.output, to: input.to, deliveryId: claim.id, links: profile ? links : null, sender: input.sender });
  await finishDelivery(db, { id: claim.id, status: outcome.ok ? "sent" : "failed", reason: outcome.ok ? null : outcome.message, providerMessageId: outcome.providerMessageId });
  return { deliveryId: claim.id, status: outcome.ok ? "sent" : "failed", message: outcome.message };
}

/** One send through one channel's provider (server/channels/dispatch.ts): test sends and the journey sender (server/journeys/runtime/sender.ts). */
export async function sendThrough(
  db: DbTx,
  input: {
    channel: { id: string; workspaceId: string; kind: string; settings: unknown };
    rendered: Record<string, string>;
    to: string;
    deliveryId: string;
    links: UnsubscribeLinks | null;
    sender?: number;
    /** The channel's secrets when the caller read them already (the journey sender, once per batch). */
    secrets?: Promise<Secrets>;
  },
): Promise<{ ok: boolean; message: string; providerMessageId?: string | null; retryable?: boolean }> {
  const config = configOf(input.channel);
  const secrets = await (input.secrets ?? channelSecrets(db, input.channel.workspaceId, input.channel.id, config.kind));
  let email;
  if (config.kind === "email") {
    const sender = config.settings.senders[input.sender ?? 0] ?? config.settings.senders[0]!;
    const headers: Record<string, string> = {};
    if (input.links) {
      // RFC 8058: one click in the mail client unsubscribes, with a POST to this address.
      headers["List-Unsubscribe"] = `<${input.links.oneClickUrl}>`;
      headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
    }
    // Stable per delivery: a retried send is recognisable as the same message.
    email = { from: { name: sender.name, address: sender.address }, replyTo: sender.replyTo, messageId: `<${input.deliveryId}@${sender.address.split("@")[1] ?? "junction.local"}>`, headers };
  }
  const outcome = await sendOnChannel(config, secrets, input.rendered, { to: input.to, idempotencyKey: input.deliveryId, email });
  // A device the push service no longer knows is forgotten, so no later send tries it.
  if (config.kind === "push" && outcome.invalidToken) {
    const to = input.to.trim();
    const endpoint = to.startsWith("{") ? (JSON.parse(to) as { endpoint?: string }).endpoint : undefined;
    await dropDevice(db, { workspaceId: input.channel.workspaceId, kind: endpoint ? "webpush" : "fcm", token: endpoint ?? to });
  }
  return { ok: outcome.ok, message: outcome.message, providerMessageId: outcome.providerMessageId ?? null, retryable: outcome.retryable };
}
