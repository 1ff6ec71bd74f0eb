import { DomainError } from "@/server/errors";
import { createHash, randomBytes } from "node:crypto";
import type { Db, DbTx } from "@/server/db/client";
import type { Role } from "@/lib/auth/roles";
import { auditDiff } from "@/lib/audit/redact";
import { recordAudit, type Actor } from "@/server/audit/service";
import { forgetViewers } from "@/server/auth/viewer-cache";
import { lockWorkspace } from "@/server/db/locks";
import { env } from "@/server/env";
import type { Prisma } from "@/server/generated/prisma/client";
import { capText, ZFrequencyCaps, type FrequencyCap } from "@/lib/journeys/caps";

/** Thrown for rule violations the user can fix; routers map it to a 4xx with this message. */
export const INVITATION_TTL_DAYS = 7;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function slugify(name: string): string {
  const base = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return base || "workspace";
}

/** Create a workspace with `userId` as its first admin. */
export async function createWorkspace(
  tx: DbTx,
  input: { name: string; userId: string; actorLabel: string },
) {
  const slugBase = slugify(input.name);
  const taken = await tx.workspace.count({ where: { slug: { startsWith: slugBase } } });
  const workspace = await tx.workspace.create({
    data: { name: input.name, slug: taken === 0 ? slugBase : `${slugBase}-${taken + 1}` },
  });
  await tx.membership.create({
    data: { workspaceId: workspace.id, userId: input.userId, role: "admin" },
  });
  await recordAudit(tx, {
    workspaceId: workspace.id,
    actor: { userId: input.userId, label: input.actorLabel },
    action: "workspace.created",
    target: { type: "workspace", id: workspace.id },
    diff: auditDiff(undefined, { name: workspace.name }),
  });
  return workspace;
}

/** The workspace as its members see it: settings, a few counts, whether any event arrived yet. */
export async function workspaceOverview(db: DbTx, workspaceId: string) {
  const [workspace, members, auditEntries, anyEvent] = await Promise.all([
    db.workspace.findUniqueOrThrow({ where: { id: workspaceId } }),
    db.membership.count({ where: { workspaceId } }),
    db.auditLogEntry.count({ where: { workspaceId } }),
    db.event.findFirst({ where: { workspaceId }, select: { id: true } }),
  ]);
  return {
    id: workspace.id,
    name: workspace.name,
    slug: workspace.slug,
    defaultTimezone: workspace.defaultTimezone,
    createdAt: workspace.createdAt,
    counts: { members, auditEntries },
    hasEvents: anyEvent !== null,
  };
}

export async function updateWorkspace(
  db: Db,
  input: { workspaceId: string; actor: Actor; name: string; defaultTimezone: string },
) {
  const result = await db.$transaction(async (tx) => {
    const before = await tx.workspace.findUniqueOrThrow({ where: { id: input.workspaceId } });
    const after = await tx.workspace.update({
      where: { id: input.workspaceId },
      data: { name: input.name, defaultTimezone: input.defaultTimezone },
    });
    const diff = auditDiff(
      { name: before.name, defaultTimezone: before.defaultTimezone },
      { name: after.name, defaultTimezone: after.defaultTimezone },
    );
    if (Object.keys(diff).length > 0) {
      await recordAudit(tx, {
        workspaceId: input.workspaceId,
        actor: input.actor,
        action: "workspace.updated",
        target: { type: "workspace", id: input.workspaceId },
        diff,
      });
    }
    return after;
  });
  forgetViewers(); // people are seen with the workspace name
  return result;
}

export async function listMembers(db: DbTx, workspaceId: string) {
  const members = await db.membership.findMany({
    where: { workspaceId },
    include: { user: { select: { id: true, name: true, email: true } } },
    orderBy: [{ createdAt: "asc" }],
  });
  return members.map((m) => ({
    userId: m.user.id,
    name: m.user.name,
    email: m.user.email,
    role: m.role as Role,
    joinedAt: m.createdAt,
  }));
}

export async function listPendingInvitations(db: DbTx, workspaceId: string, now = new Date()) {
  return db.invitation.findMany({
    where: { workspaceId, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } },
    select: { id: true, email: true, role: true, expiresAt: true, createdAt: true },
    orderBy: { createdAt: "desc" },
  });
}

/** Returns the raw token once; only its hash is stored. */
export async function inviteMember(
  db: Db,
  input: { workspaceId: string; actor: Actor; email: string; role: Role; now?: Date },
) {
  const email = input.email.trim().toLowerCase();
  const now = input.now ?? new Date();
  return db.$transaction(async (tx) => {
    const existing = await tx.membership.findFirst({
      where: { workspaceId: input.workspaceId, user: { email } },
    });
    if (existing) throw new DomainError("CONFLICT", `${email} is already a member of this workspace.`);
    // A new invitation for the same address replaces any open one.
    await tx.invitation.updateMany({
      where: { workspaceId: input.workspaceId, email, acceptedAt: null, revokedAt: null },
      data: { revokedAt: now },
    });
    const token = randomBytes(24).toString("base64url");
    const invitation = await tx.invitation.create({
      data: {
        workspaceId: input.workspaceId,
        email,
        role: input.role,
        tokenHash: hashToken(token),
        invitedById: input.actor.userId,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_DAYS * 86_400_000),
      },
    });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "member.invited",
      target: { type: "invitation", id: invitation.id },
      diff: auditDiff(undefined, { email, role: input.role }),
    });
    return { invitation, token, link: `${env().APP_URL}/invite/${token}` };
  });
}

export async function revokeInvitation(
  db: Db,
  input: { workspaceId: string; actor: Actor; invitationId: string },
) {
  return db.$transaction(async (tx) => {
    const invitation = await tx.invitation.findFirst({
      where: { id: input.invitationId, workspaceId: input.workspaceId, acceptedAt: null, revokedAt: null },
    });
    if (!invitation) throw new DomainError("NOT_FOUND", "This invitation is no longer open.");
    await tx.invitation.update({ where: { id: invitation.id }, data: { revokedAt: new Date() } });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "member.invitation_revoked",
      target: { type: "invitation", id: invitation.id },
      diff: auditDiff({ email: invitation.email }, undefined),
    });
  });
}

/** An open invitation by its raw token, or null when unknown, used, revoked or expired. */
export async function findOpenInvitation(db: DbTx, token: string, now = new Date()) {
  return db.invitation.findFirst({
    where: { tokenHash: hashToken(token), acceptedAt: null, revokedAt: null, expiresAt: { gt: now } },
    include: { workspace: { select: { id: true, name: true } } },
  });
}

/**
 * `user` joins the workspace of an open `invitation` for their address, with its role,
 * and the invitation is used up; false (and nothing written) when it is no longer open. For sign-up through the link (onboarding.ts) and for an
 * existing account accepting it after signing in (acceptInvitation).
 */
export async function joinWorkspace(
  tx: DbTx,
  invitation: { id: string; workspaceId: string; role: Role },
  user: { id: string; email: string },
  now = new Date(),
): Promise<boolean> {
  // Used up only if still open: a revoke or a newer invitation committed meanwhile wins
  // (the row lock orders the two; the loser sees the committed row and changes nothing).
  const used = await tx.invitation.updateMany({ where: { id: invitation.id, acceptedAt: null, revokedAt: null }, data: { acceptedAt: now } });
  if (used.count === 0) return false;
  await tx.membership.create({ data: { workspaceId: invitation.workspaceId, userId: user.id, role: invitation.role } });
  await recordAudit(tx, {
    workspaceId: invitation.workspaceId,
    actor: { userId: user.id, label: user.email },
    action: "member.joined",
    target: { type: "user", id: user.id },
    diff: auditDiff(undefined, { email: user.email, role: invitation.role }),
  });
  return true;
}

/**
 * A signed-in person accepts an invitation for their own address — someone who already has
 * an account (a member who was removed and is invited again). An account belongs to one
 * workspace at a time.
 */
export async function acceptInvitation(db: Db, input: { user: { id: string; email: string }; token: string; now?: Date }) {
  const now = input.now ?? new Date();
  const result = await db.$transaction(async (tx) => {
    const invitation = await findOpenInvitation(tx, input.token, now);
    if (!invitation) throw new DomainError("NOT_FOUND", "This invitation link is invalid, expired or already used.");
    await lockWorkspace(tx, invitation.workspaceId, "members");
    if (invitation.email !== input.user.email.trim().toLowerCase()) {
      throw new DomainError("FORBIDDEN", `This invitation is for ${invitation.email}, but you are signed in as ${input.user.email}.`);
    }
    const existing = await tx.membership.findFirst({ where: { userId: input.user.id }, include: { workspace: { select: { name: true } } } });
    if (existing) {
      throw new DomainError(
        "CONFLICT",
        existing.workspaceId === invitation.workspaceId
          ? `You are already a member of ${existing.workspace.name}.`
          : `You already belong to ${existing.workspace.name}; an account can be in one workspace.`,
      );
    }
    if (!(await joinWorkspace(tx, invitation, input.user, now))) {
      throw new DomainError("NOT_FOUND", "This invitation link is invalid, expired or already used.");
    }
    return { workspaceId: invitation.workspaceId, workspaceName: invitation.workspace.name };
  });
  forgetViewers(); // they are seen with their new membership
  return result;
}

async function assertAnotherAdmin(tx: DbTx, workspaceId: string, userId: string) {
  const admins = await tx.membership.count({
    where: { workspaceId, role: "admin", userId: { not: userId } },
  });
  if (admins === 0) {
    throw new DomainError("CONFLICT", "A workspace needs at least one admin. Make someone else admin first.");
  }
}

export async function changeRole(
  db: Db,
  input: { workspaceId: string; actor: Actor; userId: string; role: Role },
) {
  const result = await db.$transaction(async (tx) => {
    // Two admins demoting or removing each other at once must not leave nobody in charge.
    await lockWorkspace(tx, input.workspaceId, "members");
    const membership = await tx.membership.findUnique({
      where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: input.userId } },
      include: { user: { select: { email: true } } },
    });
    if (!membership) throw new DomainError("NOT_FOUND", "This person is not a member of the workspace.");
    if (membership.role === input.role) return;
    if (membership.role === "admin") await assertAnotherAdmin(tx, input.workspaceId, input.userId);
    await tx.membership.update({ where: { id: membership.id }, data: { role: input.role } });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "member.role_changed",
      target: { type: "user", id: input.userId },
      diff: { email: { to: membership.user.email }, ...auditDiff({ role: membership.role }, { role: input.role }) },
    });
  });
  forgetViewers(); // the person is seen with their role
  return result;
}

export async function removeMember(
  db: Db,
  input: { workspaceId: string; actor: Actor; userId: string },
) {
  const result = await db.$transaction(async (tx) => {
    // Two admins demoting or removing each other at once must not leave nobody in charge.
    await lockWorkspace(tx, input.workspaceId, "members");
    const membership = await tx.membership.findUnique({
      where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: input.userId } },
      include: { user: { select: { email: true } } },
    });
    if (!membership) throw new DomainError("NOT_FOUND", "This person is not a member of the workspace.");
    if (input.userId === input.actor.userId) {
      throw new DomainError("CONFLICT", "You cannot remove yourself. Ask another admin.");
    }
    if (membership.role === "admin") await assertAnotherAdmin(tx, input.workspaceId, input.userId);
    await tx.membership.delete({ where: { id: membership.id } });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "member.removed",
      target: { type: "user", id: input.userId },
      diff: auditDiff({ email: membership.user.email, role: membership.role }, undefined),
    });
  });
  forgetViewers(); // the person is no longer a member
  return result;
}

/** The workspace's global frequency caps (lib/journeys/caps.ts), as the sender reads them. */
export async function frequencyCaps(db: DbTx, workspaceId: string): Promise<FrequencyCap[]> {
  const row = await db.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { frequencyCaps: true } });
  return ZFrequencyCaps.catch([]).parse(row.frequencyCaps);
}

/** Replaces the frequency caps (audited); the sender applies them from its next decision on. */
export async function setFrequencyCaps(db: Db, input: { workspaceId: string; actor: Actor; caps: FrequencyCap[] }): Promise<FrequencyCap[]> {
  return db.$transaction(async (tx) => {
    const before = await frequencyCaps(tx, input.workspaceId);
    await tx.workspace.update({ where: { id: input.workspaceId }, data: { frequencyCaps: input.caps as unknown as Prisma.InputJsonValue } });
    const words = (caps: FrequencyCap[]) => caps.map(capText).join("; ") || "none";
    if (words(before) !== words(input.caps)) {
      await recordAudit(tx, {
        workspaceId: input.workspaceId,
        actor: input.actor,
        action: "workspace.frequency_caps_changed",
        target: { type: "workspace", id: input.workspaceId },
        diff: { frequencyCaps: { from: words(before), to: words(input.caps) } },
      });
    }
    return input.caps;
  });
}
