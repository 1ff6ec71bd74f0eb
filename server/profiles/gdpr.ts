import { DomainError } from "@/server/errors";
import type { Db } from "@/server/db/client";
import { recordAudit, type Actor } from "@/server/audit/service";
import { suppressionHash } from "@/server/ingest/service";

import { bumpDataVersionPrisma } from "@/server/workspaces/data-version";
import { isTransientConflict } from "@/server/db/errors";
import { exitDeletedPerson } from "@/server/segments/membership";
import { announceFeed, appendFeedPrisma } from "@/server/feed/feed";

/**
 * GDPR requests for one person. Deletion removes the profile, its identities and events
 * (and, through foreign keys, everything later issues attach to a profile) and leaves a
 * suppression record per id — hashed, so no personal data remains — so later events for
 * those ids are dropped at ingestion. The audit entry records that it happened, not who.
 */
export async function deletePerson(db: Db, input: { workspaceId: string; actor: Actor; profileId: string }) {
  // Ingestion writing to the same person (and the same counter shard) at that moment can
  // deadlock with the deletion; Postgres picks one to fail, and the deletion is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      const deleted = await deleteOnce(db, input);
      announceFeed(db);
      return deleted;
    } catch (error) {
      if (attempt >= 3 || !isTransientConflict(error)) throw error;
    }
  }
}

function deleteOnce(db: Db, input: { workspaceId: string; actor: Actor; profileId: string }) {
  // Prisma reads `id: undefined` as no condition at all: never let a missing id pick someone.
  if (typeof input.profileId !== "string" || input.profileId === "") throw new DomainError("BAD_REQUEST", "Which person? No profile id was given.");
  return db.$transaction(async (tx) => {
    const profile = await tx.profile.findFirst({
      where: { id: input.profileId, workspaceId: input.workspaceId },
      select: { id: true, identities: { select: { value: true } }, _count: { select: { events: true } } },
    });
    if (!profile) throw new DomainError("NOT_FOUND", "This profile does not exist (it may already be deleted).");
    const hashes = [...new Set(profile.identities.map((i) => suppressionHash(i.value)))];
    if (hashes.length > 0) {
      await tx.suppression.createMany({
        data: hashes.map((idHash) => ({ workspaceId: input.workspaceId, idHash })),
        skipDuplicates: true,
      });
    }
    // Their segment memberships end (cause "deletion"), then the profile and all it owns
    // (scheduled re-checks included) go; the feed tells consumers (journeys) they are gone.
    const segments = await exitDeletedPerson(tx, { workspaceId: input.workspaceId, profileId: profile.id, at: new Date() });
    await tx.profile.delete({ where: { id: profile.id } });
    await appendFeedPrisma(tx, [{ workspaceId: input.workspaceId, kind: "delete", profileIds: [profile.id], payload: { segments } }]);
    await bumpDataVersionPrisma(tx, input.workspaceId, { changes: 1 + profile._count.events, profiles: -1 });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "profile.deleted",
      target: { type: "profile", id: profile.id },
      diff: { identities: { from: profile.identities.length }, events: { from: profile._count.events } },
    });
    return { identities: profile.identities.length, events: profile._count.events };
    // It may wait for a step of the segment consumer (lockMembership): longer than Prisma's default 5 s.
  }, { timeout: 60_000, maxWait: 15_000 });
}

/** Everything Junction holds about one person, as one JSON document. */
export async function exportPerson(db: Db, input: { workspaceId: string; actor: Actor; profileId: string; now?: Date }) {
  const profile = await db.profile.findFirst({
    where: { id: input.profileId, workspaceId: input.workspaceId },
    include: {
      identities: { select: { kind: true, value: true, createdAt: true } },
      events: {
        select: { messageId: true, type: true, name: true, properties: true, context: true, timestamp: true, receivedAt: true, sentAt: true },
        orderBy: [{ timestamp: "asc" }, { id: "asc" }],
      },
      subscriptions: { select: { subscribed: true, updatedAt: true, group: { select: { name: true, channel: true } } } },
      consentRecords: { select: { subscribed: true, source: true, textVersion: true, at: true, group: { select: { name: true } } }, orderBy: [{ at: "asc" }, { id: "asc" }] },
      devices: { select: { kind: true, token: true, platform: true, createdAt: true, lastSeenAt: true }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      inAppMessages: { select: { content: true, createdAt: true, seenAt: true, dismissedAt: true, expiresAt: true }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      journeyEnrollments: {
        select: {
          journey: { select: { name: true } },
          version: true,
          correlationKey: true,
          status: true,
          nodeId: true,
          holdout: true,
          enteredAt: true,
          endedAt: true,
          convertedAt: true,
          exitReason: true,
        },
        orderBy: [{ enteredAt: "asc" }, { id: "asc" }],
      },
    },
  });
  if (!profile) throw new DomainError("NOT_FOUND", "This profile does not exist.");
  await recordAudit(db, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "profile.exported",
    target: { type: "profile", id: profile.id },
  });
  const { events, identities, subscriptions, consentRecords, devices, inAppMessages, journeyEnrollments, workspaceId: _workspace, ...fields } = profile;
  void _workspace;
  return {
    exportedAt: (input.now ?? new Date()).toISOString(),
    profile: fields,
    identities,
    events,
    // Their answers per subscription group, and where and when each was given.
    subscriptions: subscriptions.map((s) => ({ group: s.group.name, channel: s.group.channel, subscribed: s.subscribed, answeredAt: s.updatedAt })),
    consent: consentRecords.map((r) => ({ group: r.group.name, subscribed: r.subscribed, source: r.source, textVersion: r.textVersion, at: r.at })),
    // Push devices (the token identifies the device; the Web Push keys are left out) and in-app messages.
    devices: devices.map((d) => ({ kind: d.kind, token: d.token, platform: d.platform, registeredAt: d.createdAt, lastSeenAt: d.lastSeenAt })),
    inAppMessages,
    // The journeys they entered: where they are now, or how and when they left.
    journeys: journeyEnrollments.map(({ journey, ...e }) => ({ journey: journey.name, ...e })),
  };
}
