import type { Prisma } from "@/server/generated/prisma/client";
import type { MessageChannel } from "@/lib/messages/schema";
import { memberSummary } from "@/lib/profiles/display";
import { recordAudit, type Actor } from "@/server/audit/service";
import type { Db, DbTx } from "@/server/db/client";
import { encodeKeyset, type Keyset } from "@/server/db/keyset";
import { DomainError } from "@/server/errors";

/**
 * The delivery log: one row per send, test sends now and journey sends later, written
 * before the provider is called (`sending`) under a key unique per workspace, so a retried
 * send finds its row instead of sending again, and finished with what the provider said.
 */

export const DELIVERY_STATUSES = ["queued", "sending", "sent", "delivered", "bounced", "failed", "suppressed", "unknown"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface NewDelivery {
  workspaceId: string;
  channel: MessageChannel;
  channelId?: string | null;
  profileId?: string | null;
  templateVersionId?: string | null;
  idempotencyKey: string;
  recipient: string;
  status: Extract<DeliveryStatus, "queued" | "sending" | "suppressed" | "failed">;
  reason?: string | null;
  rendered?: Record<string, string>;
  test?: boolean;
}

/**
 * Records a send about to happen. Returns the row and whether it is new: an existing row
 * under the same key means this send was already attempted, and must not be made again.
 */
export async function claimDelivery(db: DbTx, input: NewDelivery): Promise<{ id: string; status: DeliveryStatus; created: boolean }> {
  const rows = await db.$queryRaw<{ id: string; status: DeliveryStatus; created: boolean }[]>`
    INSERT INTO deliveries (id, workspace_id, channel, channel_id, profile_id, template_version_id, idempotency_key,
                            recipient, status, reason, rendered, test, updated_at)
    VALUES (${crypto.randomUUID()}, ${input.workspaceId}, ${input.channel}, ${input.channelId ?? null}, ${input.profileId ?? null},
            ${input.templateVersionId ?? null}, ${input.idempotencyKey}, ${input.recipient}, ${input.status}, ${input.reason ?? null},
            ${JSON.stringify(input.rendered ?? {})}::jsonb, ${input.test ?? false}, now())
    ON CONFLICT (workspace_id, idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
    RETURNING id, status, (xmax = 0) AS created`;
  return rows[0]!;
}

/** What the provider said about a claimed send. */
export async function finishDelivery(
  db: DbTx,
  input: { id: string; status: Extract<DeliveryStatus, "sent" | "failed" | "unknown">; reason?: string | null; providerMessageId?: string | null },
) {
  await db.delivery.update({
    where: { id: input.id },
    data: {
      status: input.status,
      reason: input.reason?.slice(0, 2_000) ?? null,
      providerMessageId: input.providerMessageId?.slice(0, 500) ?? null,
      ...(input.status === "sent" ? { sentAt: new Date() } : {}),
    },
  });
}

export interface DeliveryFilter {
  workspaceId: string;
  channel?: MessageChannel;
  status?: DeliveryStatus;
  profileId?: string;
  /** One journey's sends. */
  journeyId?: string;
  /** Recipient address, number or URL (prefix). */
  recipient?: string;
  from?: Date;
  to?: Date;
  cursor?: Keyset | null;
  limit: number;
}

export async function listDeliveries(db: DbTx, f: DeliveryFilter) {
  const where: Prisma.DeliveryWhereInput = {
    workspaceId: f.workspaceId,
    ...(f.channel ? { channel: f.channel } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.profileId ? { profileId: f.profileId } : {}),
    ...(f.journeyId ? { journeyId: f.journeyId } : {}),
    ...(f.recipient ? { recipient: { startsWith: f.recipient.replace(/[\\%_]/g, (c) => `\\${c}`) } } : {}),
    ...(f.from || f.to ? { createdAt: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: f.to } : {}) } } : {}),
  };
  const after = f.cursor ?? null;
  const rows = await db.delivery.findMany({
    where: after ? { AND: [where, { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] }] } : where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: f.limit + 1,
    select: {
      id: true,
      channel: true,
      recipient: true,
      status: true,
      reason: true,
      test: true,
      attempts: true,
      createdAt: true,
      sentAt: true,
      profile: { select: { id: true, userId: true, email: true, traits: true } },
      templateVersion: { select: { version: true, template: { select: { id: true, name: true } } } },
      journey: { select: { id: true, name: true } },
    },
  });
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ profile, templateVersion, ...r }) => ({
      ...r,
      channel: r.channel as MessageChannel,
      status: r.status as DeliveryStatus,
      person: profile ? memberSummary(profile) : null,
      template: templateVersion ? { id: templateVersion.template.id, name: templateVersion.template.name, version: templateVersion.version } : null,
    })),
    nextCursor: rows.length > f.limit && last ? encodeKeyset(last.createdAt, last.id) : null,
  };
}

export async function getDelivery(db: DbTx, input: { workspaceId: string; id: string }) {
  const row = await db.delivery.findFirst({
    where: { id: input.id, workspaceId: input.workspaceId },
    include: {
      profile: { select: { id: true, userId: true, email: true, traits: true } },
      templateVersion: { select: { version: true, template: { select: { id: true, name: true } } } },
      journey: { select: { id: true, name: true } },
    },
  });
  if (!row) throw new DomainError("NOT_FOUND", "This delivery does not exist.");
  const { profile, templateVersion, ...rest } = row;
  return {
    ...rest,
    channel: rest.channel as MessageChannel,
    status: rest.status as DeliveryStatus,
    rendered: rest.rendered as Record<string, string>,
    person: profile ? memberSummary(profile) : null,
    template: templateVersion ? { id: templateVersion.template.id, name: templateVersion.template.name, version: templateVersion.version } : null,
  };
}

/** Journey sends whose Retry is offered: failed for good (the dead-letter list), or left unknown by a stopped worker. */
export const RETRYABLE_STATUSES: readonly DeliveryStatus[] = ["failed", "unknown"];

/**
 * The dead-letter list's Retry: a failed (or unknown) journey send is queued again with its
 * attempts from the start, under the same delivery row and key — the sender picks it up in
 * a moment (server/journeys/runtime/sender.ts), in one transaction with its audit entry.
 */
export async function retryJourneySend(db: Db, input: { workspaceId: string; actor: Actor; id: string }) {
  return db.$transaction(async (tx) => {
    const row = await tx.delivery.findFirst({
      where: { id: input.id, workspaceId: input.workspaceId },
      select: { id: true, status: true, channel: true, attempts: true, journeyId: true, nodeId: true, profileId: true },
    });
    if (!row) throw new DomainError("NOT_FOUND", "This delivery does not exist.");
    if (!row.journeyId) throw new DomainError("BAD_REQUEST", "Only journey sends can be retried. To send a test message again, use Send test on its template.");
    if (!RETRYABLE_STATUSES.includes(row.status as DeliveryStatus)) {
      throw new DomainError("CONFLICT", `Only a failed send, or one whose outcome is unknown, can be retried; this one is ${row.status}.`);
    }
    // Due at once on the database's clock (the sender compares with it).
    const changed = await tx.$executeRaw`
      UPDATE deliveries SET status = 'queued', attempts = 0, next_attempt_at = clock_timestamp(), updated_at = clock_timestamp(), reason = 'Queued again by hand (Retry).'
       WHERE id = ${row.id} AND workspace_id = ${input.workspaceId} AND journey_id IS NOT NULL AND status IN ('failed', 'unknown')`;
    if (changed === 0) throw new DomainError("CONFLICT", "This send changed in the meantime: reload to see where it is.");
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "delivery.retried",
      target: { type: "journey", id: row.journeyId },
      diff: { delivery: { to: row.id }, channel: { to: row.channel }, step: { to: row.nodeId }, person: { to: row.profileId }, status: { from: row.status, to: "queued" }, attempts: { from: row.attempts, to: 0 } },
    });
    return { id: row.id, status: "queued" as const };
  });
}
