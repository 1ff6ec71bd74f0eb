import { z } from "zod";
import { procedureFor, router } from "@/server/api/trpc";
import { auditFacets, listAudit } from "@/server/audit/service";
import { ZTextCursor } from "@/server/db/keyset";

export const auditRouter = router({
  list: procedureFor("audit.read")
    .input(
      z.object({
        action: z.string().max(100).optional(),
        actorId: z.string().max(100).optional(),
        from: z.date().optional(),
        to: z.date().optional(),
        cursor: ZTextCursor.nullish(),
        limit: z.number().int().min(1).max(100).default(25),
      }),
    )
    .query(({ ctx, input }) => listAudit(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  facets: procedureFor("audit.read").query(({ ctx }) => auditFacets(ctx.db, ctx.workspaceId)),
});
