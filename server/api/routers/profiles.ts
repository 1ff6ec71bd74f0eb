import { z } from "zod";
import { procedureFor, router } from "@/server/api/trpc";
import { importProfiles } from "@/server/profiles/import";
import { IMPORT_CHUNK_ROWS, ZImportRow } from "@/lib/profiles/csv-import";
import { deletePerson } from "@/server/profiles/gdpr";
import { getProfile, listProfileEvents, profileEventNames, searchProfiles } from "@/server/profiles/service";
import { ZBigintCursor, ZTextCursor } from "@/server/db/keyset";
import { listProfileDevices } from "@/server/devices/service";

const read = procedureFor("workspace.read");
const ZProfileId = z.string().min(1).max(100);

export const profilesRouter = router({
  list: read
    .input(
      z.object({
        search: z.string().trim().max(200).optional(),
        cursor: ZTextCursor.nullish(),
        limit: z.number().int().min(1).max(100).default(25),
      }),
    )
    .query(({ ctx, input }) => searchProfiles(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  get: read.input(z.object({ id: ZProfileId })).query(({ ctx, input }) => getProfile(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.id })),
  events: read
    .input(
      z.object({
        profileId: ZProfileId,
        name: z.string().max(200).nullish(),
        cursor: ZBigintCursor.nullish(),
        limit: z.number().int().min(1).max(100).default(30),
      }),
    )
    .query(({ ctx, input }) =>
      listProfileEvents(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId, limit: input.limit, name: input.name, before: input.cursor }),
    ),
  eventNames: read
    .input(z.object({ profileId: ZProfileId }))
    .query(({ ctx, input }) => profileEventNames(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId })),
  /** Push devices, tokens shortened: the output schema keeps anything more from reaching the browser. */
  devices: read
    .input(z.object({ profileId: ZProfileId }))
    .output(
      z.object({
        devices: z.array(z.object({ id: z.string(), kind: z.string(), platform: z.string().nullable(), token: z.string().max(60), createdAt: z.date(), lastSeenAt: z.date() })),
        more: z.boolean(),
      }),
    )
    .query(({ ctx, input }) => listProfileDevices(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId })),
  /** GDPR erasure: admin only, audited, leaves hashed suppression records. */
  delete: procedureFor("profiles.privacy")
    .input(z.object({ id: ZProfileId }))
    .mutation(({ ctx, input }) => deletePerson(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, profileId: input.id })),
  /** One chunk of a CSV import; the client parses the file and reports progress. */
  importRows: procedureFor("profiles.import")
    .input(
      z.object({
        importId: z.string().min(8).max(64),
        fileName: z.string().max(200),
        rows: z.array(ZImportRow).min(1).max(IMPORT_CHUNK_ROWS),
      }),
    )
    .mutation(({ ctx, input }) => importProfiles(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
});
