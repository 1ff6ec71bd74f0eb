import { DomainError } from "@/server/errors";
import type { Db, DbTx } from "@/server/db/client";
import type { Prisma } from "@/server/generated/prisma/client";
import { recordAudit, type Actor } from "@/server/audit/service";
import { auditDiff } from "@/lib/audit/redact";

import { lockWorkspace } from "@/server/db/locks";
import { bumpDataVersionPrisma } from "@/server/workspaces/data-version";
import { queueSegmentRefresh } from "@/server/jobs/worker";
import { parseStoredDefinition, referencedGroups, referencedSegments, walk, type SegmentDefinition } from "@/lib/segments/schema";

/**
 * Saved segments: create, change, archive, delete (refused while others use it), all
 * audited. After a change commits, ingestion's "has segments" cache forgets the workspace
 * and the segment's membership is recomputed soon (`changed`).
 */

export interface SegmentInput {
  name: string;
  description: string;
  definition: SegmentDefinition;
}

/**
 * Segment references must point at segments of this workspace, and following them from
 * `segmentId` must never lead back to it. Subscription conditions must name groups of this
 * workspace (deleting a group takes the same lock and refuses while a segment uses it).
 */
async function checkReferences(tx: DbTx, workspaceId: string, segmentId: string | null, definition: SegmentDefinition) {
  const groupIds = referencedGroups(definition);
  // A new segment that names no segment and no group has nothing to check: nothing can
  // refer to it yet. (So creating one takes no lock — a journey template's segments are
  // created inside its transaction next to its messages and journey.)
  if (!segmentId && groupIds.length === 0 && referencedSegments(definition).length === 0) return;
  // Until this transaction ends, nobody else changes who refers to whom: two updates at
  // once could each find no cycle and together store one.
  await lockWorkspace(tx, workspaceId, "segment-references");
  const others = await tx.segment.findMany({ where: { workspaceId }, select: { id: true, definition: true } });
  const known = new Set(others.map((s) => s.id));
  const groups = groupIds.length ? new Set((await tx.subscriptionGroup.findMany({ where: { workspaceId, id: { in: groupIds } }, select: { id: true } })).map((g) => g.id)) : new Set<string>();
  walk(definition.root, (node, path) => {
    if (node.type === "segment" && !known.has(node.segmentId)) {
      throw new DomainError("BAD_REQUEST", `${path.join(".")}: segment ${node.segmentId} does not exist in this workspace.`);
    }
    if (node.type === "subscription" && !groups.has(node.groupId)) {
      throw new DomainError("BAD_REQUEST", `${path.join(".")}: subscription group ${node.groupId} does not exist in this workspace.`);
    }
  });
  if (!segmentId) return; // a new segment: nothing can refer to it yet
  const edges = new Map(others.map((s) => [s.id, referencedSegments(parseStoredDefinition(s.definition))]));
  edges.set(segmentId, referencedSegments(definition));
  const stack = [...(edges.get(segmentId) ?? [])];
  const seen = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (id === segmentId) throw new DomainError("BAD_REQUEST", "A segment cannot include itself, directly or through other segments.");
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(edges.get(id) ?? []));
  }
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new DomainError("BAD_REQUEST", "Give the segment a name.");
  return trimmed.slice(0, 120);
}

/**
 * After a change committed: a live segment's membership is recomputed soon (the change
 * feed's consumer reads the saved segments afresh on every step). Callers of
 * `insertSegment` call it once their transaction has committed.
 */
export async function afterSegmentChange(workspaceId: string, segment: { id: string; archivedAt: Date | null } | null) {
  if (segment && !segment.archivedAt) await queueSegmentRefresh(workspaceId, segment.id);
}

/**
 * Creates a segment (audited) inside the caller's transaction, for creates that save more
 * with it (a journey template's segments). Its membership is not computed until the caller
 * calls `afterSegmentChange` after commit.
 */
export async function insertSegment(tx: DbTx, input: SegmentInput & { workspaceId: string; actor: Actor }) {
  await checkReferences(tx, input.workspaceId, null, input.definition);
  const segment = await tx.segment.create({
    data: {
      workspaceId: input.workspaceId,
      name: cleanName(input.name),
      description: input.description.trim(),
      definition: input.definition as unknown as Prisma.InputJsonValue,
      createdById: input.actor.userId,
      updatedById: input.actor.userId,
    },
  });
  await recordAudit(tx, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "segment.created",
    target: { type: "segment", id: segment.id },
    diff: auditDiff(undefined, { name: segment.name, description: segment.description, definition: input.definition }),
  });
  return segment;
}

export async function createSegment(db: Db, input: SegmentInput & { workspaceId: string; actor: Actor }) {
  const segment = await db.$transaction((tx) => insertSegment(tx, input));
  await afterSegmentChange(input.workspaceId, segment);
  return segment;
}

export async function updateSegment(db: Db, input: SegmentInput & { workspaceId: string; actor: Actor; segmentId: string }) {
  const segment = await db.$transaction(async (tx) => {
    const before = await tx.segment.findFirst({ where: { id: input.segmentId, workspaceId: input.workspaceId } });
    if (!before) throw new DomainError("NOT_FOUND", "This segment does not exist.");
    await checkReferences(tx, input.workspaceId, before.id, input.definition);
    const segment = await tx.segment.update({
      where: { id: before.id },
      data: {
        name: cleanName(input.name),
        description: input.description.trim(),
        definition: input.definition as unknown as Prisma.InputJsonValue,
        updatedById: input.actor.userId,
      },
    });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "segment.updated",
      target: { type: "segment", id: segment.id },
      diff: auditDiff(
        { name: before.name, description: before.description, definition: before.definition },
        { name: segment.name, description: segment.description, definition: input.definition },
      ),
    });
    return segment;
  });
  await afterSegmentChange(input.workspaceId, segment);
  return segment;
}

/**
 * Archive (or restore) a segment. Archiving one that live segments still use is refused,
 * naming them, like deleting: an archived segment stops updating, and the segments built on
 * it would quietly count against a frozen membership.
 */
export async function setSegmentArchived(db: Db, input: { workspaceId: string; actor: Actor; segmentId: string; archived: boolean }) {
  const segment = await db.$transaction(async (tx) => {
    if (input.archived) await lockWorkspace(tx, input.workspaceId, "segment-references");
    const before = await tx.segment.findFirst({ where: { id: input.segmentId, workspaceId: input.workspaceId } });
    if (!before) throw new DomainError("NOT_FOUND", "This segment does not exist.");
    if (input.archived && !before.archivedAt) {
      const live = await dependentsOf(tx, input.workspaceId, before.id, { liveOnly: true });
      if (live.length > 0) {
        throw new DomainError("CONFLICT", `“${before.name}” is used by ${live.map((d) => `“${d.name}”`).join(", ")}. Change those first, then archive it.`);
      }
    }
    const segment = await tx.segment.update({
      where: { id: before.id },
      data: { archivedAt: input.archived ? (before.archivedAt ?? new Date()) : null, updatedById: input.actor.userId },
    });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: input.archived ? "segment.archived" : "segment.restored",
      target: { type: "segment", id: segment.id },
    });
    return segment;
  });
  await afterSegmentChange(input.workspaceId, segment);
  return segment;
}

/** For each segment id, the segments among `segments` whose definitions refer to it. */
function referrers(segments: { id: string; name: string; definition: unknown }[]): Map<string, { id: string; name: string }[]> {
  const byTarget = new Map<string, { id: string; name: string }[]>();
  for (const { id, name, definition } of segments) {
    for (const ref of referencedSegments(parseStoredDefinition(definition))) byTarget.set(ref, [...(byTarget.get(ref) ?? []), { id, name }]);
  }
  return byTarget;
}

/** Segments whose definitions refer to this one. */
export async function dependentsOf(db: DbTx, workspaceId: string, segmentId: string, options: { liveOnly?: boolean } = {}): Promise<{ id: string; name: string }[]> {
  const all = await db.segment.findMany({
    where: { workspaceId, id: { not: segmentId }, ...(options.liveOnly ? { archivedAt: null } : {}) },
    select: { id: true, name: true, definition: true },
  });
  return referrers(all).get(segmentId) ?? [];
}

export async function deleteSegment(db: Db, input: { workspaceId: string; actor: Actor; segmentId: string }) {
  await db.$transaction(async (tx) => {
    // Nobody starts referring to it between the check and the delete.
    await lockWorkspace(tx, input.workspaceId, "segment-references");
    const segment = await tx.segment.findFirst({ where: { id: input.segmentId, workspaceId: input.workspaceId } });
    if (!segment) throw new DomainError("NOT_FOUND", "This segment does not exist.");
    const dependents = await dependentsOf(tx, input.workspaceId, segment.id);
    if (dependents.length > 0) {
      throw new DomainError("CONFLICT", `“${segment.name}” is used by ${dependents.map((d) => `“${d.name}”`).join(", ")}. Change those first.`);
    }
    await tx.segment.delete({ where: { id: segment.id } });
    // Its memberships go with it: a definition that still refers to it (a draft) now counts differently.
    await bumpDataVersionPrisma(tx, input.workspaceId, { changes: 1, profiles: 0 });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "segment.deleted",
      target: { type: "segment", id: segment.id },
      diff: auditDiff({ name: segment.name, definition: segment.definition }, undefined),
    });
  });
  await afterSegmentChange(input.workspaceId, null);
}

/** One segment for the builder, with the segments that refer to it. */
export async function getSegment(db: DbTx, workspaceId: string, segmentId: string) {
  const segment = await db.segment.findFirst({
    where: { id: segmentId, workspaceId },
    include: { updatedBy: { select: { email: true } }, createdBy: { select: { email: true } } },
  });
  if (!segment) throw new DomainError("NOT_FOUND", "This segment does not exist.");
  return { ...segment, definition: parseStoredDefinition(segment.definition), dependents: await dependentsOf(db, workspaceId, segment.id) };
}

export async function listSegments(
  db: DbTx,
  input: {
    workspaceId: string;
    search?: string;
    /** Archived segments too (marked by `archivedAt`), not only live ones. */
    includeArchived?: boolean;
    cursor?: string | null;
    limit: number;
    /** With each segment's 30-day history and who uses it (the segments page); pickers need neither. */
    stats?: boolean;
  },
) {
  const rows = await db.segment.findMany({
    where: {
      workspaceId: input.workspaceId,
      ...(input.includeArchived ? {} : { archivedAt: null }),
      ...(input.search ? { name: { contains: input.search, mode: "insensitive" as const } } : {}),
    },
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    select: {
      id: true,
      name: true,
      description: true,
      size: true,
      refreshedAt: true,
      archivedAt: true,
      updatedAt: true,
      updatedBy: { select: { email: true } },
    },
  });
  const page = rows.slice(0, input.limit);
  // The list's sparklines (daily size, 30 days) and "used by" (segments that refer to each).
  const since = new Date(Date.now() - 30 * 86_400_000);
  const [history, all] =
    input.stats === false
      ? [[], []]
      : await Promise.all([
          db.segmentSizeHistory.findMany({
            where: { segmentId: { in: page.map((r) => r.id) }, day: { gte: since } },
            orderBy: { day: "asc" },
            select: { segmentId: true, day: true, size: true },
          }),
          db.segment.findMany({ where: { workspaceId: input.workspaceId, archivedAt: null }, select: { id: true, name: true, definition: true } }),
        ]);
  const usedBy = referrers(all);
  const historyOf = new Map<string, { day: Date; size: number }[]>();
  for (const h of history) historyOf.set(h.segmentId, [...(historyOf.get(h.segmentId) ?? []), { day: h.day, size: h.size }]);
  return {
    items: page.map((r) => ({
      ...r,
      history: historyOf.get(r.id) ?? [],
      usedBy: usedBy.get(r.id) ?? [],
    })),
    nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null,
  };
}
