import { z } from "zod";
import { procedureFor, router } from "@/server/api/trpc";
import { ZValidDefinition } from "@/lib/segments/schema";
import { createSegment, deleteSegment, getSegment, listSegments, setSegmentArchived, updateSegment } from "@/server/segments/service";
import { estimateCount, eventHistogram, exactCount, segmentMembers } from "@/server/segments/preview";
import {
  overlapMembers,
  profileMembershipHistory,
  profileSegmentsExplained,
  segmentHistory,
  segmentMembershipChanges,
  segmentOverlap,
  testProfile,
} from "@/server/segments/membership";
import { fieldValues, traitKeys } from "@/server/profiles/traits";

const read = procedureFor("workspace.read");
const save = procedureFor("segments.save");

const ZId = z.string().min(1).max(64);
/** A page of membership history goes on before this row id (the `nextCursor` of the page before). */
const ZHistoryCursor = z.string().regex(/^\d{1,18}$/, { message: "is not a cursor of this list" });
const ZSegmentFields = z.object({
  name: z.string().trim().min(1, { message: "Give the segment a name" }).max(120, { message: "Keep the name under 120 characters" }),
  description: z.string().max(2_000).default(""),
  definition: ZValidDefinition,
});
/** The builder tab's stream of previews: a newer one cancels the older one still running (server/segments/preview.ts). */
const ZPreviewKey = z.string().min(8).max(100).optional();

export const segmentsRouter = router({
  list: read
    .input(
      z.object({
        search: z.string().trim().max(200).optional(),
        includeArchived: z.boolean().default(false),
        cursor: z.string().max(64).nullish(),
        limit: z.number().int().min(1).max(100).default(50),
        /** Each segment's 30-day history and who uses it (the segments page); pickers pass false. */
        stats: z.boolean().default(true),
      }),
    )
    .query(({ ctx, input }) => listSegments(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  get: read.input(z.object({ id: ZId })).query(({ ctx, input }) => getSegment(ctx.db, ctx.workspaceId, input.id)),
  create: save.input(ZSegmentFields).mutation(async ({ ctx, input }) => {
    const segment = await createSegment(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input });
    return { id: segment.id };
  }),
  update: save.input(ZSegmentFields.extend({ id: ZId })).mutation(async ({ ctx, input: { id, ...fields } }) => {
    const segment = await updateSegment(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, segmentId: id, ...fields });
    return { id: segment.id, updatedAt: segment.updatedAt };
  }),
  setArchived: save
    .input(z.object({ id: ZId, archived: z.boolean() }))
    .mutation(({ ctx, input }) => setSegmentArchived(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, segmentId: input.id, archived: input.archived })),
  delete: save
    .input(z.object({ id: ZId }))
    .mutation(({ ctx, input }) => deleteSegment(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, segmentId: input.id })),
  history: read
    .input(z.object({ id: ZId, days: z.number().int().min(1).max(365).default(30) }))
    .query(({ ctx, input }) => segmentHistory(ctx.db, { workspaceId: ctx.workspaceId, segmentId: input.id, days: input.days })),

  /** The segment's latest entries and exits, newest first (the segment page). */
  changes: read
    .input(z.object({ id: ZId, change: z.enum(["entered", "exited"]).optional(), cursor: ZHistoryCursor.nullish(), limit: z.number().int().min(1).max(100).default(20) }))
    .query(({ ctx, input }) =>
      segmentMembershipChanges(ctx.db, { workspaceId: ctx.workspaceId, segmentId: input.id, change: input.change, before: input.cursor ?? undefined, limit: input.limit }),
    ),
  /** A person's entries and exits, newest first (the profile's Segments tab timeline). */
  profileHistory: read
    .input(z.object({ profileId: ZId, cursor: ZHistoryCursor.nullish(), limit: z.number().int().min(1).max(100).default(20) }))
    .query(({ ctx, input }) => profileMembershipHistory(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId, before: input.cursor ?? undefined, limit: input.limit })),

  /**
   * The threshold helper: people per number of times they performed an event condition's
   * event (0 … max+), validated as a one-condition definition (errors name `definition.root.children.0…`).
   */
  histogram: read
    .input(z.object({ definition: ZValidDefinition, max: z.number().int().min(2).max(50).default(10), exact: z.boolean().default(false) }))
    .query(({ ctx, input, signal }) => eventHistogram(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), max: input.max, exact: input.exact, signal })),
  /** Pairwise overlap of 2–8 saved segments (materialised membership), and who is in none. */
  overlap: read
    .input(z.object({ ids: z.array(ZId).min(2, { message: "Pick at least two segments" }).max(8, { message: "Pick at most eight segments" }) }))
    .query(({ ctx, input }) => segmentOverlap(ctx.db, { workspaceId: ctx.workspaceId, segmentIds: input.ids })),
  overlapMembers: read
    .input(z.object({ a: ZId, b: ZId, cursor: z.string().max(64).nullish(), limit: z.number().int().min(1).max(100).default(20) }))
    .query(({ ctx, input }) => overlapMembers(ctx.db, { workspaceId: ctx.workspaceId, a: input.a, b: input.b, after: input.cursor ?? undefined, limit: input.limit })),

  /** "Test a profile": whether one person matches a (draft) definition now, with the trace of every node. */
  explain: read
    .input(z.object({ profileId: ZId, definition: ZValidDefinition }))
    .query(({ ctx, input }) => testProfile(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId, definition: input.definition, now: new Date() })),
  /** A person's current segments (the profile page's Segments tab), each with why they match now. */
  forProfile: read
    .input(z.object({ profileId: ZId }))
    .query(({ ctx, input }) => profileSegmentsExplained(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId, now: new Date() })),

  /** Trait keys with types and common values, for the builder's autocomplete. */
  traitKeys: read.query(({ ctx }) => traitKeys(ctx.db, ctx.workspaceId)),
  /** Common values of the built-in fields (country, timezone, locale), for suggestions. */
  fieldValues: read.query(({ ctx }) => fieldValues(ctx.db, ctx.workspaceId)),

  // Previews: any viewer may preview a definition, saved or not.
  estimate: read
    .input(z.object({ definition: ZValidDefinition, key: ZPreviewKey }))
    .query(({ ctx, input, signal }) => estimateCount(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), stream: input.key, signal })),
  exact: read
    .input(z.object({ definition: ZValidDefinition, key: ZPreviewKey }))
    .query(({ ctx, input, signal }) => exactCount(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), stream: input.key, signal })),
  members: read
    .input(z.object({ definition: ZValidDefinition, cursor: z.string().max(64).nullish(), limit: z.number().int().min(1).max(100).default(20) }))
    .query(({ ctx, input, signal }) =>
      segmentMembers(ctx.db, { workspaceId: ctx.workspaceId, definition: input.definition, now: new Date(), after: input.cursor ?? undefined, limit: input.limit, signal }),
    ),
});
