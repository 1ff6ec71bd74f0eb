import { DomainError } from "@/server/errors";
import type { Db } from "@/server/db/client";
import { createWorkspace, findOpenInvitation, joinWorkspace } from "@/server/workspaces/service";

/** Headers the sign-up forms send along with better-auth's sign-up request. */
export const INVITATION_HEADER = "x-junction-invitation";
export const WORKSPACE_NAME_HEADER = "x-junction-workspace-name";

export const DEFAULT_WORKSPACE_NAME = "My workspace";

/**
 * Sign-up is open only on an empty instance (the first person becomes admin of a new
 * workspace) and, after that, only with an open invitation for the same email address.
 * Checked before better-auth writes anything, so a refused sign-up leaves nothing behind.
 */
export async function assertSignUpAllowed(
  db: Db,
  input: { email: string; invitationToken: string | null },
): Promise<void> {
  if (input.invitationToken) {
    const invitation = await findOpenInvitation(db, input.invitationToken);
    if (!invitation) {
      throw new DomainError("FORBIDDEN", "This invitation link is invalid, expired or already used.");
    }
    if (invitation.email !== input.email.trim().toLowerCase()) {
      throw new DomainError("FORBIDDEN", `This invitation is for ${invitation.email}. Sign up with that address.`);
    }
    return;
  }
  if ((await db.user.count()) > 0) {
    throw new DomainError("FORBIDDEN", "Sign-up is by invitation only. Ask an admin of your workspace for a link.");
  }
}

/** After better-auth created the user: join the invited workspace, or found the first one. */
export async function onUserCreated(
  db: Db,
  input: {
    user: { id: string; email: string };
    invitationToken: string | null;
    workspaceName: string | null;
  },
): Promise<void> {
  await db.$transaction(async (tx) => {
    // Serialise concurrent first sign-ups so exactly one founds the workspace.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('junction.onboarding'))`;
    if (input.invitationToken) {
      const invitation = await findOpenInvitation(tx, input.invitationToken);
      if (!invitation || invitation.email !== input.user.email.toLowerCase()) return;
      await joinWorkspace(tx, invitation, input.user);
      return;
    }
    if ((await tx.workspace.count()) > 0) return;
    await createWorkspace(tx, {
      name: input.workspaceName?.trim() || DEFAULT_WORKSPACE_NAME,
      userId: input.user.id,
      actorLabel: input.user.email,
    });
  });
}
