import { adminProcedure, router, viewerProcedure } from "../trpc";
import { updateWorkspace } from "../../workspaces/service";
import { ZWorkspaceSettings } from "../../../lib/workspaces/schema";

export const workspaceRouter = router({
  current: viewerProcedure.query(async ({ ctx }) => {
    const workspace = await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.workspaceId } });
    const [members, auditEntries, anyEvent] = await Promise.all([
      ctx.db.membership.count({ where: { workspaceId: ctx.workspaceId } }),
      ctx.db.auditLogEntry.count({ where: { workspaceId: ctx.workspaceId } }),
      ctx.db.event.findFirst({ where: { workspaceId: ctx.workspaceId }, select: { id: true } }),
    ]);
    return {
      id: workspace.id,
      name: workspace.name,
      slug: workspace.slug,
      defaultTimezone: workspace.defaultTimezone,
      createdAt: workspace.createdAt,
      counts: { members, auditEntries },
      hasEvents: anyEvent !== null,
      role: ctx.role,
    };
  }),
  update: adminProcedure.input(ZWorkspaceSettings).mutation(async ({ ctx, input }) => {
    const workspace = await updateWorkspace(ctx.db, {
      workspaceId: ctx.workspaceId,
      actor: ctx.actor,
      ...input,
    });
    return { name: workspace.name, defaultTimezone: workspace.defaultTimezone };
  }),
});
