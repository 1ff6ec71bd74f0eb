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

/** What one message does to a profile: identify merges traits; built-ins and seen times follow. */
function applyMessage(profile: ProfileRow, message: Message, at: Date): ProfileRow {
  const traits = message.type === "identify" ? mergeTraits(profile.traits as Traits, message.traits) : (profile.traits as Traits);
  return {
    ...profile,
    ...profileFields(traits, message.context, profile),
    firstSeenAt: at < profile.firstSeenAt ? at : profile.firstSeenAt,
    lastSeenAt: at > profile.lastSeenAt ? at : profile.lastSeenAt,
  };
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
      await lockIdentities(tx, workspaceId, identityKeysOf(message));
      const profile = await resolveProfile(tx, workspaceId, message, at);
      const { firstSeenAt, lastSeenAt, ...fields } = applyMessage(profile, message, at);
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

// ---------------------------------------------------------------------------------------
// Batches: the same rules as ingestMessage, in a handful of queries per batch.

interface Pending {
  message: Message;
  messageId: string;
  at: Date;
}

function primaryKeyOf(message: Message): string {
  return message.userId ? `user_id:${message.userId}` : `anonymous_id:${message.anonymousId}`;
}

function identityKeysOf(message: Message): string[] {
  return [
    ...(message.userId ? [`user_id:${message.userId}`] : []),
    ...(message.anonymousId ? [`anonymous_id:${message.anonymousId}`] : []),
    ...(message.type === "alias" ? [`user_id:${message.previousId}`, `anonymous_id:${message.previousId}`] : []),
  ];
}

async function profilesByIdentity(tx: DbTx, workspaceId: string, keys: string[]): Promise<Map<string, ProfileRow>> {
  const kinds = keys.map((k) => k.slice(0, k.indexOf(":")));
  const values = keys.map((k) => k.slice(k.indexOf(":") + 1));
  const rows = await tx.$queryRaw<(ProfileRow & { key: string })[]>`
    SELECT i.kind::text || ':' || i.value AS key,
           p.id, p.user_id AS "userId", p.traits, p.email, p.phone, p.timezone, p.locale, p.country,
           p.first_seen_at AS "firstSeenAt", p.last_seen_at AS "lastSeenAt"
      FROM unnest(${kinds}::text[], ${values}::text[]) AS k(kind, value)
      JOIN profile_identities i ON i.workspace_id = ${workspaceId} AND i.kind = k.kind::identity_kind AND i.value = k.value
      JOIN profiles p ON p.id = i.profile_id`;
  return new Map(rows.map(({ key, ...profile }) => [key, profile]));
}

/** Needs identity work (create, attach, merge) before its event can be stored. */
function needsResolution(message: Message, known: Map<string, ProfileRow>): boolean {
  if (message.type === "alias") return true;
  const user = message.userId ? known.get(`user_id:${message.userId}`) : undefined;
  const anonymous = message.anonymousId ? known.get(`anonymous_id:${message.anonymousId}`) : undefined;
  if (message.userId && message.anonymousId) return !user || !anonymous || user.id !== anonymous.id;
  return !(user ?? anonymous);
}

/**
 * Stores a batch of validated messages. Outcome per message, in order. Identity work runs
 * first, in message order (so the identity graph is what one-by-one processing gives);
 * then traits, seen times and events are applied in message order and written in bulk.
 * If the bulk transaction fails, each message is retried on its own, so one bad message
 * never takes the others down.
 */
export async function ingestBatch(
  db: Db,
  input: { workspaceId: string; messages: Message[]; receivedAt: Date },
): Promise<IngestOutcome[]> {
  const { workspaceId, receivedAt } = input;
  const outcomes: IngestOutcome[] = new Array(input.messages.length);
  const ids = input.messages.map((m) => m.messageId ?? `junction-${randomUUID()}`);

  const hashes = [...new Set(input.messages.flatMap((m) => idsOf(m).map(suppressionHash)))];
  // One round trip: which ids are suppressed, which message ids are stored already.
  const known = await db.$queryRaw<{ kind: "s" | "m"; value: string }[]>`
    SELECT 's' AS kind, id_hash AS value FROM suppressions WHERE workspace_id = ${workspaceId} AND id_hash = ANY(${hashes}::text[])
    UNION ALL
    SELECT 'm', message_id FROM events WHERE workspace_id = ${workspaceId} AND message_id = ANY(${ids}::text[])`;
  const suppressed = new Set(known.filter((r) => r.kind === "s").map((r) => r.value));
  const existing = new Set(known.filter((r) => r.kind === "m").map((r) => r.value));

  const pending: Pending[] = [];
  const seen = new Set<string>();
  input.messages.forEach((message, i) => {
    const messageId = ids[i]!;
    if (idsOf(message).some((id) => suppressed.has(suppressionHash(id)))) outcomes[i] = "suppressed";
    else if (existing.has(messageId) || seen.has(messageId)) outcomes[i] = "duplicate";
    else {
      seen.add(messageId);
      outcomes[i] = "stored";
      pending.push({ message: { ...message, messageId }, messageId, at: eventTime(message, receivedAt) });
    }
  });
  if (pending.length === 0) return outcomes;

  try {
    const inserted = await db.$transaction(async (tx) => {
      const keys = [...new Set(pending.flatMap((p) => identityKeysOf(p.message)))].sort();
      await tx.$executeRaw`
        SELECT pg_advisory_xact_lock(hashtextextended(${workspaceId} || ':' || k, 0))
          FROM unnest(${keys}::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i`;
      let resolved = await profilesByIdentity(tx, workspaceId, keys);

      // 1. Identity work. Messages about people never seen before (and not touching anyone
      //    an earlier message of this batch touches) get their profiles created in bulk;
      //    the rest (attach, merge, alias) go one by one, in message order.
      const claimed = new Set<string>();
      const fresh: Pending[] = [];
      const oneByOne: Pending[] = [];
      for (const p of pending) {
        const messageKeys = identityKeysOf(p.message);
        const untouched = p.message.type !== "alias" && messageKeys.every((k) => !resolved.has(k) && !claimed.has(k));
        messageKeys.forEach((k) => claimed.add(k));
        if (untouched) fresh.push(p);
        else if (needsResolution(p.message, resolved)) oneByOne.push(p);
      }
      if (fresh.length > 0) {
        const created = fresh.map((p) => ({ id: randomUUID(), userId: p.message.userId ?? null, at: p.at.toISOString(), keys: identityKeysOf(p.message) }));
        await tx.$executeRaw`
          INSERT INTO profiles (id, workspace_id, user_id, bucket, first_seen_at, last_seen_at, updated_at)
          SELECT u.id, ${workspaceId}, u.user_id, u.bucket, u.at::timestamptz, u.at::timestamptz, now()
            FROM unnest(${created.map((c) => c.id)}::text[], ${created.map((c) => c.userId)}::text[],
                        ${created.map((c) => bucketOf(c.id))}::int[], ${created.map((c) => c.at)}::text[]) AS u(id, user_id, bucket, at)`;
        const identities = created.flatMap((c) => c.keys.map((k) => ({ profileId: c.id, kind: k.slice(0, k.indexOf(":")), value: k.slice(k.indexOf(":") + 1) })));
        await tx.$executeRaw`
          INSERT INTO profile_identities (workspace_id, kind, value, profile_id)
          SELECT ${workspaceId}, u.kind::identity_kind, u.value, u.profile_id
            FROM unnest(${identities.map((i) => i.kind)}::text[], ${identities.map((i) => i.value)}::text[],
                        ${identities.map((i) => i.profileId)}::text[]) AS u(kind, value, profile_id)`;
      }
      for (const p of oneByOne) await resolveProfile(tx, workspaceId, p.message, p.at);
      if (fresh.length > 0 || oneByOne.length > 0) resolved = await profilesByIdentity(tx, workspaceId, keys);

      // 2. Traits, built-ins and seen times, in message order, in memory.
      const states = new Map<string, ProfileRow>();
      const rows = pending.map((p) => {
        const found = resolved.get(primaryKeyOf(p.message.type === "alias" ? { ...p.message, anonymousId: undefined } : p.message));
        if (!found) throw new Error(`no profile for message ${p.messageId}`);
        states.set(found.id, applyMessage(states.get(found.id) ?? found, p.message, p.at));
        const { name, properties } = eventColumns(p.message);
        return { profileId: found.id, ...p, name, properties };
      });

      // 3. Write.
      const s = [...states.values()];
      // One statement: the profile updates (a data-modifying CTE) and the event inserts.
      return tx.$executeRaw`
        WITH updated AS (
        UPDATE profiles AS p
           SET traits = u.traits::jsonb, email = u.email, phone = u.phone, timezone = u.timezone, locale = u.locale,
               country = u.country, first_seen_at = u.first_seen_at::timestamptz, last_seen_at = u.last_seen_at::timestamptz,
               updated_at = now()
          FROM unnest(${s.map((x) => x.id)}::text[], ${s.map((x) => JSON.stringify(x.traits))}::text[],
                      ${s.map((x) => x.email)}::text[], ${s.map((x) => x.phone)}::text[], ${s.map((x) => x.timezone)}::text[],
                      ${s.map((x) => x.locale)}::text[], ${s.map((x) => x.country)}::text[],
                      ${s.map((x) => x.firstSeenAt.toISOString())}::text[], ${s.map((x) => x.lastSeenAt.toISOString())}::text[])
               AS u(id, traits, email, phone, timezone, locale, country, first_seen_at, last_seen_at)
         WHERE p.id = u.id
        RETURNING 1)
        INSERT INTO events (workspace_id, profile_id, message_id, type, name, properties, context, timestamp, received_at, sent_at)
        SELECT ${workspaceId}, u.profile_id, u.message_id, u.type, u.name, u.properties::jsonb, u.context::jsonb,
               u.ts::timestamptz, ${receivedAt}, u.sent_at::timestamptz
          FROM unnest(${rows.map((r) => r.profileId)}::text[], ${rows.map((r) => r.messageId)}::text[],
                      ${rows.map((r) => r.message.type)}::text[], ${rows.map((r) => r.name)}::text[],
                      ${rows.map((r) => JSON.stringify(r.properties))}::text[], ${rows.map((r) => JSON.stringify(r.message.context))}::text[],
                      ${rows.map((r) => r.at.toISOString())}::text[], ${rows.map((r) => r.message.sentAt?.toISOString() ?? null)}::text[])
               AS u(profile_id, message_id, type, name, properties, context, ts, sent_at)
        ON CONFLICT (workspace_id, message_id) DO NOTHING`;
    });
    if (inserted < pending.length) {
      // Some were stored by a concurrent retry in the meantime: they count as duplicates.
      const stored = new Set(
        (await db.$queryRaw<{ message_id: string }[]>`
          SELECT message_id FROM events WHERE workspace_id = ${workspaceId} AND message_id = ANY(${pending.map((p) => p.messageId)}::text[])
            AND received_at = ${receivedAt}`).map((r) => r.message_id),
      );
      input.messages.forEach((_, i) => {
        if (outcomes[i] === "stored" && !stored.has(ids[i]!)) outcomes[i] = "duplicate";
      });
    }
    return outcomes;
  } catch (error) {
    console.warn("bulk ingest failed, storing messages one by one:", error instanceof Error ? error.message : error);
    for (const [i, message] of input.messages.entries()) {
      if (outcomes[i] !== "stored") continue;
      outcomes[i] = await ingestMessage(db, { workspaceId, message: { ...message, messageId: ids[i] }, receivedAt });
    }
    return outcomes;
  }
}
