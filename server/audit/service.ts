import type { DbTx } from "@/server/db/client";
import { describeTargets } from "./targets";
import type { Prisma } from "@/server/generated/prisma/client";
import { redactSecrets, type AuditDiff } from "@/lib/audit/redact";
import { encodeKeyset, type Keyset } from "@/server/db/keyset";

/** Who did something: a signed-in user, an API key or the system itself. */
export interface Actor {
  userId: string | null;
  label: string;
}

export const SYSTEM_ACTOR: Actor = { userId: null, label: "system" };

export interface AuditInput {
  workspaceId: string;
  actor: Actor;
  /** Dotted verb, e.g. `member.invited`, `workspace.updated`. */
  action: string;
  target: { type: string; id?: string | null };
  /** Usually from `auditDiff(before, after)`; redacted again here, so nothing secret slips through. */
  diff?: AuditDiff | Record<string, unknown>;
}

/**
 * Record one audit entry. Pass the transaction the change itself runs in, so the entry
 * exists exactly when the change does.
 */
export async function recordAudit(db: DbTx, input: AuditInput): Promise<void> {
  await db.auditLogEntry.create({
    data: {
      workspaceId: input.workspaceId,
      actorId: input.actor.userId,
      actorLabel: input.actor.label,
      action: input.action,
      targetType: input.target.type,
      targetId: input.target.id ?? null,
      diff: input.diff ? (redactSecrets(input.diff) as Prisma.InputJsonValue) : undefined,
    },
  });
}

export interface AuditQuery {
  workspaceId: string;
  action?: string;
  actorId?: string;
  targetType?: string;
  from?: Date;
  to?: Date;
  /** Where the previous page ended (its `nextCursor`, decoded: ZTextCursor). */
  cursor?: Keyset | null;
  limit: number;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listAudit(db: DbTx, q: AuditQuery) {
  const after = q.cursor ?? null;
  const rows = await db.auditLogEntry.findMany({
    where: {
      workspaceId: q.workspaceId,
      ...(q.action ? { action: q.action } : {}),
      ...(q.actorId ? { actorId: q.actorId } : {}),
      ...(q.targetType ? { targetType: q.targetType } : {}),
      ...(q.from || q.to ? { createdAt: { gte: q.from, lt: q.to } } : {}),
      ...(after
        ? {
            OR: [
              { createdAt: { lt: after.at } },
              { createdAt: after.at, id: { lt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  const targets = await describeTargets(db, q.workspaceId, page);
  return {
    entries: page.map((entry, i) => ({ ...entry, target: targets[i]! })),
    nextCursor: rows.length > q.limit && last ? encodeKeyset(last.createdAt, last.id) : null,
  };
}

/** Distinct actions and actors seen in a workspace, for the filter menus. */
export async function auditFacets(db: DbTx, workspaceId: string) {
  const [actions, actors] = await Promise.all([
    db.auditLogEntry.findMany({
      where: { workspaceId },
      distinct: ["action"],
      select: { action: true },
      orderBy: { action: "asc" },
    }),
    db.auditLogEntry.findMany({
      where: { workspaceId, actorId: { not: null } },
      distinct: ["actorId"],
      select: { actorId: true, actorLabel: true },
      orderBy: { actorId: "asc" },
    }),
  ]);
  return {
    actions: actions.map((a) => a.action),
    actors: actors.flatMap((a) => (a.actorId ? [{ id: a.actorId, label: a.actorLabel }] : [])),
  };
}
