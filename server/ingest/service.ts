import { createHash, randomUUID } from "node:crypto";
import { sql as poolSql, sqlTransaction, type Db, type Sql } from "@/server/db/client";
import { eventTime, type Message } from "@/lib/ingest/schema";
import { mergeTraits, profileFields, type ProfileFields, type Traits } from "@/lib/ingest/profile";
import { bucketOf } from "@/lib/profiles/bucket";
import { isInputFault, isUniqueViolation } from "@/server/db/errors";
import { randomShard } from "@/server/workspaces/data-version";
import { deviceChangeOf, storedDeviceProperties, type DeviceChangeResult, type DeviceOp } from "@/lib/channels/devices";
import { writeDeviceChanges } from "@/server/devices/service";
import { savepoint } from "@/server/feed/consumer";
import { announceFeed, appendFeed } from "@/server/feed/feed";
import { lockMembership, moveMemberships } from "@/server/segments/membership";

/**
 * Stores one message exactly once and applies it to the person it is about:
 * resolve (or create) the profile from its ids, merge anonymous activity into the known
 * profile on identify/alias, update traits and built-ins, and insert the event — all in one
 * transaction, serialised per identity so concurrent requests never create two profiles.
 */

/** Not stored, for a reason that is the message's own: the client gets it as a per-message error. */
export interface Refused {
  refused: string;
}
export type IngestOutcome = "stored" | "duplicate" | "suppressed" | Refused;
type Kind = "user_id" | "anonymous_id";

export const isRefused = (value: unknown): value is Refused => typeof value === "object" && value !== null && "refused" in value;

/** The database refused the value itself (isInputFault): the message's fault, never retried. */
const UNSTORABLE: Refused = { refused: "contains a value the database cannot store" };

interface ProfileRow extends ProfileFields {
  id: string;
  userId: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** Profiles a transaction created (+1) and merged away (−1): its part of the workspace's profile count. */
interface Tally {
  profiles: number;
}

class DuplicateMessage extends Error {}
/** A message id of the batch was stored by a concurrent request meanwhile: do the batch again. */
class ConcurrentDuplicate extends Error {}

/** Suppression records keep only a hash of the deleted person's ids. */
export function suppressionHash(id: string): string {
  return createHash("sha256").update(`junction-suppression:${id}`).digest("hex");
}

function idsOf(message: Message): string[] {
  const ids = [message.userId, message.anonymousId];
  if (message.type === "alias") ids.push(message.previousId);
  return ids.filter((v): v is string => Boolean(v));
}

/**
 * The advisory locks that serialise work on these identities (`kind:value` keys) — one
 * 64-bit number per key, from a hash — sorted, so that two transactions always take them
 * in the same order and never deadlock.
 */
function identityLocks(workspaceId: string, keys: string[]): bigint[] {
  return [...new Set(keys)]
    .map((key) => createHash("sha256").update(`${workspaceId}:${key}`).digest().readBigInt64BE(0))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function findByIdentity(tx: Sql, workspaceId: string, kind: Kind, value: string): Promise<ProfileRow | null> {
  const rows = await tx.query<ProfileRow>`
    SELECT p.id, p.user_id AS "userId", p.traits, p.email, p.phone, p.timezone, p.locale, p.country,
           p.first_seen_at AS "firstSeenAt", p.last_seen_at AS "lastSeenAt"
      FROM profile_identities i JOIN profiles p ON p.id = i.profile_id
     WHERE i.workspace_id = ${workspaceId} AND i.kind = ${kind}::identity_kind AND i.value = ${value}`;
  return rows[0] ?? null;
}

async function addIdentity(tx: Sql, workspaceId: string, profileId: string, kind: Kind, value: string) {
  await tx.execute`
    INSERT INTO profile_identities (workspace_id, kind, value, profile_id)
    VALUES (${workspaceId}, ${kind}::identity_kind, ${value}, ${profileId})
    ON CONFLICT (workspace_id, kind, value) DO UPDATE SET profile_id = EXCLUDED.profile_id`;
}

async function createProfile(tx: Sql, workspaceId: string, userId: string | null, at: Date, tally: Tally): Promise<ProfileRow> {
  const id = randomUUID();
  tally.profiles += 1;
  await tx.execute`
    INSERT INTO profiles (id, workspace_id, user_id, bucket, first_seen_at, last_seen_at, updated_at)
    VALUES (${id}, ${workspaceId}, ${userId}, ${bucketOf(id)}, ${at}, ${at}, now())`;
  if (userId) await addIdentity(tx, workspaceId, id, "user_id", userId);
  return { id, userId, traits: {}, email: null, phone: null, timezone: null, locale: null, country: null, firstSeenAt: at, lastSeenAt: at };
}

/**
 * Moves everything of the anonymous `from` into `into` and deletes `from`: events,
 * identities, every trait (`into`'s win on conflict), built-ins `into` lacks, the earliest
 * first-seen and the latest last-seen, consent — the history of answers, and per group
 * the later of the two answers — what was sent to them: push devices, in-app messages
 * and the delivery log — and their journey enrollments (where both are inside the same
 * journey for the same correlation key, `into`'s stays and `from`'s ends, exited with
 * reason "merged": a person is active once per journey and key) — and their saved-segment
 * memberships and history (server/segments/membership.ts moveMemberships; a "merge" row on
 * the change feed has the merged person decided again). Only ever called with
 * `from` anonymous (no user id): two known people are never merged (see resolveProfile).
 */
async function mergeProfiles(tx: Sql, workspaceId: string, from: ProfileRow, into: ProfileRow, tally: Tally): Promise<ProfileRow> {
  // Before anything of theirs changes: no segment decision about these two may interleave.
  await lockMembership(tx);
  tally.profiles -= 1;
  const merged: ProfileRow = {
    ...into,
    traits: mergeTraits(from.traits as Traits, into.traits as Traits),
    email: into.email ?? from.email,
    phone: into.phone ?? from.phone,
    timezone: into.timezone ?? from.timezone,
    locale: into.locale ?? from.locale,
    country: into.country ?? from.country,
    firstSeenAt: from.firstSeenAt < into.firstSeenAt ? from.firstSeenAt : into.firstSeenAt,
    lastSeenAt: from.lastSeenAt > into.lastSeenAt ? from.lastSeenAt : into.lastSeenAt,
  };
  await tx.execute`UPDATE events SET profile_id = ${into.id} WHERE profile_id = ${from.id}`;
  await tx.execute`UPDATE profile_identities SET profile_id = ${into.id} WHERE profile_id = ${from.id}`;
  await tx.execute`UPDATE consent_records SET profile_id = ${into.id} WHERE profile_id = ${from.id}`;
  await tx.execute`UPDATE devices SET profile_id = ${into.id} WHERE profile_id = ${from.id}`;
  await tx.execute`UPDATE in_app_messages SET profile_id = ${into.id} WHERE profile_id = ${from.id}`;
  await tx.execute`UPDATE deliveries SET profile_id = ${into.id} WHERE profile_id = ${from.id}`;
  await moveEnrollments(tx, from.id, into.id);
  // Re-entry rules remember both: the earliest first entry, the latest last one.
  await tx.execute`
    INSERT INTO journey_entries (journey_id, profile_id, correlation_key, first_entered_at, last_entered_at, entries)
    SELECT journey_id, ${into.id}, correlation_key, first_entered_at, last_entered_at, entries FROM journey_entries WHERE profile_id = ${from.id}
    ON CONFLICT (journey_id, profile_id, correlation_key) DO UPDATE
       SET first_entered_at = LEAST(journey_entries.first_entered_at, EXCLUDED.first_entered_at),
           last_entered_at = GREATEST(journey_entries.last_entered_at, EXCLUDED.last_entered_at),
           entries = journey_entries.entries + EXCLUDED.entries`;
  await tx.execute`DELETE FROM journey_entries WHERE profile_id = ${from.id}`;
  await moveMemberships(tx, { workspaceId, from: from.id, into: into.id, at: new Date() });
  // The segment consumer re-decides the merged person (cause "merge"): the right exits follow.
  await appendFeed(tx, [{ workspaceId, kind: "merge", profileIds: [into.id], payload: { from: from.id, into: into.id } }]);
  await tx.execute`
    INSERT INTO subscription_states (profile_id, group_id, subscribed, updated_at)
    SELECT ${into.id}, group_id, subscribed, updated_at FROM subscription_states WHERE profile_id = ${from.id}
    ON CONFLICT (profile_id, group_id) DO UPDATE SET subscribed = EXCLUDED.subscribed, updated_at = EXCLUDED.updated_at
      WHERE subscription_states.updated_at < EXCLUDED.updated_at`;
  await tx.execute`DELETE FROM profiles WHERE id = ${from.id}`;
  await tx.execute`
    UPDATE profiles
       SET traits = ${JSON.stringify(merged.traits)}::jsonb, email = ${merged.email}, phone = ${merged.phone},
           timezone = ${merged.timezone}, locale = ${merged.locale}, country = ${merged.country},
           first_seen_at = ${merged.firstSeenAt}, last_seen_at = ${merged.lastSeenAt}, updated_at = now()
     WHERE id = ${into.id}`;
  return merged;
}

/**
 * `from`'s journey enrollments become `into`'s; where both are active in the same journey
 * for the same key, `from`'s ends (exited, "merged"). An enrollment of `into` being made
 * right now (the journeys consumer) is not seen by the check, and moving `from`'s active one
 * then waits for it on the unique index and fails when it commits: the move is undone and
 * made again, now seeing it. Locking the people's rows first instead would make the merge
 * wait for whole consumer steps while it holds the segments lock, and could deadlock with them.
 */
async function moveEnrollments(tx: Sql, from: string, into: string) {
  const move = async () => {
    await tx.execute`
      UPDATE journey_enrollments f
         SET status = 'exited', exit_reason = 'merged', node_id = NULL, ended_at = now(), updated_at = now()
       WHERE f.profile_id = ${from} AND f.status = 'active'
         AND EXISTS (SELECT 1 FROM journey_enrollments i
                      WHERE i.profile_id = ${into} AND i.journey_id = f.journey_id
                        AND i.correlation_key = f.correlation_key AND i.status = 'active')`;
    await tx.execute`UPDATE journey_enrollments SET profile_id = ${into} WHERE profile_id = ${from}`;
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await savepoint(tx, move);
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 3) throw error;
    }
  }
}

const NEVER_MERGE_KNOWN: Refused = {
  refused:
    "previousId: belongs to a known person (a profile with a userId); Junction never merges two known people or gives one a new userId. Send messages about them with their own userId.",
};

/**
 * The profile a message is about, after the identity work it implies (create, attach an
 * id, merge anonymous activity into a known person), or why the message is refused.
 * `at` is when it happened on the server's clock (never later than received).
 */
async function resolveProfile(tx: Sql, workspaceId: string, message: Message, at: Date, tally: Tally): Promise<ProfileRow | Refused> {
  if (message.type === "alias") {
    const { userId, previousId } = message;
    const known = await findByIdentity(tx, workspaceId, "user_id", userId);
    const previous =
      (await findByIdentity(tx, workspaceId, "user_id", previousId)) ??
      (await findByIdentity(tx, workspaceId, "anonymous_id", previousId));
    // A write key is public (it ships in web pages): merging or renaming known people with
    // it would let anyone take over someone's profile. Only anonymous activity moves.
    if (previous && previous.userId !== null && previous.id !== known?.id) return NEVER_MERGE_KNOWN;
    if (known && previous && known.id !== previous.id) return mergeProfiles(tx, workspaceId, previous, known, tally);
    if (known) {
      if (!previous) await addIdentity(tx, workspaceId, known.id, "anonymous_id", previousId);
      return known;
    }
    if (previous) {
      await tx.execute`UPDATE profiles SET user_id = ${userId} WHERE id = ${previous.id}`;
      await addIdentity(tx, workspaceId, previous.id, "user_id", userId);
      return { ...previous, userId };
    }
    const created = await createProfile(tx, workspaceId, userId, at, tally);
    await addIdentity(tx, workspaceId, created.id, "anonymous_id", previousId);
    return created;
  }

  const { userId, anonymousId } = message;
  const anonymous = anonymousId ? await findByIdentity(tx, workspaceId, "anonymous_id", anonymousId) : null;
  if (!userId) {
    if (anonymous) return anonymous;
    const created = await createProfile(tx, workspaceId, null, at, tally);
    await addIdentity(tx, workspaceId, created.id, "anonymous_id", anonymousId!);
    return created;
  }
  const known = await findByIdentity(tx, workspaceId, "user_id", userId);
  if (known) {
    if (anonymous && anonymous.id !== known.id && anonymous.userId === null) return mergeProfiles(tx, workspaceId, anonymous, known, tally);
    if (anonymousId && !anonymous) await addIdentity(tx, workspaceId, known.id, "anonymous_id", anonymousId);
    return known;
  }
  if (anonymous && anonymous.userId === null) {
    // The anonymous visitor turns out to be this user: the profile becomes known.
    await tx.execute`UPDATE profiles SET user_id = ${userId} WHERE id = ${anonymous.id}`;
    await addIdentity(tx, workspaceId, anonymous.id, "user_id", userId);
    return { ...anonymous, userId };
  }
  const created = await createProfile(tx, workspaceId, userId, at, tally);
  if (anonymousId && !anonymous) await addIdentity(tx, workspaceId, created.id, "anonymous_id", anonymousId);
  return created;
}

/**
 * What one message does to a profile: identify merges traits; built-ins and seen times
 * follow. Seen times are `seenAt`: when it happened, but never later than we received it.
 */
function applyMessage(profile: ProfileRow, message: Message, seenAt: Date): ProfileRow {
  const traits = message.type === "identify" ? mergeTraits(profile.traits as Traits, message.traits) : (profile.traits as Traits);
  return {
    ...profile,
    ...profileFields(traits, message.context, profile),
    firstSeenAt: seenAt < profile.firstSeenAt ? seenAt : profile.firstSeenAt,
    lastSeenAt: seenAt > profile.lastSeenAt ? seenAt : profile.lastSeenAt,
  };
}

/** The event row's name and properties. A device event keeps no credentials (storedDeviceProperties). */
function eventColumns(message: Message, device: DeviceChangeResult | null): { name: string | null; properties: Record<string, unknown> } {
  switch (message.type) {
    case "track":
      return { name: message.event, properties: device?.ok ? storedDeviceProperties(message.properties, device.change) : message.properties };
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

function pendingOf(index: number, message: Message, messageId: string, receivedAt: Date): Pending {
  const at = eventTime(message, receivedAt);
  return { index, message: { ...message, messageId }, messageId, at, seenAt: at > receivedAt ? receivedAt : at, receivedAt, device: deviceChangeOf(message) };
}

/** The device changes of stored rows, in message order (lib/channels/devices.ts). */
function deviceOpsOf(rows: EventRow[]): DeviceOp[] {
  return rows.flatMap((r) => (r.device?.ok ? [{ profileId: r.profile.id, change: r.device.change, at: r.seenAt }] : []));
}

/** One message, one transaction (CSV import, and each message when a batch cannot be stored whole). */
export async function ingestMessage(
  db: Db,
  input: { workspaceId: string; message: Message; receivedAt: Date },
): Promise<IngestOutcome> {
  const { workspaceId, message, receivedAt } = input;
  const messageId = message.messageId ?? `junction-${randomUUID()}`;
  const ids = idsOf(message);

  const pending = pendingOf(0, message, messageId, receivedAt);
  // Validation refuses these; a caller that did not validate gets the same answer.
  if (pending.device && !pending.device.ok) return { refused: pending.device.error };
  try {
    const { suppressed } = await lookup(poolSql(db), workspaceId, [], ids.map(suppressionHash));
    if (suppressed.size > 0) return "suppressed";

    const outcome = await sqlTransaction(
      db,
      async (tx) => {
        const tally: Tally = { profiles: 0 };
        const profile = await resolveProfile(tx, workspaceId, pending.message, pending.seenAt, tally);
        if (isRefused(profile)) return profile;
        const rows = [{ ...pending, profile, ...eventColumns(pending.message, pending.device) }];
        const inserted = await writeBatch(tx, workspaceId, rows, profileStates(rows), tally);
        // Stored before (a retry): undo everything this copy did, a new profile included.
        if (inserted.size === 0) throw new DuplicateMessage();
        await writeDeviceChanges(tx, workspaceId, deviceOpsOf(rows));
        await appendFeed(tx, [eventsFeedEntry(workspaceId, rows, inserted)]);
        return "stored" as const;
      },
      { advisoryLocks: identityLocks(workspaceId, identityKeysOf(message)) },
    );
    if (outcome === "stored") announceFeed(db);
    return outcome;
  } catch (error) {
    if (error instanceof DuplicateMessage) return "duplicate";
    if (isInputFault(error)) return UNSTORABLE;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// Batches: the same rules as ingestMessage, in a handful of queries per batch.

/** A validated message and when we received it. */
export interface Incoming {
  message: Message;
  receivedAt: Date;
}

interface Pending {
  index: number;
  message: Message & { messageId: string };
  messageId: string;
  /** When it happened, on the server's clock (eventTime). */
  at: Date;
  /** `at`, but never later than received: what the profile's seen times follow. */
  seenAt: Date;
  receivedAt: Date;
  /** A device event's change (or why it is refused); null for every other message. */
  device: DeviceChangeResult | null;
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

/**
 * One round trip: the profiles these identity keys resolve to, which of these id hashes are
 * suppressed, and which of these message ids are stored already.
 */
async function lookup(tx: Sql, workspaceId: string, keys: string[], hashes: string[] = [], messageIds: string[] = []) {
  const kinds = keys.map((k) => k.slice(0, k.indexOf(":")));
  const values = keys.map((k) => k.slice(k.indexOf(":") + 1));
  const rows = await tx.query<ProfileRow & { src: "p" | "s" | "m"; key: string }>`
    SELECT 'p' AS src, i.kind::text || ':' || i.value AS key,
           p.id, p.user_id AS "userId", p.traits, p.email, p.phone, p.timezone, p.locale, p.country,
           p.first_seen_at AS "firstSeenAt", p.last_seen_at AS "lastSeenAt"
      FROM unnest(${kinds}::text[], ${values}::text[]) AS k(kind, value)
      -- LATERAL … LIMIT 1: one primary-key probe per id, never a scan of the workspace's
      -- identities, whatever the planner's statistics say.
      CROSS JOIN LATERAL (
        SELECT i.kind, i.value, i.profile_id FROM profile_identities i
         WHERE i.workspace_id = ${workspaceId} AND i.kind = k.kind::identity_kind AND i.value = k.value LIMIT 1) i
      JOIN profiles p ON p.id = i.profile_id
    UNION ALL
    SELECT 's', id_hash, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM suppressions WHERE workspace_id = ${workspaceId} AND id_hash = ANY(${hashes}::text[])
    UNION ALL
    SELECT 'm', e.message_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM unnest(${messageIds}::text[]) AS q(message_id)
      -- A probe of the unique (workspace_id, message_id) index per id.
      CROSS JOIN LATERAL (
        SELECT e.message_id FROM events e WHERE e.workspace_id = ${workspaceId} AND e.message_id = q.message_id LIMIT 1) e`;
  const profiles = new Map<string, ProfileRow>();
  const suppressed = new Set<string>();
  const stored = new Set<string>();
  for (const { src, key, ...profile } of rows) {
    if (src === "p") profiles.set(key, profile);
    else if (src === "s") suppressed.add(key);
    else stored.add(key);
  }
  return { profiles, suppressed, stored };
}

/** Needs identity work (create, attach, merge) before its event can be stored. */
function needsResolution(message: Message, known: Map<string, ProfileRow>): boolean {
  if (message.type === "alias") return true;
  const user = message.userId ? known.get(`user_id:${message.userId}`) : undefined;
  const anonymous = message.anonymousId ? known.get(`anonymous_id:${message.anonymousId}`) : undefined;
  if (message.userId && message.anonymousId) return !user || !anonymous || user.id !== anonymous.id;
  return !(user ?? anonymous);
}

interface EventRow extends Pending {
  profile: ProfileRow;
  name: string | null;
  properties: Record<string, unknown>;
}

/** Each profile after its events, applied in message order. */
function profileStates(rows: EventRow[]): ProfileRow[] {
  const states = new Map<string, ProfileRow>();
  for (const r of rows) states.set(r.profile.id, applyMessage(states.get(r.profile.id) ?? r.profile, r.message, r.seenAt));
  return [...states.values()];
}

/**
 * Inserts the events (a message id stored before is skipped) and, when all of them were
 * inserted, updates the profiles and adds the change to the workspace's data version
 * (server/workspaces/data-version.ts), in one statement. Returns the message ids inserted (with their event ids);
 * fewer than `rows` means the caller's transaction must not commit (a duplicate). The
 * unique index arbitrates duplicates: no lookup whose plan could go wrong on a table that
 * grew since it was last analysed.
 */
async function writeBatch(tx: Sql, workspaceId: string, rows: EventRow[], states: ProfileRow[], tally: Tally) {
  const expected = rows.length;
  // The events travel as one JSON document: one JSON.stringify here, one parse in Postgres,
  // and properties and context arrive as jsonb without a second parse.
  const events = rows.map((r) => ({
    profile_id: r.profile.id,
    message_id: r.messageId,
    type: r.message.type,
    name: r.name,
    properties: r.properties,
    context: r.message.context,
    timestamp: r.at,
    received_at: r.receivedAt,
    sent_at: r.message.sentAt ?? null,
  }));
  const s = states;
  const inserted = await tx.query<{ message_id: string; id: string }>`
    WITH inserted AS (
      INSERT INTO events (workspace_id, profile_id, message_id, type, name, properties, context, timestamp, received_at, sent_at)
      SELECT ${workspaceId}::text, e.profile_id, e.message_id, e.type, e.name, e.properties, e.context, e.timestamp, e.received_at, e.sent_at
        FROM jsonb_to_recordset(${JSON.stringify(events)}::jsonb)
             AS e(profile_id text, message_id text, type text, name text, properties jsonb, context jsonb,
                  timestamp timestamptz, received_at timestamptz, sent_at timestamptz)
      ON CONFLICT (workspace_id, message_id) DO NOTHING
      RETURNING message_id, id),
    updated AS (
      UPDATE profiles AS p
         SET traits = u.traits, email = u.email, phone = u.phone, timezone = u.timezone, locale = u.locale,
             country = u.country, first_seen_at = u.first_seen_at, last_seen_at = u.last_seen_at, updated_at = now()
        -- Arrays, not a JSON document: unnest() is estimated at 10 rows, so the join is
        -- always a primary-key probe per profile, even before the table was ever analysed.
        FROM unnest(${s.map((x) => x.id)}::text[], ${s.map((x) => JSON.stringify(x.traits))}::jsonb[],
                    ${s.map((x) => x.email)}::text[], ${s.map((x) => x.phone)}::text[], ${s.map((x) => x.timezone)}::text[],
                    ${s.map((x) => x.locale)}::text[], ${s.map((x) => x.country)}::text[],
                    ${s.map((x) => x.firstSeenAt.toISOString())}::timestamptz[], ${s.map((x) => x.lastSeenAt.toISOString())}::timestamptz[])
             AS u(id, traits, email, phone, timezone, locale, country, first_seen_at, last_seen_at)
       WHERE p.id = u.id AND (SELECT count(*) FROM inserted) = ${expected}::int
      RETURNING 1),
    versioned AS (
      INSERT INTO workspace_data_versions (workspace_id, shard, changes, profiles)
      SELECT ${workspaceId}::text, ${randomShard()}::int, ${expected}::bigint, ${tally.profiles}::bigint
       WHERE (SELECT count(*) FROM inserted) = ${expected}::int AND ${expected}::int > 0
      ON CONFLICT (workspace_id, shard) DO UPDATE
        SET changes = workspace_data_versions.changes + EXCLUDED.changes, profiles = workspace_data_versions.profiles + EXCLUDED.profiles
      RETURNING 1)
    SELECT message_id, id::text FROM inserted`;
  return new Map(inserted.map((r) => [r.message_id, r.id]));
}

/** A batch's transaction is done again this many times when concurrent requests stored some of its message ids meanwhile. */
const CONCURRENT_ATTEMPTS = 3;

/**
 * Stores a batch of validated messages. Outcome per message, in order. Identity work runs
 * first, in message order (so the identity graph is what one-by-one processing gives);
 * then traits, seen times and events are applied in message order and written in bulk.
 * If the bulk transaction fails, each message is stored on its own, so one message the
 * database refuses never takes the others down (it is Refused; a database that is down
 * still throws).
 */
export async function ingestBatch(
  db: Db,
  input: { workspaceId: string; items: Incoming[] },
): Promise<IngestOutcome[]> {
  const { workspaceId } = input;
  const messages = input.items.map((item) => item.message);
  const ids = messages.map((m) => m.messageId ?? `junction-${randomUUID()}`);

  const hashOf = new Map(messages.flatMap(idsOf).map((id) => [id, suppressionHash(id)]));
  const repeated = new Set<number>();
  const candidates: Pending[] = [];
  const seen = new Set<string>();
  messages.forEach((message, i) => {
    const messageId = ids[i]!;
    if (seen.has(messageId)) repeated.add(i);
    else {
      seen.add(messageId);
      candidates.push(pendingOf(i, message, messageId, input.items[i]!.receivedAt));
    }
  });
  const keys = [...new Set(candidates.flatMap((p) => identityKeysOf(p.message)))].sort();

  for (let attempt = 1; attempt <= CONCURRENT_ATTEMPTS; attempt++) {
    try {
      const outcomes = await sqlTransaction(db, (tx) => storeBatch(tx, { workspaceId, messages, candidates, repeated, keys, hashOf }), {
        advisoryLocks: identityLocks(workspaceId, keys),
      });
      if (outcomes.includes("stored")) announceFeed(db);
      return outcomes;
    } catch (error) {
      if (error instanceof ConcurrentDuplicate && attempt < CONCURRENT_ATTEMPTS) continue;
      console.warn("bulk ingest failed, storing messages one by one:", error instanceof Error ? error.message : error);
      break;
    }
  }
  const outcomes: IngestOutcome[] = [];
  for (const [i, message] of messages.entries()) {
    outcomes.push(repeated.has(i) ? "duplicate" : await ingestMessage(db, { workspaceId, message: { ...message, messageId: ids[i] }, receivedAt: input.items[i]!.receivedAt }));
  }
  return outcomes;
}

/** ingestBatch's transaction: serialised on every identity of the batch (the locks come with BEGIN). */
async function storeBatch(
  tx: Sql,
  input: { workspaceId: string; messages: Message[]; candidates: Pending[]; repeated: Set<number>; keys: string[]; hashOf: Map<string, string> },
): Promise<IngestOutcome[]> {
  const { workspaceId, messages, candidates, keys, hashOf } = input;
  const outcomes: IngestOutcome[] = messages.map((_, i) => (input.repeated.has(i) ? "duplicate" : "stored"));
  // In one round trip: their profiles, suppressions and message ids stored before. A retry
  // of a message needs the same locks, so it waits for us and then finds its id taken.
  const found = await lookup(tx, workspaceId, keys, [...new Set(hashOf.values())], candidates.map((p) => p.messageId));
  let resolved = found.profiles;
  for (const p of candidates) {
    if (found.stored.has(p.messageId)) outcomes[p.index] = "duplicate";
    else if (idsOf(p.message).some((id) => found.suppressed.has(hashOf.get(id)!))) outcomes[p.index] = "suppressed";
    else if (p.device && !p.device.ok) outcomes[p.index] = { refused: p.device.error };
  }
  let pending = candidates.filter((p) => outcomes[p.index] === "stored");
  if (pending.length === 0) return outcomes;

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
  const tally: Tally = { profiles: fresh.length };
  if (fresh.length > 0) {
    const created = fresh.map((p) => ({ id: randomUUID(), userId: p.message.userId ?? null, at: p.seenAt.toISOString(), keys: identityKeysOf(p.message) }));
    await tx.execute`
      INSERT INTO profiles (id, workspace_id, user_id, bucket, first_seen_at, last_seen_at, updated_at)
      SELECT u.id, ${workspaceId}::text, u.user_id, u.bucket, u.at::timestamptz, u.at::timestamptz, now()
        FROM unnest(${created.map((c) => c.id)}::text[], ${created.map((c) => c.userId)}::text[],
                    ${created.map((c) => bucketOf(c.id))}::int[], ${created.map((c) => c.at)}::text[]) AS u(id, user_id, bucket, at)`;
    const identities = created.flatMap((c) => c.keys.map((k) => ({ profileId: c.id, kind: k.slice(0, k.indexOf(":")), value: k.slice(k.indexOf(":") + 1) })));
    await tx.execute`
      INSERT INTO profile_identities (workspace_id, kind, value, profile_id)
      SELECT ${workspaceId}::text, u.kind::identity_kind, u.value, u.profile_id
        FROM unnest(${identities.map((i) => i.kind)}::text[], ${identities.map((i) => i.value)}::text[],
                    ${identities.map((i) => i.profileId)}::text[]) AS u(kind, value, profile_id)`;
  }
  for (const p of oneByOne) {
    const outcome = await resolveProfile(tx, workspaceId, p.message, p.seenAt, tally);
    if (isRefused(outcome)) outcomes[p.index] = outcome;
  }
  pending = pending.filter((p) => outcomes[p.index] === "stored");
  if (fresh.length > 0 || oneByOne.length > 0) resolved = (await lookup(tx, workspaceId, keys)).profiles;

  // 2. The event rows, and traits, built-ins and seen times in message order, in memory.
  const rows: EventRow[] = pending.map((p) => {
    const profile = resolved.get(primaryKeyOf(p.message.type === "alias" ? { ...p.message, anonymousId: undefined } : p.message));
    if (!profile) throw new Error(`no profile for message ${p.messageId}`);
    return { ...p, profile, ...eventColumns(p.message, p.device) };
  });

  // 3. Write: the events, and the profiles if every event was new (one statement). One
  //    that is not new was stored meanwhile by a request that did not share our locks (the
  //    same message id about other people): nothing of this attempt may stay, not even the
  //    profiles it created, so the batch is done again and then finds it stored.
  const inserted = await writeBatch(tx, workspaceId, rows, profileStates(rows), tally);
  if (inserted.size < rows.length) throw new ConcurrentDuplicate();
  // 4. Push devices registered or unregistered by this batch (a handful of statements at most).
  await writeDeviceChanges(tx, workspaceId, deviceOpsOf(rows));
  // 5. The change feed: consumers (saved segments, journeys) learn of the events when this commits.
  await appendFeed(tx, [eventsFeedEntry(workspaceId, rows, inserted)]);
  return outcomes;
}

/** The feed row of stored events: their people (no lookup of identities again) and event ids. */
function eventsFeedEntry(workspaceId: string, rows: EventRow[], inserted: Map<string, string>) {
  return {
    workspaceId,
    kind: "events" as const,
    profileIds: [...new Set(rows.map((r) => r.profile.id))],
    payload: { eventIds: [...inserted.values()] },
  };
}
