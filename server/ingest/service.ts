import { createHash, randomUUID } from "node:crypto";
import type { Db, DbTx } from "../db/client";
import { eventTime, type Message } from "../../lib/ingest/schema";
import { mergeTraits, profileFields, type ProfileFields, type Traits } from "../../lib/ingest/profile";
import { bucketOf } from "../../lib/profiles/bucket";

/**
 * Stores one message exactly once and applies it to the person it is about:
 * resolve (or create) the profile from its ids, merge anonymous activity into the known
 * profile on identify/alias, update traits and built-ins, and insert the event — all in one
 * transaction, serialised per identity so concurrent requests never create two profiles.
 */

export type IngestOutcome = "stored" | "duplicate" | "suppressed";
type Kind = "user_id" | "anonymous_id";

interface ProfileRow extends ProfileFields {
  id: string;
  userId: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

class DuplicateMessage extends Error {}

/** Suppression records keep only a hash of the deleted person's ids. */
export function suppressionHash(id: string): string {
  return createHash("sha256").update(`junction-suppression:${id}`).digest("hex");
}

function idsOf(message: Message): string[] {
  const ids = [message.userId, message.anonymousId];
  if (message.type === "alias") ids.push(message.previousId);
  return ids.filter((v): v is string => Boolean(v));
}

async function lockIdentities(tx: DbTx, workspaceId: string, keys: string[]) {
  for (const key of [...new Set(keys)].sort()) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${workspaceId}:${key}`}, 0))`;
  }
}

async function findByIdentity(tx: DbTx, workspaceId: string, kind: Kind, value: string): Promise<ProfileRow | null> {
  const rows = await tx.$queryRaw<ProfileRow[]>`
    SELECT p.id, p.user_id AS "userId", p.traits, p.email, p.phone, p.timezone, p.locale, p.country,
           p.first_seen_at AS "firstSeenAt", p.last_seen_at AS "lastSeenAt"
      FROM profile_identities i JOIN profiles p ON p.id = i.profile_id
     WHERE i.workspace_id = ${workspaceId} AND i.kind = ${kind}::identity_kind AND i.value = ${value}`;
  return rows[0] ?? null;
}

async function addIdentity(tx: DbTx, workspaceId: string, profileId: string, kind: Kind, value: string) {
  await tx.$executeRaw`
    INSERT INTO profile_identities (workspace_id, kind, value, profile_id)
    VALUES (${workspaceId}, ${kind}::identity_kind, ${value}, ${profileId})
    ON CONFLICT (workspace_id, kind, value) DO UPDATE SET profile_id = EXCLUDED.profile_id`;
}

async function createProfile(tx: DbTx, workspaceId: string, userId: string | null, at: Date): Promise<ProfileRow> {
  const id = randomUUID();
  await tx.$executeRaw`
    INSERT INTO profiles (id, workspace_id, user_id, bucket, first_seen_at, last_seen_at, updated_at)
    VALUES (${id}, ${workspaceId}, ${userId}, ${bucketOf(id)}, ${at}, ${at}, now())`;
  if (userId) await addIdentity(tx, workspaceId, id, "user_id", userId);
  return { id, userId, traits: {}, email: null, phone: null, timezone: null, locale: null, country: null, firstSeenAt: at, lastSeenAt: at };
}

/** Moves everything of `from` into `into` (events, identities, traits under the known ones) and deletes `from`. */
async function mergeProfiles(tx: DbTx, from: ProfileRow, into: ProfileRow): Promise<ProfileRow> {
  await tx.$executeRaw`UPDATE events SET profile_id = ${into.id} WHERE profile_id = ${from.id}`;
  await tx.$executeRaw`UPDATE profile_identities SET profile_id = ${into.id} WHERE profile_id = ${from.id}`;
  await tx.$executeRaw`DELETE FROM profiles WHERE id = ${from.id}`;
  const traits = mergeTraits(from.traits as Traits, into.traits as Traits);
  return {
    ...into,
    traits,
    email: into.email ?? from.email,
    phone: into.phone ?? from.phone,
    timezone: into.timezone ?? from.timezone,
    locale: into.locale ?? from.locale,
    country: into.country ?? from.country,
    firstSeenAt: from.firstSeenAt < into.firstSeenAt ? from.firstSeenAt : into.firstSeenAt,
    lastSeenAt: from.lastSeenAt > into.lastSeenAt ? from.lastSeenAt : into.lastSeenAt,
  };
}

async function resolveProfile(tx: DbTx, workspaceId: string, message: Message, at: Date): Promise<ProfileRow> {
  if (message.type === "alias") {
    const { userId, previousId } = message;
    const known = await findByIdentity(tx, workspaceId, "user_id", userId);
    const previous =
      (await findByIdentity(tx, workspaceId, "user_id", previousId)) ??
      (await findByIdentity(tx, workspaceId, "anonymous_id", previousId));
    if (known && previous && known.id !== previous.id) return mergeProfiles(tx, previous, known);
    if (known) {
      if (!previous) await addIdentity(tx, workspaceId, known.id, "anonymous_id", previousId);
      return known;
    }
    if (previous) {
      await tx.$executeRaw`UPDATE profiles SET user_id = ${userId} WHERE id = ${previous.id}`;
      await addIdentity(tx, workspaceId, previous.id, "user_id", userId);
      return { ...previous, userId };
    }
    const created = await createProfile(tx, workspaceId, userId, at);
    await addIdentity(tx, workspaceId, created.id, "anonymous_id", previousId);
    return created;
  }

  const { userId, anonymousId } = message;
  const anonymous = anonymousId ? await findByIdentity(tx, workspaceId, "anonymous_id", anonymousId) : null;
  if (!userId) {
    if (anonymous) return anonymous;
    const created = await createProfile(tx, workspaceId, null, at);
    await addIdentity(tx, workspaceId, created.id, "anonymous_id", anonymousId!);
    return created;
  }
  const known = await findByIdentity(tx, workspaceId, "user_id", userId);
  if (known) {
    if (anonymous && anonymous.id !== known.id && anonymous.userId === null) return mergeProfiles(tx, anonymous, known);
    if (anonymousId && !anonymous) await addIdentity(tx, workspaceId, known.id, "anonymous_id", anonymousId);
    return known;
  }
  if (anonymous && anonymous.userId === null) {
    // The anonymous visitor turns out to be this user: the profile becomes known.
    await tx.$executeRaw`UPDATE profiles SET user_id = ${userId} WHERE id = ${anonymous.id}`;
    await addIdentity(tx, workspaceId, anonymous.id, "user_id", userId);
    return { ...anonymous, userId };
  }
  const created = await createProfile(tx, workspaceId, userId, at);
  if (anonymousId && !anonymous) await addIdentity(tx, workspaceId, created.id, "anonymous_id", anonymousId);
  return created;
}

function eventColumns(message: Message): { name: string | null; properties: Record<string, unknown> } {
  switch (message.type) {
    case "track":
      return { name: message.event, properties: message.properties };
    case "page":
    case "screen":
      return { name: message.name ?? null, properties: { ...message.properties, ...(message.category ? { category: message.category } : {}) } };
    case "identify":
      return { name: null, properties: message.traits };
    case "group":
      return { name: null, properties: { groupId: message.groupId, traits: message.traits } };
    case "alias":
      return { name: null, properties: { previousId: message.previousId } };
  }
}

export async function ingestMessage(
  db: Db,
  input: { workspaceId: string; message: Message; receivedAt: Date },
): Promise<IngestOutcome> {
  const { workspaceId, message, receivedAt } = input;
  const messageId = message.messageId ?? `junction-${randomUUID()}`;
  const ids = idsOf(message);

  const suppressed = await db.suppression.count({ where: { workspaceId, idHash: { in: ids.map(suppressionHash) } } });
  if (suppressed > 0) return "suppressed";
  if (await db.event.findUnique({ where: { workspaceId_messageId: { workspaceId, messageId } }, select: { id: true } })) {
    return "duplicate";
  }

  const at = eventTime(message, receivedAt);
  try {
    await db.$transaction(async (tx) => {
      const lockKeys = [
        ...(message.userId ? [`user_id:${message.userId}`] : []),
        ...(message.anonymousId ? [`anonymous_id:${message.anonymousId}`] : []),
        ...(message.type === "alias" ? [`user_id:${message.previousId}`, `anonymous_id:${message.previousId}`] : []),
      ];
      await lockIdentities(tx, workspaceId, lockKeys);
      const profile = await resolveProfile(tx, workspaceId, message, at);

      const traits = message.type === "identify" ? mergeTraits(profile.traits as Traits, message.traits) : (profile.traits as Traits);
      const fields = profileFields(traits, message.context, profile);
      const firstSeenAt = at < profile.firstSeenAt ? at : profile.firstSeenAt;
      const lastSeenAt = at > profile.lastSeenAt ? at : profile.lastSeenAt;
      await tx.$executeRaw`
        UPDATE profiles SET traits = ${JSON.stringify(fields.traits)}::jsonb, email = ${fields.email}, phone = ${fields.phone},
               timezone = ${fields.timezone}, locale = ${fields.locale}, country = ${fields.country},
               first_seen_at = ${firstSeenAt}, last_seen_at = ${lastSeenAt}, updated_at = now()
         WHERE id = ${profile.id}`;

      const { name, properties } = eventColumns(message);
      const inserted = await tx.$executeRaw`
        INSERT INTO events (workspace_id, profile_id, message_id, type, name, properties, context, timestamp, received_at, sent_at)
        VALUES (${workspaceId}, ${profile.id}, ${messageId}, ${message.type}, ${name}, ${JSON.stringify(properties)}::jsonb,
                ${JSON.stringify(message.context)}::jsonb, ${at}, ${receivedAt}, ${message.sentAt ?? null})
        ON CONFLICT (workspace_id, message_id) DO NOTHING`;
      // A retry raced us to it: undo everything this copy did.
      if (inserted === 0) throw new DuplicateMessage();
    });
  } catch (error) {
    if (error instanceof DuplicateMessage) return "duplicate";
    throw error;
  }
  return "stored";
}
