import { procedureFor, router } from "@/server/api/trpc";
import { systemStatus } from "@/server/system/status";

export const systemRouter = router({
  /** The change feed's consumers (lag in rows and seconds, last error), re-checks, repairs, jobs. */
  status: procedureFor("system.read").query(({ ctx }) => systemStatus(ctx.db, { workspaceId: ctx.workspaceId })),
});
