import { auditDiff } from "@/lib/audit/redact";
import {
  isSubscribed,
  subscribedByDefault,
  ZConsentChannel,
  type ConsentChannel,
  type ConsentSource,
  type Purpose,
  type SubscriptionChange,
  type SubscriptionGroupInput,
  type SubscriptionGroupUpdate,
  type SubscriptionMode,
} from "@/lib/consent/schema";
import { parseStoredDefinition, referencedGroups } from "@/lib/segments/schema";
import { recordAudit, type Actor } from "@/server/audit/service";
import type { Db, DbTx } from "@/server/db/client";
import { encodeKeyset, type Keyset } from "@/server/db/keyset";
import { lockWorkspace } from "@/server/db/locks";
import { DomainError } from "@/server/errors";
import { announceFeed, appendFeedPrisma } from "@/server/feed/feed";
import { dropSample } from "@/server/segments/sample";
import { bumpDataVersionPrisma } from "@/server/workspaces/data-version";
import { isUniqueViolation } from "@/server/db/errors";

/**
 * Consent: subscription groups (Settings → Subscriptions), each person's answer per group
 * (`subscription_states`; no row: the group's default by its mode) and the append-only
 * history of every answer (`consent_records`: source, wording version, time), kept for a
 * regulator. Every change of an answer writes the state, its record, the audit entry and
 * the data version in one transaction; afterwards the person's saved segments are decided
 * again (a segment may say "subscribed to …"). GDPR deletion of a person removes all of it
 * with the profile (foreign keys).
 *
 * `consentForSend` is what every send asks first.
 */

export interface GroupView {
  id: string;
  name: string;
  description: string;
  channel: ConsentChannel;
  mode: SubscriptionMode;
  purpose: Purpose;
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupWithCounts extends GroupView {
  /** People who answered: said yes / said no (everyone else has the group's default). */
  answered: { subscribed: number; unsubscribed: number };
}

type GroupRow = { id: string; name: string; description: string; channel: string; mode: string; purpose: string; createdAt: Date; updatedAt: Date };

/** A stored group for responses: text columns read as what they can mean (an unknown mode is opt-in: nobody by default). */
function view(row: GroupRow): GroupView {
  const channel = ZConsentChannel.safeParse(row.channel);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    channel: channel.success ? channel.data : "email",
    mode: row.mode === "opt_out" ? "opt_out" : "opt_in",
    purpose: row.purpose === "transactional" ? "transactional" : "marketing",
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}


const duplicateName = (name: string) => new DomainError("CONFLICT", `A subscription group named “${name}” already exists.`);

async function groupOf(db: DbTx, workspaceId: string, groupId: string): Promise<GroupRow> {
  const row = await db.subscriptionGroup.findFirst({ where: { id: groupId, workspaceId } });
  if (!row) throw new DomainError("NOT_FOUND", "This subscription group does not exist.");
  return row;
}

// ---------------------------------------------------------------------------------------
// Groups.

/** The workspace's groups by channel and name, with how many people answered each way. */
export async function listGroups(db: DbTx, workspaceId: string): Promise<GroupWithCounts[]> {
  const rows = await db.subscriptionGroup.findMany({ where: { workspaceId }, orderBy: [{ channel: "asc" }, { name: "asc" }] });
  if (rows.length === 0) return [];
  const counts = await db.subscriptionState.groupBy({ by: ["groupId", "subscribed"], where: { groupId: { in: rows.map((r) => r.id) } }, _count: { _all: true } });
  const countOf = (groupId: string, subscribed: boolean) => counts.find((c) => c.groupId === groupId && c.subscribed === subscribed)?._count._all ?? 0;
  return rows.map((r) => ({ ...view(r), answered: { subscribed: countOf(r.id, true), unsubscribed: countOf(r.id, false) } }));
}

export async function createGroup(db: Db, input: { workspaceId: string; actor: Actor; group: SubscriptionGroupInput }): Promise<GroupView> {
  const name = input.group.name.trim();
  let row: GroupRow;
  try {
    row = await db.$transaction(async (tx) => {
      if (await tx.subscriptionGroup.findFirst({ where: { workspaceId: input.workspaceId, name }, select: { id: true } })) throw duplicateName(name);
      const created = await tx.subscriptionGroup.create({ data: { workspaceId: input.workspaceId, ...input.group, name, description: input.group.description.trim() } });
      // A new opt-out group has everyone in it: definitions that name it count differently from now on.
      await bumpDataVersionPrisma(tx, input.workspaceId, { changes: 1, profiles: 0 });
      await recordAudit(tx, {
        workspaceId: input.workspaceId,
        actor: input.actor,
        action: "subscription_group.created",
        target: { type: "subscription_group", id: created.id },
        diff: auditDiff(undefined, { name: created.name, description: created.description, channel: created.channel, mode: created.mode, purpose: created.purpose }),
      });
      return created;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateName(name);
    throw error;
  }
  // The estimate's sample holds each person's groups as of its loading (server/segments/sample.ts).
  dropSample(input.workspaceId);
  return view(row);
}

/** Name, description and purpose; a group's channel and mode stay what they were (ZSubscriptionGroupUpdate says why). */
export async function updateGroup(db: Db, input: { workspaceId: string; actor: Actor; groupId: string; group: SubscriptionGroupUpdate }): Promise<GroupView> {
  const name = input.group.name.trim();
  try {
    return view(
      await db.$transaction(async (tx) => {
        const before = await groupOf(tx, input.workspaceId, input.groupId);
        if (name !== before.name && (await tx.subscriptionGroup.findFirst({ where: { workspaceId: input.workspaceId, name }, select: { id: true } }))) throw duplicateName(name);
        const after = await tx.subscriptionGroup.update({ where: { id: before.id }, data: { name, description: input.group.description.trim(), purpose: input.group.purpose } });
        const diff = auditDiff({ name: before.name, description: before.description, purpose: before.purpose }, { name: after.name, description: after.description, purpose: after.purpose });
        if (Object.keys(diff).length > 0) {
          await recordAudit(tx, { workspaceId: input.workspaceId, actor: input.actor, action: "subscription_group.updated", target: { type: "subscription_group", id: after.id }, diff });
        }
        return after;
      }),
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateName(name);
    throw error;
  }
}

/**
 * Deletes a group with everyone's answers and their history for it. Refused while a saved
 * segment (archived ones too) names it: its condition would quietly count nobody.
 */
export async function deleteGroup(db: Db, input: { workspaceId: string; actor: Actor; groupId: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    // The segment service checks references under the same lock: nobody starts using it meanwhile.
    await lockWorkspace(tx, input.workspaceId, "segment-references");
    const group = await groupOf(tx, input.workspaceId, input.groupId);
    const users = await segmentsUsingGroup(tx, input.workspaceId, group.id);
    if (users.length > 0) {
      throw new DomainError("CONFLICT", `“${group.name}” is used by the segment${users.length === 1 ? "" : "s"} ${users.map((s) => `“${s.name}”`).join(", ")}. Change ${users.length === 1 ? "it" : "them"} first.`);
    }
    const answers = await tx.subscriptionState.count({ where: { groupId: group.id } });
    const records = await tx.consentRecord.count({ where: { groupId: group.id } });
    await tx.subscriptionGroup.delete({ where: { id: group.id } });
    await bumpDataVersionPrisma(tx, input.workspaceId, { changes: 1 + answers, profiles: 0 });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "subscription_group.deleted",
      target: { type: "subscription_group", id: group.id },
      diff: { ...auditDiff({ name: group.name, channel: group.channel, mode: group.mode, purpose: group.purpose }, undefined), answers: { from: answers }, consent_records: { from: records } },
    });
  });
  dropSample(input.workspaceId);
}

/** Segments whose definitions name the group. */
export async function segmentsUsingGroup(db: DbTx, workspaceId: string, groupId: string): Promise<{ id: string; name: string }[]> {
  const segments = await db.segment.findMany({ where: { workspaceId }, select: { id: true, name: true, definition: true } });
  return segments.filter((s) => referencedGroups(parseStoredDefinition(s.definition)).includes(groupId)).map(({ id, name }) => ({ id, name }));
}

// ---------------------------------------------------------------------------------------
// One person's answers.

export interface ConsentState {
  group: GroupView;
  subscribed: boolean;
  /** False: the person never answered and the group's default applies. */
  explicit: boolean;
  /** When they last answered (null: never). */
  updatedAt: Date | null;
}

async function profileOf(db: DbTx, workspaceId: string, profileId: string) {
  const profile = await db.profile.findFirst({ where: { id: profileId, workspaceId }, select: { id: true } });
  if (!profile) throw new DomainError("NOT_FOUND", "This profile does not exist (it may have been merged or deleted).");
  return profile;
}

/** The person's state for every group of the workspace (or of one channel): their answer, or the default. */
export async function profileConsent(db: DbTx, input: { workspaceId: string; profileId: string; channel?: ConsentChannel }): Promise<ConsentState[]> {
  await profileOf(db, input.workspaceId, input.profileId);
  const [groups, states] = await Promise.all([
    db.subscriptionGroup.findMany({ where: { workspaceId: input.workspaceId, ...(input.channel ? { channel: input.channel } : {}) }, orderBy: [{ channel: "asc" }, { name: "asc" }] }),
    db.subscriptionState.findMany({ where: { profileId: input.profileId } }),
  ]);
  const answers = new Map(states.map((s) => [s.groupId, s]));
  return groups.map((row) => {
    const group = view(row);
    const answer = answers.get(group.id);
    return { group, subscribed: isSubscribed(group, answer?.subscribed), explicit: answer !== undefined, updatedAt: answer?.updatedAt ?? null };
  });
}

export interface ConsentRecordView {
  id: string;
  groupId: string;
  groupName: string;
  subscribed: boolean;
  source: ConsentSource | string;
  textVersion: string | null;
  at: Date;
}

/** Where and when the person gave or withdrew consent, newest first, a page at a time (keyset on (at, id)). */
export async function consentHistory(db: DbTx, input: { workspaceId: string; profileId: string; limit: number; before?: Keyset | null }) {
  await profileOf(db, input.workspaceId, input.profileId);
  const before = input.before ?? null;
  const rows = await db.consentRecord.findMany({
    where: {
      workspaceId: input.workspaceId,
      profileId: input.profileId,
      ...(before ? { OR: [{ at: { lt: before.at } }, { at: before.at, id: { lt: before.id } }] } : {}),
    },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    include: { group: { select: { name: true } } },
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    records: page.map((r): ConsentRecordView => ({ id: r.id, groupId: r.groupId, groupName: r.group.name, subscribed: r.subscribed, source: r.source, textVersion: r.textVersion, at: r.at })),
    nextCursor: rows.length > input.limit && last ? encodeKeyset(last.at, last.id) : null,
  };
}

export interface SetResult {
  /** How many answers changed (an answer the person already gave changes nothing and records nothing). */
  changed: number;
  states: ConsentState[];
}

/**
 * Records the person's answers for some groups, in one transaction: each changed answer
 * updates the state and appends a consent record (source, wording version, time), with an
 * audit entry and the data version. Giving the answer one already gave changes nothing.
 * Unknown groups and people are refused, nothing written. The change feed has the person's
 * saved segments decided again.
 */
export async function setSubscriptions(
  db: Db,
  input: { workspaceId: string; profileId: string; changes: SubscriptionChange[]; source: ConsentSource; actor: Actor; now?: () => Date },
): Promise<SetResult> {
  const seen = new Set<string>();
  input.changes.forEach((c, i) => {
    if (seen.has(c.groupId)) throw new DomainError("BAD_REQUEST", `subscriptions.${i}.groupId: this group is listed twice.`);
    seen.add(c.groupId);
  });
  const changed = await db.$transaction(async (tx) => {
    await profileOf(tx, input.workspaceId, input.profileId);
    const groups = await tx.subscriptionGroup.findMany({ where: { workspaceId: input.workspaceId, id: { in: [...seen] } } });
    const byId = new Map(groups.map((g) => [g.id, g]));
    input.changes.forEach((c, i) => {
      if (!byId.has(c.groupId)) throw new DomainError("BAD_REQUEST", `subscriptions.${i}.groupId: no subscription group “${c.groupId}” in this workspace.`);
    });
    if (input.changes.length === 0) return [];
    // Written at the transaction's time (now()): the estimate's sample finds changed people by it.
    const rows = await tx.$queryRaw<{ group_id: string; subscribed: boolean; inserted: boolean }[]>`
      INSERT INTO subscription_states (profile_id, group_id, subscribed, updated_at)
      SELECT ${input.profileId}, c.group_id, c.subscribed, now()
        FROM unnest(${input.changes.map((c) => c.groupId)}::text[], ${input.changes.map((c) => c.subscribed)}::boolean[]) AS c(group_id, subscribed)
      ON CONFLICT (profile_id, group_id) DO UPDATE SET subscribed = EXCLUDED.subscribed, updated_at = EXCLUDED.updated_at
        WHERE subscription_states.subscribed IS DISTINCT FROM EXCLUDED.subscribed
      RETURNING group_id, subscribed, (xmax = 0) AS inserted`;
    if (rows.length === 0) return [];
    const textOf = new Map(input.changes.map((c) => [c.groupId, c.textVersion ?? null]));
    await tx.consentRecord.createMany({
      data: rows.map((r) => ({ workspaceId: input.workspaceId, profileId: input.profileId, groupId: r.group_id, subscribed: r.subscribed, source: input.source, textVersion: textOf.get(r.group_id) ?? null })),
    });
    await bumpDataVersionPrisma(tx, input.workspaceId, { changes: rows.length, profiles: 0 });
    // Saved segments that ask about subscriptions are decided again by the feed's consumer.
    await appendFeedPrisma(tx, [{ workspaceId: input.workspaceId, kind: "consent", profileIds: [input.profileId], payload: { groups: rows.map((r) => r.group_id) } }]);
    for (const r of rows) {
      const group = byId.get(r.group_id)!;
      const before = r.inserted ? `${subscribedByDefault(group.mode) ? "subscribed" : "not subscribed"} (default)` : r.subscribed ? "unsubscribed" : "subscribed";
      await recordAudit(tx, {
        workspaceId: input.workspaceId,
        actor: input.actor,
        action: r.subscribed ? "consent.subscribed" : "consent.unsubscribed",
        target: { type: "profile", id: input.profileId },
        diff: {
          group: { to: group.name },
          state: { from: before, to: r.subscribed ? "subscribed" : "unsubscribed" },
          source: { to: input.source },
          ...(textOf.get(r.group_id) ? { text_version: { to: textOf.get(r.group_id) } } : {}),
        },
      });
    }
    return rows;
  });
  if (changed.length > 0) announceFeed(db);
  return { changed: changed.length, states: await profileConsent(db, { workspaceId: input.workspaceId, profileId: input.profileId }) };
}

// ---------------------------------------------------------------------------------------
// At send time.

export type ConsentDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** unsubscribed: said no; not_opted_in: an opt-in group without a yes; unknown_group / unknown_person: gone; unreadable: consent could not be read. */
      code: "unsubscribed" | "not_opted_in" | "unknown_group" | "unknown_person" | "unreadable";
      /** For the delivery log, in words ("Unsubscribed from “Product news” on 2026-11-03 (preference page)."). */
      reason: string;
    };

/**
 * May a message of `groupId` be sent to this person now? Allowed only when the person is
 * subscribed: their own yes, or no answer at all for an opt-out group. Not allowed — with
 * the reason in words — when they said no, when an opt-in group has no yes from them, when
 * the group or the person is gone, or when consent cannot be read (any error: a send is
 * never made on a guess). `groupId: null` (a message with no group, such as an order
 * confirmation) needs no consent. Never throws. Pass the transaction when the caller has
 * one.
 */
export async function consentForSend(db: DbTx, input: { workspaceId: string; profileId: string; groupId: string | null }): Promise<ConsentDecision> {
  if (input.groupId === null) return { allowed: true };
  try {
    const [group, profile, state] = await Promise.all([
      db.subscriptionGroup.findFirst({ where: { id: input.groupId, workspaceId: input.workspaceId }, select: { name: true, mode: true } }),
      db.profile.findFirst({ where: { id: input.profileId, workspaceId: input.workspaceId }, select: { id: true } }),
      db.subscriptionState.findUnique({ where: { profileId_groupId: { profileId: input.profileId, groupId: input.groupId } }, select: { subscribed: true, updatedAt: true } }),
    ]);
    if (!group) return { allowed: false, code: "unknown_group", reason: "The message's subscription group no longer exists, so nobody's consent to it can be read." };
    if (!profile) return { allowed: false, code: "unknown_person", reason: "This person no longer exists." };
    if (group.mode !== "opt_in" && group.mode !== "opt_out") return { allowed: false, code: "unreadable", reason: `The subscription group “${group.name}” has an unknown mode, so consent cannot be read.` };
    if (state?.subscribed === false) {
      const record = await db.consentRecord.findFirst({ where: { profileId: input.profileId, groupId: input.groupId }, orderBy: [{ at: "desc" }, { id: "desc" }], select: { source: true } });
      const how = record ? ` (${record.source.replace(/_/g, " ")})` : "";
      return { allowed: false, code: "unsubscribed", reason: `Unsubscribed from “${group.name}” on ${state.updatedAt.toISOString().slice(0, 10)}${how}.` };
    }
    if (!isSubscribed(group, state?.subscribed)) return { allowed: false, code: "not_opted_in", reason: `“${group.name}” is opt-in and this person has not said yes.` };
    return { allowed: true };
  } catch (error) {
    console.error("consent could not be read:", error);
    return { allowed: false, code: "unreadable", reason: "Consent could not be read (the database did not answer), so the message was not sent." };
  }
}
