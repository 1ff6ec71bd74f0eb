import { DomainError } from "@/server/errors";
import type { DbTx } from "@/server/db/client";
import type { Prisma } from "@/server/generated/prisma/client";
import { encodeKeyset, type Keyset } from "@/server/db/keyset";

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

/** One profile of the workspace with how many events it has (the profile page). */
export async function getProfile(db: DbTx, input: { workspaceId: string; profileId: string }) {
  const profile = await db.profile.findFirst({ where: { id: input.profileId, workspaceId: input.workspaceId }, select: PROFILE_SELECT });
  if (!profile) throw new DomainError("NOT_FOUND", "This profile does not exist (it may have been merged or deleted).");
  const eventCount = await db.event.count({ where: { profileId: profile.id } });
  return { ...profile, eventCount };
}

/**
 * A profile's events, newest first, keyset-paginated on (timestamp, id); ids as strings
 * (they are bigints). Only a profile of this workspace has any (NOT_FOUND otherwise).
 */
export async function listProfileEvents(
  db: DbTx,
  input: { workspaceId: string; profileId: string; limit: number; before?: Keyset<bigint> | null; name?: string | null },
) {
  const owned = await db.profile.count({ where: { id: input.profileId, workspaceId: input.workspaceId } });
  if (!owned) throw new DomainError("NOT_FOUND", "This profile does not exist.");
  const rows = await db.event.findMany({
    where: {
      profileId: input.profileId,
      ...(input.name ? { name: input.name } : {}),
      ...(input.before
        ? {
            OR: [
              { timestamp: { lt: input.before.at } },
              { timestamp: input.before.at, id: { lt: input.before.id } },
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
  return { events: page.map((e) => ({ ...e, id: e.id.toString() })), nextCursor: rows.length > input.limit && last ? encodeKeyset(last.timestamp, last.id) : null };
}

/** The event names of one profile with how often each occurs, most frequent first (the profile's event filter). */
export async function profileEventNames(db: DbTx, input: { workspaceId: string; profileId: string }) {
  const rows = await db.event.groupBy({
    by: ["name"],
    where: { profileId: input.profileId, workspaceId: input.workspaceId, name: { not: null } },
    _count: { _all: true },
    orderBy: { _count: { name: "desc" } },
    take: 100,
  });
  return rows.map((r) => ({ name: r.name!, count: r._count._all }));
}

/**
 * Profiles, most recently seen first, keyset-paginated. `search` matches a user id or
 * anonymous id (prefix), an email (substring) or any trait value (substring).
 */
export async function searchProfiles(
  db: DbTx,
  input: { workspaceId: string; search?: string; cursor?: Keyset | null; limit: number },
) {
  const after = input.cursor ?? null;
  const term = input.search?.trim();
  const escaped = term?.replace(/[\\%_]/g, (c) => `\\${c}`);
  const rows = await db.profile.findMany({
    where: {
      workspaceId: input.workspaceId,
      ...(escaped
        ? {
            OR: [
              // Prisma passes these into LIKE as they are: % and _ must be escaped to mean themselves.
              { identities: { some: { value: { startsWith: escaped } } } },
              { email: { contains: escaped, mode: "insensitive" } },
              { id: { in: await traitMatches(db, input.workspaceId, escaped) } },
            ],
          }
        : {}),
      ...(after
        ? { OR: [{ lastSeenAt: { lt: after.at } }, { lastSeenAt: after.at, id: { lt: after.id } }] }
        : {}),
    },
    orderBy: [{ lastSeenAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    select: {
      id: true,
      userId: true,
      email: true,
      country: true,
      traits: true,
      lastSeenAt: true,
      firstSeenAt: true,
      identities: { select: { value: true }, where: { kind: "anonymous_id" }, take: 1 },
    },
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { profiles: page, nextCursor: rows.length > input.limit && last ? encodeKeyset(last.lastSeenAt, last.id) : null };
}

async function traitMatches(db: DbTx, workspaceId: string, escapedTerm: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT p.id FROM profiles p
     WHERE p.workspace_id = ${workspaceId}
       AND EXISTS (SELECT 1 FROM jsonb_each_text(p.traits) t WHERE t.value ILIKE ${`%${escapedTerm}%`})
     LIMIT 500`;
  return rows.map((r) => r.id);
}
