import { z } from "zod";
import { ZMessageChannel, ZPartialBody, ZPartialName, ZTemplateContent, ZTemplateName } from "@/lib/messages/schema";
import { STORABLE, UNSTORABLE_MESSAGE, MAX_JSON_DEPTH, findUnstorable } from "@/lib/storable";
import { procedureFor, router } from "@/server/api/trpc";
import { ZTextCursor } from "@/server/db/keyset";
import { DELIVERY_STATUSES, getDelivery, listDeliveries, retryJourneySend } from "@/server/messages/deliveries";
import { previewTemplate, sendTemplateTest } from "@/server/messages/send";
import {
  createTemplate,
  deletePartial,
  deleteTemplate,
  duplicateTemplate,
  getTemplate,
  listPartials,
  listTemplates,
  savePartial,
  saveTemplate,
} from "@/server/messages/templates";

const read = procedureFor("workspace.read");
const edit = procedureFor("messages.edit");
const ZId = z.string().min(1).max(64);

/** An example event for the preview: a name and properties as the tracking API would store them. */
const ZExampleEvent = z
  .object({
    name: z.string().trim().min(1, { message: "is required" }).max(200).regex(STORABLE, { message: UNSTORABLE_MESSAGE }),
    properties: z.record(z.string(), z.unknown()),
  })
  .superRefine((value, ctx) => {
    const problem = findUnstorable(value.properties, MAX_JSON_DEPTH);
    if (problem) ctx.addIssue({ code: "custom", path: ["properties", ...problem.path], message: problem.message });
  });

export const messagesRouter = router({
  list: read
    .input(z.object({ channel: ZMessageChannel.optional(), search: z.string().trim().max(200).optional() }))
    .query(({ ctx, input }) => listTemplates(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  get: read.input(z.object({ id: ZId })).query(({ ctx, input }) => getTemplate(ctx.db, { workspaceId: ctx.workspaceId, id: input.id })),
  create: edit
    .input(z.object({ name: ZTemplateName, channel: ZMessageChannel }))
    .mutation(({ ctx, input }) => createTemplate(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  save: edit
    .input(z.object({ id: ZId, name: ZTemplateName, content: ZTemplateContent }))
    .mutation(({ ctx, input }) => saveTemplate(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  duplicate: edit.input(z.object({ id: ZId })).mutation(({ ctx, input }) => duplicateTemplate(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, id: input.id })),
  delete: edit.input(z.object({ id: ZId })).mutation(({ ctx, input }) => deleteTemplate(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, id: input.id })),
  /**
   * Renders unsaved content for a person; any member may look. A mutation only because a
   * template (up to 200 KB of HTML) does not fit in a GET's URL; it changes nothing.
   */
  preview: read
    .input(z.object({ content: ZTemplateContent, profileId: ZId.nullish(), event: ZExampleEvent.nullish() }))
    .mutation(({ ctx, input }) => previewTemplate(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  sendTest: edit
    .input(
      z.object({
        templateId: ZId,
        channelId: ZId,
        to: z.string().trim().min(1, { message: "is required" }).max(2_000).regex(STORABLE, { message: UNSTORABLE_MESSAGE }),
        profileId: ZId.nullish(),
        event: ZExampleEvent.nullish(),
        /** Email: which of the channel's senders (default the first). */
        sender: z.number().int().min(0).max(19).optional(),
      }),
    )
    .mutation(({ ctx, input }) => sendTemplateTest(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),

  partials: read.query(({ ctx }) => listPartials(ctx.db, ctx.workspaceId)),
  savePartial: edit
    .input(z.object({ id: ZId.optional(), name: ZPartialName, body: ZPartialBody }))
    .mutation(({ ctx, input }) => savePartial(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  deletePartial: edit.input(z.object({ id: ZId })).mutation(({ ctx, input }) => deletePartial(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, id: input.id })),

  deliveries: read
    .input(
      z.object({
        channel: ZMessageChannel.optional(),
        status: z.enum(DELIVERY_STATUSES).optional(),
        profileId: ZId.optional(),
        journeyId: ZId.optional(),
        recipient: z.string().trim().max(320).regex(STORABLE, { message: UNSTORABLE_MESSAGE }).optional(),
        from: z.date().optional(),
        to: z.date().optional(),
        cursor: ZTextCursor.nullish(),
        limit: z.number().int().min(1).max(100).default(50),
      }),
    )
    .query(({ ctx, input }) => listDeliveries(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  delivery: read.input(z.object({ id: ZId })).query(({ ctx, input }) => getDelivery(ctx.db, { workspaceId: ctx.workspaceId, id: input.id })),
  /** The dead-letter list's Retry: a failed (or unknown) journey send is queued again. Whoever may build journeys may. */
  retryDelivery: procedureFor("journeys.publish")
    .input(z.object({ id: ZId }))
    .mutation(({ ctx, input }) => retryJourneySend(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, id: input.id })),
});
