import { z } from "zod";
import { ZSmtpSettings } from "@/lib/channels/schema";
import { procedureFor, router } from "@/server/api/trpc";
import { deleteChannel, listChannels, saveEmailChannel, sendTestEmail, testEmailChannel } from "@/server/channels/service";

const ZId = z.string().min(1).max(64);
/** A new secret (write-only): absent keeps the stored one, null removes it. */
const ZPassword = z.string().min(1, { message: "is required (or leave it unchanged)" }).max(1_000).nullish();
const manage = procedureFor("channels.manage");

/** What any member may see of a channel: never a secret's value (declared, so none can slip in). */
const ZChannelView = z.object({
  id: z.string(),
  kind: z.literal("email"),
  name: z.string(),
  settings: ZSmtpSettings,
  secrets: z.array(z.object({ name: z.string(), set: z.literal(true), hint: z.string().nullable(), updatedAt: z.date() })),
  lastTest: z.object({ at: z.date(), ok: z.boolean(), message: z.string() }).nullable(),
  updatedAt: z.date(),
});
const ZOutcome = z.object({ ok: z.boolean(), message: z.string() });

export const channelsRouter = router({
  list: procedureFor("workspace.read").output(z.array(ZChannelView)).query(({ ctx }) => listChannels(ctx.db, ctx.workspaceId)),
  saveEmail: manage
    .input(z.object({ id: ZId.optional(), name: z.string().trim().min(1, { message: "is required" }).max(80), settings: ZSmtpSettings, password: ZPassword }))
    .output(ZChannelView)
    .mutation(({ ctx, input }) => saveEmailChannel(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  testEmail: manage
    .input(z.object({ id: ZId.optional(), settings: ZSmtpSettings, password: ZPassword }))
    .output(ZOutcome)
    .mutation(({ ctx, input }) => testEmailChannel(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  sendTestEmail: manage
    .input(z.object({ id: ZId, to: z.email({ message: "must be an email address" }), sender: z.number().int().min(0).max(19).optional() }))
    .output(ZOutcome)
    .mutation(({ ctx, input }) => sendTestEmail(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  delete: manage.input(z.object({ id: ZId })).mutation(({ ctx, input }) => deleteChannel(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, id: input.id })),
});
