import { z } from "zod";
import { ZChannelConfig } from "@/lib/channels/kinds";
import { procedureFor, router } from "@/server/api/trpc";
import { deleteChannel, listChannels, newVapidKeys, saveChannel, sendChannelTest, testChannel } from "@/server/channels/service";

const ZId = z.string().min(1).max(64);
/** New secrets (write-only), by name: absent keeps the stored one, null removes it. */
const ZSecrets = z.record(z.string().max(40), z.string().min(1, { message: "is required (or leave it unchanged)" }).max(20_000).nullable()).optional();
const manage = procedureFor("channels.manage");

/** What any member may see of a channel: never a secret's value (declared, so none can slip in). */
const ZViewFields = {
  id: z.string(),
  name: z.string(),
  secrets: z.array(z.object({ name: z.string(), set: z.literal(true), hint: z.string().nullable(), updatedAt: z.date() })),
  lastTest: z.object({ at: z.date(), ok: z.boolean(), message: z.string() }).nullable(),
  updatedAt: z.date(),
};
const [email, sms, push, webhook, inapp] = ZChannelConfig.options;
const ZChannelView = z.discriminatedUnion("kind", [email.extend(ZViewFields), sms.extend(ZViewFields), push.extend(ZViewFields), webhook.extend(ZViewFields), inapp.extend(ZViewFields)]);
const ZOutcome = z.object({ ok: z.boolean(), message: z.string() });

export const channelsRouter = router({
  list: procedureFor("workspace.read").output(z.array(ZChannelView)).query(({ ctx }) => listChannels(ctx.db, ctx.workspaceId)),
  save: manage
    .input(z.object({ id: ZId.optional(), name: z.string().trim().min(1, { message: "is required" }).max(80), config: ZChannelConfig, secrets: ZSecrets }))
    .output(z.intersection(ZChannelView, z.object({ revealed: z.record(z.string(), z.string()).nullable() })))
    .mutation(({ ctx, input }) => saveChannel(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  test: manage
    .input(z.object({ id: ZId.optional(), config: ZChannelConfig, secrets: ZSecrets }))
    .output(ZOutcome)
    .mutation(({ ctx, input }) => testChannel(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
  sendTest: manage
    .input(z.object({ id: ZId, to: z.string().trim().min(1, { message: "is required" }).max(4_000), sender: z.number().int().min(0).max(19).optional() }))
    .output(ZOutcome)
    .mutation(({ ctx, input }) => sendChannelTest(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
  /** A fresh VAPID key pair for the push form (nothing stored until the channel is saved). */
  vapidKeys: manage.mutation(() => newVapidKeys()),
  delete: manage.input(z.object({ id: ZId })).mutation(({ ctx, input }) => deleteChannel(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, id: input.id })),
});
