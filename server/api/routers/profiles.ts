import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, marketerProcedure, router, viewerProcedure } from "../trpc";
import { importProfiles } from "../../profiles/import";
import { IMPORT_CHUNK_ROWS, ZImportRow } from "../../../lib/profiles/csv-import";
import { deletePerson } from "../../profiles/gdpr";
import { PROFILE_SELECT, listProfileEvents, searchProfiles } from "../../profiles/service";
import { ZBigintCursor, ZTextCursor } from "../../db/keyset";

export const profilesRouter = router({
  list: viewerProcedure
    .input(
      z.object({
        search: z.string().trim().max(200).optional(),
        cursor: ZTextCursor.nullish(),
        limit: z.number().int().min(1).max(100).default(25),
      }),
    )
    .query(({ ctx, input }) => searchProfiles(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  get: viewerProcedure.input(z.object({ id: z.string().min(1).max(100) })).query(async ({ ctx, input }) => {
    const profile = await ctx.db.profile.findFirst({ where: { id: input.id, workspaceId: ctx.workspaceId }, select: PROFILE_SELECT });
    if (!profile) throw new TRPCError({ code: "NOT_FOUND", message: "This profile does not exist (it may have been merged or deleted)." });
    const eventCount = await ctx.db.event.count({ where: { profileId: profile.id } });
    return { ...profile, eventCount };
  }),
  events: viewerProcedure
    .input(
      z.object({
        profileId: z.string().min(1).max(100),
        name: z.string().max(200).nullish(),
        cursor: ZBigintCursor.nullish(),
        limit: z.number().int().min(1).max(100).default(30),
      }),
    )
    .query(async ({ ctx, input }) => {
      const owned = await ctx.db.profile.count({ where: { id: input.profileId, workspaceId: ctx.workspaceId } });
      if (!owned) throw new TRPCError({ code: "NOT_FOUND", message: "This profile does not exist." });
      const page = await listProfileEvents(ctx.db, {
        profileId: input.profileId,
        limit: input.limit,
        name: input.name,
        before: input.cursor,
      });
      return { events: page.events.map((e) => ({ ...e, id: e.id.toString() })), nextCursor: page.nextCursor };
    }),
  eventNames: viewerProcedure.input(z.object({ profileId: z.string().min(1).max(100) })).query(async ({ ctx, input }) => {
    const rows = await ctx.db.event.groupBy({
      by: ["name"],
      where: { profileId: input.profileId, workspaceId: ctx.workspaceId, name: { not: null } },
      _count: { _all: true },
      orderBy: { _count: { name: "desc" } },
      take: 100,
    });
    return rows.map((r) => ({ name: r.name!, count: r._count._all }));
  }),
  /** GDPR erasure: admin only, audited, leaves hashed suppression records. */
  delete: adminProcedure
    .input(z.object({ id: z.string().min(1).max(100) }))
    .mutation(({ ctx, input }) => deletePerson(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, profileId: input.id })),
  /** One chunk of a CSV import; the client parses the file and reports progress. */
  importRows: marketerProcedure
    .input(
      z.object({
        importId: z.string().min(8).max(64),
        fileName: z.string().max(200),
        rows: z.array(ZImportRow).min(1).max(IMPORT_CHUNK_ROWS),
      }),
    )
    .mutation(({ ctx, input }) => importProfiles(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
});
