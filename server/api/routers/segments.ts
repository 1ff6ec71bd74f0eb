import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { marketerProcedure, router, viewerProcedure } from "../trpc";
import { ZValidDefinition } from "../../../lib/segments/schema";
import {
  createSegment,
  deleteSegment,
  dependentsOf,
  getSegment,
  listSegments,
  setSegmentArchived,
  updateSegment,
} from "../../segments/service";
import { estimateCount, exactCount, PreviewCancelled, segmentMembers } from "../../segments/preview";
import { segmentHistory } from "../../segments/membership";
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

  // Previews: any viewer may preview a definition, saved or not.
  estimate: viewerProcedure
    .input(z.object({ definition: ZValidDefinition, key: ZPreviewKey }))
    .query(({ ctx, input, signal }) =>
      estimateCount(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), key: input.key && `${input.key}:estimate`, signal }).catch(cancelled),
    ),
  exact: viewerProcedure
    .input(z.object({ definition: ZValidDefinition, key: ZPreviewKey }))
    .query(({ ctx, input, signal }) =>
      exactCount(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), key: input.key && `${input.key}:exact`, signal }).catch(cancelled),
    ),
  members: viewerProcedure
    .input(z.object({ definition: ZValidDefinition, cursor: z.string().max(64).nullish(), limit: z.number().int().min(1).max(100).default(20) }))
    .query(({ ctx, input, signal }) =>
      segmentMembers(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), after: input.cursor ?? undefined, limit: input.limit, signal }).catch(
        cancelled,
      ),
    ),
});
