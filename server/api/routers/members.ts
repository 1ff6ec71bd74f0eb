import { z } from "zod";
import { ZRole } from "@/lib/auth/roles";
import { ZInviteMember } from "@/lib/workspaces/schema";
import { authedProcedure, procedureFor, router } from "@/server/api/trpc";
import {
  acceptInvitation,
  changeRole,
  inviteMember,
  listMembers,
  listPendingInvitations,
  removeMember,
  revokeInvitation,
} from "@/server/workspaces/service";

const manage = procedureFor("members.manage");

export const membersRouter = router({
  list: procedureFor("workspace.read").query(({ ctx }) => listMembers(ctx.db, ctx.workspaceId)),
  invitations: manage.query(({ ctx }) => listPendingInvitations(ctx.db, ctx.workspaceId)),
  invite: manage
    .input(ZInviteMember)
    .output(z.object({ id: z.string(), email: z.string(), role: ZRole, link: z.string(), expiresAt: z.date() }))
    .mutation(async ({ ctx, input }) => {
      const { invitation, link } = await inviteMember(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input });
      return { id: invitation.id, email: invitation.email, role: invitation.role, link, expiresAt: invitation.expiresAt };
    }),
  revokeInvitation: manage
    .input(z.object({ invitationId: z.string().min(1) }))
    .mutation(({ ctx, input }) =>
      revokeInvitation(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input }),
    ),
  changeRole: manage
    .input(z.object({ userId: z.string().min(1), role: ZRole }))
    .mutation(({ ctx, input }) =>
      changeRole(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input }),
    ),
  /** An existing account accepts an invitation for its address (signed in, in no workspace yet). */
  accept: authedProcedure
    .input(z.object({ token: z.string().min(10).max(200) }))
    .mutation(({ ctx, input }) => acceptInvitation(ctx.db, { user: ctx.viewer.user, token: input.token })),
  remove: manage
    .input(z.object({ userId: z.string().min(1) }))
    .mutation(({ ctx, input }) =>
      removeMember(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input }),
    ),
});
