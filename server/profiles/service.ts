import type { Db, DbTx } from "../db/client";
import type { Prisma } from "../generated/prisma/client";

export const PROFILE_SELECT = {
  id: true,
  userId: true,
  traits: true,
  email: true,
  phone: true,
  timezone: true,
  locale: true,
  country: true,
  bucket: true,
  firstSeenAt: true,
  lastSeenAt: true,
  identities: { select: { kind: true, value: true }, orderBy: [{ kind: "asc" }, { createdAt: "asc" }] },
} satisfies Prisma.ProfileSelect;

/** A profile by any of its ids: user id first, then anonymous id. */
export async function findProfileById(db: DbTx, workspaceId: string, id: string) {
  const identity =
    (await db.profileIdentity.findUnique({ where: { workspaceId_kind_value: { workspaceId, kind: "user_id", value: id } } })) ??
    (await db.profileIdentity.findUnique({ where: { workspaceId_kind_value: { workspaceId, kind: "anonymous_id", value: id } } }));
  if (!identity) return null;
  return db.profile.findUnique({ where: { id: identity.profileId }, select: PROFILE_SELECT });
}

export interface EventCursor {
  timestamp: Date;
  id: bigint;
}

export function encodeEventCursor(c: EventCursor): string {
  return Buffer.from(`${c.timestamp.toISOString()}|${c.id}`).toString("base64url");
}

export function decodeEventCursor(raw: string): EventCursor | null {
  const [iso, id] = Buffer.from(raw, "base64url").toString("utf8").split("|");
  const timestamp = new Date(iso ?? "");
  if (!id || !/^\d+$/.test(id) || Number.isNaN(timestamp.getTime())) return null;
  return { timestamp, id: BigInt(id) };
}

/** A profile's events, newest first, keyset-paginated on (timestamp, id). */
export async function listProfileEvents(
  db: Db,
  input: { profileId: string; limit: number; before?: EventCursor | null; name?: string | null },
) {
  const rows = await db.event.findMany({
    where: {
      profileId: input.profileId,
      ...(input.name ? { name: input.name } : {}),
      ...(input.before
        ? {
            OR: [
              { timestamp: { lt: input.before.timestamp } },
              { timestamp: input.before.timestamp, id: { lt: input.before.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ timestamp: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    select: { id: true, messageId: true, type: true, name: true, properties: true, context: true, timestamp: true, receivedAt: true },
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { events: page, nextCursor: rows.length > input.limit && last ? encodeEventCursor(last) : null };
}
