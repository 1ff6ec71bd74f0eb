import "server-only";
import { router } from "./trpc";
import { auditRouter } from "./routers/audit";
import { membersRouter } from "./routers/members";
import { workspaceRouter } from "./routers/workspace";

export const appRouter = router({
  workspace: workspaceRouter,
  members: membersRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
