import { z } from "zod";
import { ZJourneyDefinition } from "@/lib/journeys/schema";
import { STORABLE, UNSTORABLE_MESSAGE } from "@/lib/storable";
import { procedureFor, router } from "@/server/api/trpc";
import { createJourney, duplicateJourney, getJourney, journeyHistory, listJourneys, publishJourney, saveJourneyDraft, setJourneyStatus } from "@/server/journeys/service";
import { journeyReach } from "@/server/journeys/reach";
import { simulateJourney, ZSimulationInput } from "@/server/journeys/simulate";
import { journeyListStats, journeyNodeStats, peopleAtNode, profileJourneys } from "@/server/journeys/stats";
import { ZTextCursor } from "@/server/db/keyset";
import { createJourneyFromTemplate, journeyTemplates } from "@/server/journeys/from-template";
import { enrollmentTrace, journeyLift, whyNot } from "@/server/journeys/trace";

const read = procedureFor("workspace.read");
const edit = procedureFor("journeys.publish");
const ZId = z.string().min(1).max(64);
const ZName = z.string().trim().min(1, { message: "is required" }).max(120).regex(STORABLE, { message: UNSTORABLE_MESSAGE });
const ZRevision = z.number().int().min(1);

export const journeysRouter = router({
  /** The live overlay: entered, waiting now per node, per-exit counts, conversions (all versions summed unless `version`). */
  stats: read
    .input(z.object({ id: ZId, version: z.number().int().min(1).optional() }))
    .query(({ ctx, input }) => journeyNodeStats(ctx.db, { workspaceId: ctx.workspaceId, journeyId: input.id, version: input.version })),
  /** The list's columns (in it now, entered in 7 days, conversion rate) for the journeys shown, by id. */
  listStats: read
    .input(z.object({ ids: z.array(ZId).max(500) }))
    .query(async ({ ctx, input }) => Object.fromEntries(await journeyListStats(ctx.db, ctx.workspaceId, input.ids))),
  /** A person's journeys (the profile's Journeys tab): current first, then the latest ended. */
  ofProfile: read.input(z.object({ profileId: ZId })).query(({ ctx, input }) => profileJourneys(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId })),
  /** One enrollment's way through its journey: each step with its decisions and their explanation, each send with what became of it. */
  trace: read.input(z.object({ enrollmentId: ZId })).query(({ ctx, input }) => enrollmentTrace(ctx.db, { workspaceId: ctx.workspaceId, enrollmentId: input.enrollmentId })),
  /** "Why did this person not get this message?" — for anyone, also people who never entered. `nodeId`: a send or webhook step. */
  whyNot: read
    .input(z.object({ id: ZId, profileId: ZId, nodeId: z.string().min(1).max(64).nullish() }))
    .query(({ ctx, input }) => whyNot(ctx.db, { workspaceId: ctx.workspaceId, journeyId: input.id, profileId: input.profileId, nodeId: input.nodeId })),
  /** Conversion of the holdout against the people who got the messages, with the difference's 95% interval. */
  lift: read.input(z.object({ id: ZId })).query(({ ctx, input }) => journeyLift(ctx.db, { workspaceId: ctx.workspaceId, journeyId: input.id })),
  /** Who waits at a node now, newest arrival first. */
  peopleAt: read
    .input(z.object({ id: ZId, nodeId: z.string().min(1).max(64), cursor: ZTextCursor.nullish(), limit: z.number().int().min(1).max(100).default(25) }))
    .query(({ ctx, input }) => peopleAtNode(ctx.db, { workspaceId: ctx.workspaceId, journeyId: input.id, nodeId: input.nodeId, cursor: input.cursor, limit: input.limit })),
  list: read
    .input(z.object({ search: z.string().trim().max(200).optional(), includeArchived: z.boolean().default(false) }))
    .query(({ ctx, input }) => listJourneys(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  /** The draft, with what stands between it and publishing (each problem tied to its node). */
  get: read.input(z.object({ id: ZId })).query(({ ctx, input }) => getJourney(ctx.db, { workspaceId: ctx.workspaceId, id: input.id })),
  history: read.input(z.object({ id: ZId })).query(({ ctx, input }) => journeyHistory(ctx.db, { workspaceId: ctx.workspaceId, id: input.id })),
  create: edit.input(z.object({ name: ZName })).mutation(({ ctx, input }) => createJourney(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, name: input.name })),
  /** The templates to start from, each need with what the workspace already has that could fill it. */
  templates: read.query(({ ctx }) => journeyTemplates(ctx.db, ctx.workspaceId)),
  /** A journey from a template; per need the id of an existing segment / template, or "create" (the default). */
  createFromTemplate: edit
    .input(z.object({ key: z.string().min(1).max(64), name: ZName, use: z.record(z.string().min(1).max(64), z.union([z.literal("create"), ZId])).default({}) }))
    .mutation(({ ctx, input }) => createJourneyFromTemplate(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  /** A new draft with this journey's steps and settings, named "<name> (copy)". */
  duplicate: edit.input(z.object({ id: ZId })).mutation(({ ctx, input }) => duplicateJourney(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, id: input.id })),
  saveDraft: edit
    .input(z.object({ id: ZId, revision: ZRevision, name: ZName, draft: ZJourneyDefinition }))
    .mutation(({ ctx, input }) => saveJourneyDraft(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  publish: edit
    .input(z.object({ id: ZId, revision: ZRevision, policy: z.enum(["finish", "migrate"]).optional() }))
    .mutation(({ ctx, input }) => publishJourney(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  setStatus: edit
    .input(z.object({ id: ZId, action: z.enum(["pause", "resume", "archive"]), exitEveryone: z.boolean().optional() }))
    .mutation(({ ctx, input }) => setJourneyStatus(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  /**
   * Walks a person (real or described) through the definition with simulated time: sends nothing, writes nothing.
   * Mutations only because a journey does not fit in a GET's URL; any member may simulate.
   */
  simulate: read
    .input(ZSimulationInput.extend({ definition: ZJourneyDefinition }))
    .mutation(({ ctx, input }) => simulateJourney(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  /** How many people the entry takes in now, and how they divide along the edges (on the sample). */
  reach: read
    .input(z.object({ definition: ZJourneyDefinition, exact: z.boolean().default(false) }))
    .mutation(({ ctx, input, signal }) => journeyReach(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, exact: input.exact, signal })),
});
