import type { Prisma } from "@/server/generated/prisma/client";
import { CHANNEL_SECRETS, ZChannelConfig, type ChannelConfig, type ChannelKind } from "@/lib/channels/kinds";
import type { SmtpSettings } from "@/lib/channels/schema";
import { auditDiff } from "@/lib/audit/redact";
import { recordAudit, type Actor } from "@/server/audit/service";
import type { Db, DbTx } from "@/server/db/client";
import { DomainError } from "@/server/errors";
import { refusedHost, secretProblem, sendOnChannel, verifyChannel, type Secrets } from "./dispatch";
import type { ChannelCheck } from "./providers/http";
import { generateVapidKeys } from "./providers/webpush";
import { generateWebhookSecret, pingBody } from "./providers/webhook";
import { deleteSecrets, describeSecrets, describeSecretsOf, putSecret, readSecret, type SecretState } from "./secrets";

/**
 * Connected channels: email (SMTP), SMS (Twilio), push (Web Push, FCM), webhooks and
 * in-app. Settings are stored as they are; secrets go to `secrets`, write-only: a secret
 * left out keeps the stored one, `null` removes it. Nothing this module returns to a caller
 * holds a secret — except a webhook's signing secret, once, when Junction makes it.
 */

export const channelOwner = (channelId: string) => `channel:${channelId}`;

export type ChannelView = ChannelConfig & {
  id: string;
  name: string;
  secrets: SecretState[];
  lastTest: { at: Date; ok: boolean; message: string } | null;
  updatedAt: Date;
};

type ChannelRow = { id: string; kind: string; name: string; settings: unknown; lastTestAt: Date | null; lastTestOk: boolean | null; lastTestMessage: string | null; updatedAt: Date };

/** A stored channel's kind and settings, parsed (the schema defaults fill what older rows lack). */
export function configOf(row: { kind: string; settings: unknown }): ChannelConfig {
  return ZChannelConfig.parse({ kind: row.kind, settings: row.settings });
}

function view(row: ChannelRow, secrets: SecretState[]): ChannelView {
  return {
    ...configOf(row),
    id: row.id,
    name: row.name,
    secrets,
    lastTest: row.lastTestAt ? { at: row.lastTestAt, ok: row.lastTestOk ?? false, message: row.lastTestMessage ?? "" } : null,
    updatedAt: row.updatedAt,
  };
}

export async function listChannels(db: DbTx, workspaceId: string): Promise<ChannelView[]> {
  const rows = await db.channel.findMany({ where: { workspaceId }, orderBy: [{ kind: "asc" }, { name: "asc" }] });
  const secrets = await describeSecretsOf(db, { workspaceId, owners: rows.map((r) => channelOwner(r.id)) });
  return rows.map((r) => view(r, secrets.get(channelOwner(r.id)) ?? []));
}

export async function channelRow(db: DbTx, workspaceId: string, id: string) {
  const row = await db.channel.findFirst({ where: { id, workspaceId } });
  if (!row) throw new DomainError("NOT_FOUND", "This channel does not exist.");
  return row;
}

/** A channel's stored secrets, by name (for sending and testing; never for answers). */
export async function channelSecrets(db: DbTx, workspaceId: string, channelId: string, kind: ChannelKind): Promise<Secrets> {
  const out: Secrets = {};
  for (const spec of CHANNEL_SECRETS[kind]) out[spec.name] = await readSecret(db, { workspaceId, owner: channelOwner(channelId), name: spec.name });
  return out;
}

/** Every user-given host must be somewhere Junction may send: checked at save (and again at every send). */
async function assertReachable(config: ChannelConfig) {
  const refused = await refusedHost(config);
  if (refused) throw new DomainError("BAD_REQUEST", `${config.kind === "email" ? "Host" : "Address"}: ${refused}.`);
}

/** New secrets are of this kind and make sense (a service-account JSON names a missing field); nothing is saved otherwise. */
function checkSecrets(kind: ChannelKind, secrets: Record<string, string | null | undefined>) {
  const known = new Set(CHANNEL_SECRETS[kind].map((s) => s.name));
  for (const [name, value] of Object.entries(secrets)) {
    if (!known.has(name)) throw new DomainError("BAD_REQUEST", `A ${kind} channel has no secret called “${name}”.`);
    if (typeof value === "string") {
      const problem = secretProblem(kind, name, value);
      if (problem) throw new DomainError("BAD_REQUEST", problem);
    }
  }
}

/** `revealed`: a secret Junction made for this channel, shown once (a webhook's signing secret for its receiver). */
export type SavedChannel = ChannelView & { revealed: Record<string, string> | null };

export async function saveChannel(
  db: Db,
  input: { workspaceId: string; actor: Actor; id?: string; name: string; config: ChannelConfig; secrets?: Record<string, string | null | undefined> },
): Promise<SavedChannel> {
  const secrets = { ...input.secrets };
  checkSecrets(input.config.kind, secrets);
  await assertReachable(input.config);
  let revealed: Record<string, string> | null = null;
  const row = await db.$transaction(async (tx) => {
    const before = input.id ? await channelRow(tx, input.workspaceId, input.id) : null;
    if (before && before.kind !== input.config.kind) throw new DomainError("BAD_REQUEST", "A channel's kind cannot change; connect a new channel instead.");
    // A webhook signs every request: Junction makes its secret unless one is given.
    if (input.config.kind === "webhook" && !before && !secrets.signingSecret) {
      secrets.signingSecret = generateWebhookSecret();
      revealed = { signingSecret: secrets.signingSecret };
    }
    const data = { name: input.name.trim(), settings: input.config.settings as unknown as Prisma.InputJsonValue };
    const saved = before
      ? await tx.channel.update({ where: { id: before.id }, data })
      : await tx.channel.create({ data: { ...data, workspaceId: input.workspaceId, kind: input.config.kind } });
    const changes: string[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      if (value === null) {
        await deleteSecrets(tx, { workspaceId: input.workspaceId, owner: channelOwner(saved.id), name });
        changes.push(`${name} removed`);
      } else if (value !== undefined) {
        await putSecret(tx, { workspaceId: input.workspaceId, owner: channelOwner(saved.id), name, value });
        changes.push(`${name} replaced`);
      }
    }
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: before ? "channel.updated" : "channel.created",
      target: { type: "channel", id: saved.id },
      // What changed, never a secret's value: a secret appears as "replaced" or "removed".
      diff: {
        ...auditDiff(before ? { name: before.name, settings: before.settings } : { kind: input.config.kind }, { ...(before ? {} : { kind: input.config.kind }), name: saved.name, settings: input.config.settings }),
        ...(changes.length > 0 ? { sign_in: { to: changes.join(", ") } } : {}),
      },
    });
    return saved;
  });
  return { ...view(row, await describeSecrets(db, { workspaceId: input.workspaceId, owner: channelOwner(row.id) })), revealed };
}

export async function deleteChannel(db: Db, input: { workspaceId: string; actor: Actor; id: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    const row = await channelRow(tx, input.workspaceId, input.id);
    await deleteSecrets(tx, { workspaceId: input.workspaceId, owner: channelOwner(row.id) });
    await tx.channel.delete({ where: { id: row.id } });
    await recordAudit(tx, { workspaceId: input.workspaceId, actor: input.actor, action: "channel.deleted", target: { type: "channel", id: row.id }, diff: { name: { from: row.name } } });
  });
}

/**
 * Test connection: for a saved channel (its stored secrets unless new ones are given), or
 * for settings not saved yet. A saved channel keeps the outcome ("last tested …").
 */
export async function testChannel(
  db: Db,
  input: { workspaceId: string; id?: string; config: ChannelConfig; secrets?: Record<string, string | null | undefined> },
): Promise<ChannelCheck> {
  checkSecrets(input.config.kind, input.secrets ?? {});
  const refused = await refusedHost(input.config);
  if (refused) return { ok: false, message: refused };
  let secrets: Secrets = {};
  if (input.id) {
    const row = await channelRow(db, input.workspaceId, input.id);
    if (row.kind !== input.config.kind) throw new DomainError("BAD_REQUEST", "A channel's kind cannot change; connect a new channel instead.");
    secrets = await channelSecrets(db, input.workspaceId, row.id, row.kind as ChannelKind);
  }
  for (const [name, value] of Object.entries(input.secrets ?? {})) if (value !== undefined) secrets[name] = value;
  const outcome = await verifyChannel(input.config, secrets);
  if (input.id) {
    await db.channel.update({ where: { id: input.id }, data: { lastTestAt: new Date(), lastTestOk: outcome.ok, lastTestMessage: outcome.message.slice(0, 500) } });
  }
  return outcome;
}

/** Send test from Settings: a short message of Junction's own to an address, number, device or the webhook's URL. */
export async function sendChannelTest(db: Db, input: { workspaceId: string; actor: Actor; id: string; to: string; sender?: number }): Promise<ChannelCheck> {
  const row = await channelRow(db, input.workspaceId, input.id);
  const config = configOf(row);
  const secrets = await channelSecrets(db, input.workspaceId, row.id, config.kind);
  const idempotencyKey = `settings-test:${crypto.randomUUID()}`;
  const what = `a test sent by ${input.actor.label} from the channel “${row.name}”`;
  switch (config.kind) {
    case "email": {
      const sender = config.settings.senders[input.sender ?? 0];
      if (!sender) throw new DomainError("BAD_REQUEST", "This channel has no such sender.");
      return sendOnChannel(
        config,
        secrets,
        {
          subject: `Test email from Junction (${row.name})`,
          text: `This is ${what}. If you can read it, the channel works.`,
          html: `<p>This is ${escapeHtml(what)}.</p><p>If you can read it, the channel works.</p>`,
        },
        { to: input.to, idempotencyKey, email: { from: { name: sender.name, address: sender.address }, replyTo: sender.replyTo, messageId: `<${crypto.randomUUID()}@${sender.address.split("@")[1]}>`, headers: {} } },
      );
    }
    case "sms":
      return sendOnChannel(config, secrets, { text: `Junction: ${what}. It works.` }, { to: input.to, idempotencyKey });
    case "webhook":
      return sendOnChannel(config, secrets, { body: pingBody() }, { to: config.settings.url, idempotencyKey });
    case "push":
      return sendOnChannel(config, secrets, { title: "Junction test", body: `This is ${what}.` }, { to: input.to, idempotencyKey });
    case "inapp":
      throw new DomainError("BAD_REQUEST", "In-app messages are tested from a template: Messages → a template → Send a test.");
  }
}

/** A new VAPID key pair for the push form: the private half goes back with the save, write-only from then on. */
export function newVapidKeys() {
  return generateVapidKeys();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Email, as the first channels code and its tests know it.

export function saveEmailChannel(db: Db, input: { workspaceId: string; actor: Actor; id?: string; name: string; settings: SmtpSettings; password?: string | null }) {
  return saveChannel(db, { ...input, config: { kind: "email", settings: input.settings }, secrets: { password: input.password } });
}
