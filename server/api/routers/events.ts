import { z } from "zod";
import { procedureFor, router } from "@/server/api/trpc";
import { DEFAULT_WINDOW_DAYS, eventDailyCounts, eventProperties, listEventNames } from "@/server/events/explorer";
import { isTimeZone } from "@/lib/time";

const read = procedureFor("workspace.read");
const ZEventName = z.string().min(1).max(200);
const ZDays = z.number().int().min(1).max(90).default(DEFAULT_WINDOW_DAYS);

/** The Events explorer. The clock is read here, at the edge, and handed to the service. */
export const eventsRouter = router({
  /** Event names with counts, busiest first (capped; see `truncated`). `name` narrows to one. */
  names: read
    .input(z.object({ days: ZDays, name: ZEventName.optional() }).default({ days: DEFAULT_WINDOW_DAYS }))
    .query(({ ctx, input }) => listEventNames(ctx.db, { workspaceId: ctx.workspaceId, now: new Date(), ...input })),
  /** Zero-filled counts per day; days follow the workspace's time zone unless one is given. */
  daily: read
    .input(
      z.object({
        name: ZEventName,
        days: ZDays,
        timeZone: z.string().max(64).refine(isTimeZone, { message: "Not a known time zone" }).optional(),
      }),
    )
    .query(({ ctx, input }) => eventDailyCounts(ctx.db, { workspaceId: ctx.workspaceId, now: new Date(), ...input })),
  /** Property keys with their JSON types and top values, from the most recent events. */
  properties: read
    .input(z.object({ name: ZEventName, days: ZDays }))
    .query(({ ctx, input }) => eventProperties(ctx.db, { workspaceId: ctx.workspaceId, now: new Date(), ...input })),
});
