import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { env } from "../../env";
import { marketerProcedure, router, viewerProcedure } from "../trpc";
import { ZValidDefinition, type EventCondition } from "../../../lib/segments/schema";
import {
  createSegment,
  deleteSegment,
  dependentsOf,
  getSegment,
  listSegments,
  setSegmentArchived,
  updateSegment,
} from "../../segments/service";
import { cancelPreview, estimateCount, eventHistogram, exactCount, PreviewCancelled, segmentMembers } from "../../segments/preview";
import { explainProfile, overlapMembers, profileSegments, segmentHistory, segmentOverlap } from "../../segments/membership";
import { traitKeys } from "../../profiles/traits";
import { queueSegmentRefresh } from "../../jobs/worker";
import { segmentsChanged } from "../../segments/realtime";

const ZId = z.string().min(1).max(64);
const ZSegmentFields = z.object({
  name: z.string().trim().min(1, { message: "Give the segment a name" }).max(120, { message: "Keep the name under 120 characters" }),
  description: z.string().max(2_000).default(""),
  definition: ZValidDefinition,
});
/** Identifies one builder's stream of previews: a newer one cancels the older one still running. */
const ZPreviewKey = z.string().min(8).max(100).optional();

function cancelled(error: unknown): never {
  if (error instanceof PreviewCancelled) throw new TRPCError({ code: "CLIENT_CLOSED_REQUEST", message: error.message });
  throw error;
}

export const segmentsRouter = router({
  list: viewerProcedure
    .input(
      z.object({
        search: z.string().trim().max(200).optional(),
        archived: z.boolean().default(false),
        cursor: z.string().max(64).nullish(),
        limit: z.number().int().min(1).max(100).default(50),
        /** Each segment's 30-day history and who uses it (the segments page); pickers pass false. */
        stats: z.boolean().default(true),
      }),
    )
    .query(({ ctx, input }) => listSegments(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  get: viewerProcedure.input(z.object({ id: ZId })).query(async ({ ctx, input }) => {
    const segment = await getSegment(ctx.db, ctx.workspaceId, input.id);
    if (!segment) throw new TRPCError({ code: "NOT_FOUND", message: "This segment does not exist." });
    return { ...segment, dependents: await dependentsOf(ctx.db, ctx.workspaceId, segment.id) };
  }),
  create: marketerProcedure.input(ZSegmentFields).mutation(async ({ ctx, input }) => {
    const segment = await createSegment(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input });
    segmentsChanged(ctx.workspaceId);
    await queueSegmentRefresh(ctx.workspaceId, segment.id);
    return { id: segment.id };
  }),
  update: marketerProcedure.input(ZSegmentFields.extend({ id: ZId })).mutation(async ({ ctx, input }) => {
    const { id, ...fields } = input;
    const segment = await updateSegment(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, segmentId: id, ...fields });
    await queueSegmentRefresh(ctx.workspaceId, segment.id);
    return { id: segment.id, updatedAt: segment.updatedAt };
  }),
  setArchived: marketerProcedure
    .input(z.object({ id: ZId, archived: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const segment = await setSegmentArchived(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, segmentId: input.id, archived: input.archived });
      segmentsChanged(ctx.workspaceId);
      return segment;
    }),
  delete: marketerProcedure
    .input(z.object({ id: ZId }))
    .mutation(({ ctx, input }) => deleteSegment(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, segmentId: input.id })),
  history: viewerProcedure
    .input(z.object({ id: ZId, days: z.number().int().min(1).max(365).default(30) }))
    .query(({ ctx, input }) => segmentHistory(ctx.db, { workspaceId: ctx.workspaceId, segmentId: input.id, days: input.days })),

  /**
   * The threshold helper: people per number of times they performed an event condition's
   * event (0 … max+), validated as a one-condition definition (errors name `definition.root.children.0…`).
   */
  histogram: viewerProcedure
    .input(z.object({ definition: ZValidDefinition, max: z.number().int().min(2).max(50).default(10) }))
    .query(({ ctx, input, signal }) => {
      const [condition] = input.definition.root.children;
      if (input.definition.root.children.length !== 1 || condition?.type !== "event") {
        throw new TRPCError({ code: "BAD_REQUEST", message: "The histogram needs a definition with exactly one event condition." });
      }
      return eventHistogram(ctx.db, { workspaceId: ctx.workspaceId, condition: condition as EventCondition, now: new Date(), max: input.max, signal, exactBelow: env().PREVIEW_EXACT_BELOW }).catch(cancelled);
    }),
  /** Pairwise overlap of 2–8 saved segments (materialised membership), and who is in none. */
  overlap: viewerProcedure
    .input(z.object({ ids: z.array(ZId).min(2, { message: "Pick at least two segments" }).max(8, { message: "Pick at most eight segments" }) }))
    .query(({ ctx, input }) => segmentOverlap(ctx.db, { workspaceId: ctx.workspaceId, segmentIds: input.ids })),
  overlapMembers: viewerProcedure
    .input(z.object({ a: ZId, b: ZId, cursor: z.string().max(64).nullish(), limit: z.number().int().min(1).max(100).default(20) }))
    .query(({ ctx, input }) => overlapMembers(ctx.db, { workspaceId: ctx.workspaceId, a: input.a, b: input.b, after: input.cursor ?? undefined, limit: input.limit })),

  /** "Test a profile": whether one person matches a (draft) definition now, with the trace of every node. */
  explain: viewerProcedure.input(z.object({ profileId: ZId, definition: ZValidDefinition })).query(async ({ ctx, input }) => {
    const [result] = (await explainProfile(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId, definitions: [input.definition], now: new Date() })) ?? [];
    if (!result) throw new TRPCError({ code: "NOT_FOUND", message: "This profile does not exist." });
    return result;
  }),
  /** A person's current segments (the profile page's Segments tab), each with why they match now. */
  forProfile: viewerProcedure.input(z.object({ profileId: ZId })).query(async ({ ctx, input }) => {
    const segments = await profileSegments(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId });
    const explanations = await explainProfile(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId, definitions: segments.map((s) => s.definition), now: new Date() });
    return segments.map((s, i) => ({ ...s, explanation: explanations?.[i] ?? null }));
  }),

  /** Trait keys with types and common values, for the builder's autocomplete. */
  traitKeys: viewerProcedure.query(({ ctx }) => traitKeys(ctx.db, ctx.workspaceId)),

  // Previews: any viewer may preview a definition, saved or not.
  estimate: viewerProcedure
    .input(z.object({ definition: ZValidDefinition, key: ZPreviewKey }))
    .query(async ({ ctx, input, signal }) => {
      // A new estimate means the definition changed: the exact count still running for the old one is obsolete.
      if (input.key) await cancelPreview(`${input.key}:exact`, input.definition);
      return estimateCount(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), key: input.key && `${input.key}:estimate`, signal, exactBelow: env().PREVIEW_EXACT_BELOW }).catch(cancelled);
    }),
  exact: viewerProcedure
    .input(z.object({ definition: ZValidDefinition, key: ZPreviewKey }))
    .query(({ ctx, input, signal }) =>
      exactCount(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), key: input.key && `${input.key}:exact`, signal, exactBelow: env().PREVIEW_EXACT_BELOW }).catch(cancelled),
    ),
  members: viewerProcedure
    .input(z.object({ definition: ZValidDefinition, cursor: z.string().max(64).nullish(), limit: z.number().int().min(1).max(100).default(20) }))
    .query(({ ctx, input, signal }) =>
      segmentMembers(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), after: input.cursor ?? undefined, limit: input.limit, signal, exactBelow: env().PREVIEW_EXACT_BELOW }).catch(
        cancelled,
      ),
    ),
});
