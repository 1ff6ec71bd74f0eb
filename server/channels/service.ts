import type { Prisma } from "@/server/generated/prisma/client";
import { ZSmtpSettings, type SmtpSettings } from "@/lib/channels/schema";
import { auditDiff } from "@/lib/audit/redact";
import { recordAudit, type Actor } from "@/server/audit/service";
import type { Db, DbTx } from "@/server/db/client";
import { DomainError } from "@/server/errors";
import { sendSmtp, verifySmtp, type SmtpOutcome } from "./providers/smtp";
import { deleteSecrets, describeSecrets, describeSecretsOf, putSecret, readSecret, type SecretState } from "./secrets";
import { checkHost, OutboundRefused, outboundPolicy } from "./ssrf";

/**
 * Connected channels (email over SMTP today). Settings are stored as they are; secrets go
 * to `secrets`, write-only: `password: undefined` keeps the stored one, `null` removes it.
 * Nothing this module returns to a caller holds a secret.
 */

const owner = (channelId: string) => `channel:${channelId}`;

export interface ChannelView {
  id: string;
  kind: "email";
  name: string;
  settings: SmtpSettings;
  secrets: SecretState[];
  lastTest: { at: Date; ok: boolean; message: string } | null;
  updatedAt: Date;
}

function view(row: { id: string; kind: string; name: string; settings: unknown; lastTestAt: Date | null; lastTestOk: boolean | null; lastTestMessage: string | null; updatedAt: Date }, secrets: SecretState[]): ChannelView {
  return {
    id: row.id,
    kind: "email",
    name: row.name,
    settings: ZSmtpSettings.parse(row.settings),
    secrets,
    lastTest: row.lastTestAt ? { at: row.lastTestAt, ok: row.lastTestOk ?? false, message: row.lastTestMessage ?? "" } : null,
    updatedAt: row.updatedAt,
  };
}

export async function listChannels(db: DbTx, workspaceId: string): Promise<ChannelView[]> {
  const rows = await db.channel.findMany({ where: { workspaceId }, orderBy: [{ kind: "asc" }, { name: "asc" }] });
  const secrets = await describeSecretsOf(db, { workspaceId, owners: rows.map((r) => owner(r.id)) });
  return rows.map((r) => view(r, secrets.get(owner(r.id)) ?? []));
}

async function channelOf(db: DbTx, workspaceId: string, id: string) {
  const row = await db.channel.findFirst({ where: { id, workspaceId } });
  if (!row) throw new DomainError("NOT_FOUND", "This channel does not exist.");
  return row;
}

/** The SMTP host must be somewhere Junction may send: checked at save (and again at every send). */
async function assertReachable(settings: SmtpSettings) {
  try {
    await checkHost(settings.host, outboundPolicy());
  } catch (error) {
    if (error instanceof OutboundRefused) throw new DomainError("BAD_REQUEST", `Host: ${error.message}.`);
    throw error;
  }
}

export async function saveEmailChannel(
  db: Db,
  input: { workspaceId: string; actor: Actor; id?: string; name: string; settings: SmtpSettings; password?: string | null },
): Promise<ChannelView> {
  await assertReachable(input.settings);
  const row = await db.$transaction(async (tx) => {
    const before = input.id ? await channelOf(tx, input.workspaceId, input.id) : null;
    const data = { name: input.name.trim(), settings: input.settings as unknown as Prisma.InputJsonValue };
    const saved = before
      ? await tx.channel.update({ where: { id: before.id }, data })
      : await tx.channel.create({ data: { ...data, workspaceId: input.workspaceId, kind: "email" } });
    let passwordChange: string | undefined;
    if (input.password === null) {
      await deleteSecrets(tx, { workspaceId: input.workspaceId, owner: owner(saved.id) });
      passwordChange = "removed";
    } else if (input.password !== undefined) {
      await putSecret(tx, { workspaceId: input.workspaceId, owner: owner(saved.id), name: "password", value: input.password });
      passwordChange = "replaced";
    }
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: before ? "channel.updated" : "channel.created",
      target: { type: "channel", id: saved.id },
      // What changed, never a secret's value: the password appears as "replaced" or "removed".
      diff: {
        ...auditDiff(before ? { name: before.name, settings: before.settings } : undefined, { name: saved.name, settings: input.settings }),
        ...(passwordChange ? { sign_in: { to: `password ${passwordChange}` } } : {}),
      },
    });
    return saved;
  });
  return view(row, await describeSecrets(db, { workspaceId: input.workspaceId, owner: owner(row.id) }));
}

export async function deleteChannel(db: Db, input: { workspaceId: string; actor: Actor; id: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    const row = await channelOf(tx, input.workspaceId, input.id);
    await deleteSecrets(tx, { workspaceId: input.workspaceId, owner: owner(row.id) });
    await tx.channel.delete({ where: { id: row.id } });
    await recordAudit(tx, { workspaceId: input.workspaceId, actor: input.actor, action: "channel.deleted", target: { type: "channel", id: row.id }, diff: { name: { from: row.name } } });
  });
}

/**
 * Test connection: for a saved channel (its stored password unless a new one is given), or
 * for settings not saved yet. A saved channel keeps the outcome ("last tested …").
 */
export async function testEmailChannel(
  db: Db,
  input: { workspaceId: string; id?: string; settings: SmtpSettings; password?: string | null },
): Promise<SmtpOutcome> {
  let password = input.password ?? null;
  if (input.id) {
    await channelOf(db, input.workspaceId, input.id);
    if (input.password === undefined) password = await readSecret(db, { workspaceId: input.workspaceId, owner: owner(input.id), name: "password" });
  }
  const outcome = await verifySmtp(input.settings, password, outboundPolicy());
  if (input.id) {
    await db.channel.update({ where: { id: input.id }, data: { lastTestAt: new Date(), lastTestOk: outcome.ok, lastTestMessage: outcome.message.slice(0, 500) } });
  }
  return outcome;
}

/** Send test: a short message from one of the channel's senders to `to`. */
export async function sendTestEmail(db: Db, input: { workspaceId: string; actor: Actor; id: string; to: string; sender?: number }): Promise<SmtpOutcome> {
  const row = await channelOf(db, input.workspaceId, input.id);
  const settings = ZSmtpSettings.parse(row.settings);
  const sender = settings.senders[input.sender ?? 0];
  if (!sender) throw new DomainError("BAD_REQUEST", "This channel has no such sender.");
  const password = await readSecret(db, { workspaceId: input.workspaceId, owner: owner(row.id), name: "password" });
  return sendSmtp(
    settings,
    password,
    {
      from: { name: sender.name, address: sender.address },
      replyTo: sender.replyTo,
      to: input.to,
      subject: `Test email from Junction (${row.name})`,
      text: `This is a test email sent by ${input.actor.label} from the channel “${row.name}”. If you can read it, the channel works.`,
      html: `<p>This is a test email sent by ${escapeHtml(input.actor.label)} from the channel “${escapeHtml(row.name)}”.</p><p>If you can read it, the channel works.</p>`,
    },
    outboundPolicy(),
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
