import { z } from "zod";
import { ZJourneyDefinition } from "@/lib/journeys/schema";
import { STORABLE, UNSTORABLE_MESSAGE } from "@/lib/storable";
import { procedureFor, router } from "@/server/api/trpc";
import { createJourney, getJourney, journeyHistory, listJourneys, publishJourney, saveJourneyDraft, setJourneyStatus } from "@/server/journeys/service";

const read = procedureFor("workspace.read");
const edit = procedureFor("journeys.publish");
const ZId = z.string().min(1).max(64);
const ZName = z.string().trim().min(1, { message: "is required" }).max(120).regex(STORABLE, { message: UNSTORABLE_MESSAGE });
const ZRevision = z.number().int().min(1);

export const journeysRouter = router({
  list: read
    .input(z.object({ search: z.string().trim().max(200).optional(), includeArchived: z.boolean().default(false) }))
    .query(({ ctx, input }) => listJourneys(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  /** The draft, with what stands between it and publishing (each problem tied to its node). */
  get: read.input(z.object({ id: ZId })).query(({ ctx, input }) => getJourney(ctx.db, { workspaceId: ctx.workspaceId, id: input.id })),
  history: read.input(z.object({ id: ZId })).query(({ ctx, input }) => journeyHistory(ctx.db, { workspaceId: ctx.workspaceId, id: input.id })),
  create: edit.input(z.object({ name: ZName })).mutation(({ ctx, input }) => createJourney(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, name: input.name })),
  saveDraft: edit
    .input(z.object({ id: ZId, revision: ZRevision, name: ZName, draft: ZJourneyDefinition }))
    .mutation(({ ctx, input }) => saveJourneyDraft(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  publish: edit
    .input(z.object({ id: ZId, revision: ZRevision, policy: z.enum(["finish", "migrate"]).optional() }))
    .mutation(({ ctx, input }) => publishJourney(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  setStatus: edit
    .input(z.object({ id: ZId, action: z.enum(["pause", "resume", "archive"]), exitEveryone: z.boolean().optional() }))
    .mutation(({ ctx, input }) => setJourneyStatus(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
});
