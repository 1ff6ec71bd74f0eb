import { procedureFor, router } from "@/server/api/trpc";
import { z } from "zod";
import { ZFrequencyCaps } from "@/lib/journeys/caps";
import { frequencyCaps, setFrequencyCaps, updateWorkspace, workspaceOverview } from "@/server/workspaces/service";
import { workspaceStats } from "@/server/workspaces/stats";
import { ZWorkspaceSettings } from "@/lib/workspaces/schema";

export const workspaceRouter = router({
  /** The workspace and the viewer's role in it (what the UI may offer: `can(role, …)`). */
  current: procedureFor("workspace.read").query(async ({ ctx }) => ({ ...(await workspaceOverview(ctx.db, ctx.workspaceId)), role: ctx.role })),
  /** The dashboard's numbers (people, events today and this week, segments). */
  stats: procedureFor("workspace.read").query(({ ctx }) => workspaceStats(ctx.db, { workspaceId: ctx.workspaceId, now: new Date() })),
  /** Global frequency caps across journeys (docs/journeys.md "Sends happen once"). */
  frequencyCaps: procedureFor("workspace.read").query(({ ctx }) => frequencyCaps(ctx.db, ctx.workspaceId)),
  setFrequencyCaps: procedureFor("workspace.manage")
    .input(z.object({ caps: ZFrequencyCaps }))
    .mutation(({ ctx, input }) => setFrequencyCaps(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, caps: input.caps })),
  update: procedureFor("workspace.manage")
    .input(ZWorkspaceSettings)
    .mutation(async ({ ctx, input }) => {
      const workspace = await updateWorkspace(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input });
      return { name: workspace.name, defaultTimezone: workspace.defaultTimezone };
    }),
});
