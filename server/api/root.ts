import "server-only";
import { router } from "./trpc";
import { auditRouter } from "./routers/audit";
import { channelsRouter } from "./routers/channels";
import { consentRouter } from "./routers/consent";
import { demoInboxRouter } from "./routers/demo-inbox";
import { eventsRouter } from "./routers/events";
import { journeysRouter } from "./routers/journeys";
import { keysRouter } from "./routers/keys";
import { profilesRouter } from "./routers/profiles";
import { segmentsRouter } from "./routers/segments";
import { membersRouter } from "./routers/members";
import { messagesRouter } from "./routers/messages";
import { workspaceRouter } from "./routers/workspace";
import { systemRouter } from "./routers/system";

export const appRouter = router({
  workspace: workspaceRouter,
  members: membersRouter,
  audit: auditRouter,
  keys: keysRouter,
  profiles: profilesRouter,
  events: eventsRouter,
  segments: segmentsRouter,
  channels: channelsRouter,
  consent: consentRouter,
  messages: messagesRouter,
  journeys: journeysRouter,
  demoInbox: demoInboxRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
