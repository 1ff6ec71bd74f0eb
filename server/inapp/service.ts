import { randomUUID } from "node:crypto";
import type { DbTx } from "@/server/db/client";
import { encodeKeyset, type Keyset } from "@/server/db/keyset";
import { DomainError } from "@/server/errors";
import { ZInAppMessageContent, type InAppMessageContent, type InAppMessageInput } from "@/lib/channels/inapp";
import { plainMessage } from "@/lib/messages";

/**
 * In-app messages: kept per person until their own app or site fetches them (GET
 * /api/v1/profiles/{userId}/messages, server/inapp/http.ts), shows them (seen) and the
 * person closes them (dismissed). The sender stores one per in-app delivery
 * (`storeInAppMessage`, idempotent on the delivery). Merges move them to the known person;
 * GDPR deletion removes them (foreign key).
 */

export interface InAppMessageView extends InAppMessageContent {
  id: string;
  createdAt: Date;
  seenAt: Date | null;
  dismissedAt: Date | null;
  expiresAt: Date | null;
}

interface Row {
  id: string;
  content: unknown;
  createdAt: Date;
  seenAt: Date | null;
  dismissedAt: Date | null;
  expiresAt: Date | null;
}

/** A stored row as the API shows it. Content is read through its schema; a row that somehow does not fit still shows its text. */
function view(row: Row): InAppMessageView {
  const parsed = ZInAppMessageContent.safeParse(row.content);
  const raw = (row.content ?? {}) as Record<string, unknown>;
  const content: InAppMessageContent = parsed.success
    ? parsed.data
    : { title: String(raw.title ?? ""), body: String(raw.body ?? ""), buttonLabel: null, buttonUrl: null };
  return { id: row.id, ...content, createdAt: row.createdAt, seenAt: row.seenAt, dismissedAt: row.dismissedAt, expiresAt: row.expiresAt };
}

/**
 * Keeps an in-app message for a person. With a `deliveryId` it is stored once: calling again
 * for the same delivery (a retried send) returns the message stored the first time
 * (`created: false`) and changes nothing. Content is checked (`ZInAppMessageContent`): a
 * missing title, a `javascript:` button link or text beyond the limits is a BAD_REQUEST
 * naming the field. NOT_FOUND when the person is not in this workspace (deleted meanwhile).
 * Works inside the caller's transaction.
 */
export async function storeInAppMessage(
  db: DbTx,
  input: { workspaceId: string; profileId: string; deliveryId?: string | null; content: InAppMessageInput; expiresAt?: Date | null; now?: Date },
): Promise<{ id: string; created: boolean }> {
  const parsed = ZInAppMessageContent.safeParse(input.content);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "content"}: ${plainMessage(i)}`).join("; ");
    throw new DomainError("BAD_REQUEST", `The in-app message cannot be kept: ${problems}.`);
  }
  if (input.deliveryId !== undefined && input.deliveryId !== null && (input.deliveryId.length === 0 || input.deliveryId.length > 200)) {
    throw new DomainError("BAD_REQUEST", "deliveryId must be 1–200 characters.");
  }
  const at = input.now ?? new Date();
  const deliveryId = input.deliveryId ?? null;
  // The profile must be this workspace's; a delivery stored before wins (ON CONFLICT), and
  // its row is read back below: a no-op insert never aborts the caller's transaction.
  const inserted = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO in_app_messages (id, workspace_id, profile_id, delivery_id, content, created_at, expires_at)
    SELECT ${randomUUID()}::text, p.workspace_id, p.id, ${deliveryId}::text, ${JSON.stringify(parsed.data)}::jsonb, ${at}::timestamptz, ${input.expiresAt ?? null}::timestamptz
      FROM profiles p WHERE p.id = ${input.profileId} AND p.workspace_id = ${input.workspaceId}
    ON CONFLICT (delivery_id) DO NOTHING
    RETURNING id`;
  if (inserted[0]) return { id: inserted[0].id, created: true };
  if (deliveryId !== null) {
    const existing = await db.inAppMessage.findUnique({ where: { deliveryId }, select: { id: true, workspaceId: true } });
    if (existing && existing.workspaceId === input.workspaceId) return { id: existing.id, created: false };
    if (existing) throw new DomainError("CONFLICT", "This delivery already has an in-app message in another workspace.");
  }
  throw new DomainError("NOT_FOUND", "This person does not exist in this workspace (they may have been deleted).");
}

/**
 * A person's in-app messages to show: not dismissed, not expired (at `now`), newest first,
 * keyset-paginated on (created_at, id); `unseen` keeps those never marked seen.
 */
export async function listInAppMessages(
  db: DbTx,
  input: { workspaceId: string; profileId: string; limit: number; cursor?: Keyset | null; unseen?: boolean; now?: Date },
): Promise<{ messages: InAppMessageView[]; nextCursor: string | null }> {
  const now = input.now ?? new Date();
  const rows = await db.inAppMessage.findMany({
    where: {
      workspaceId: input.workspaceId,
      profileId: input.profileId,
      dismissedAt: null,
      ...(input.unseen ? { seenAt: null } : {}),
      AND: [
        { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
        ...(input.cursor ? [{ OR: [{ createdAt: { lt: input.cursor.at } }, { createdAt: input.cursor.at, id: { lt: input.cursor.id } }] }] : []),
      ],
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    select: { id: true, content: true, createdAt: true, seenAt: true, dismissedAt: true, expiresAt: true },
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { messages: page.map(view), nextCursor: rows.length > input.limit && last ? encodeKeyset(last.createdAt, last.id) : null };
}

/**
 * Marks one of the person's messages seen, or dismissed (which is seen too). Idempotent:
 * the first time is kept. NOT_FOUND for a message of anyone else, or of another workspace.
 */
export async function markInAppMessage(
  db: DbTx,
  input: { workspaceId: string; profileId: string; messageId: string; as: "seen" | "dismissed"; now?: Date },
): Promise<InAppMessageView> {
  const now = input.now ?? new Date();
  const dismiss = input.as === "dismissed";
  const rows = await db.$queryRaw<Row[]>`
    UPDATE in_app_messages
       SET seen_at = COALESCE(seen_at, ${now}::timestamptz),
           dismissed_at = CASE WHEN ${dismiss}::boolean THEN COALESCE(dismissed_at, ${now}::timestamptz) ELSE dismissed_at END
     WHERE id = ${input.messageId} AND workspace_id = ${input.workspaceId} AND profile_id = ${input.profileId}
    RETURNING id, content, created_at AS "createdAt", seen_at AS "seenAt", dismissed_at AS "dismissedAt", expires_at AS "expiresAt"`;
  if (!rows[0]) throw new DomainError("NOT_FOUND", "This person has no message with this id.");
  return view(rows[0]);
}

/** Removes messages that expired before `now` (nobody is shown them any more). Returns how many. */
export async function removeExpiredInAppMessages(db: DbTx, input: { now: Date; workspaceId?: string }): Promise<number> {
  const { count } = await db.inAppMessage.deleteMany({
    where: { expiresAt: { lt: input.now }, ...(input.workspaceId ? { workspaceId: input.workspaceId } : {}) },
  });
  return count;
}
