import { z } from "zod";
import { ZConsentChannel, ZGroupId, ZPurpose, ZSubscriptionGroupInput, ZSubscriptionGroupUpdate, ZSubscriptionMode } from "@/lib/consent/schema";
import { procedureFor, router } from "@/server/api/trpc";
import { ZTextCursor } from "@/server/db/keyset";
import { consentHistory, createGroup, deleteGroup, listGroups, profileConsent, setSubscriptions, updateGroup } from "@/server/consent/service";

const read = procedureFor("workspace.read");
const manage = procedureFor("consent.manage");
const ZProfileId = z.string().min(1).max(100);

const ZGroupView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  channel: ZConsentChannel,
  mode: ZSubscriptionMode,
  purpose: ZPurpose,
  createdAt: z.date(),
  updatedAt: z.date(),
});
const ZState = z.object({ group: ZGroupView, subscribed: z.boolean(), explicit: z.boolean(), updatedAt: z.date().nullable() });

export const consentRouter = router({
  /** Settings → Subscriptions, pickers and the profile page: every group, with how many answered each way. */
  groups: read
    .output(z.array(ZGroupView.extend({ answered: z.object({ subscribed: z.number(), unsubscribed: z.number() }) })))
    .query(({ ctx }) => listGroups(ctx.db, ctx.workspaceId)),
  createGroup: manage
    .input(ZSubscriptionGroupInput)
    .output(ZGroupView)
    .mutation(({ ctx, input }) => createGroup(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, group: input })),
  updateGroup: manage
    .input(ZSubscriptionGroupUpdate.extend({ id: ZGroupId }))
    .output(ZGroupView)
    .mutation(({ ctx, input: { id, ...group } }) => updateGroup(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, groupId: id, group })),
  deleteGroup: manage
    .input(z.object({ id: ZGroupId }))
    .mutation(({ ctx, input }) => deleteGroup(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, groupId: input.id })),
  /** One person's state for every group (their answer, or the default). */
  forProfile: read
    .input(z.object({ profileId: ZProfileId }))
    .output(z.array(ZState))
    .query(({ ctx, input }) => profileConsent(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId })),
  /** Where and when the person gave or withdrew consent, newest first. */
  history: read
    .input(z.object({ profileId: ZProfileId, cursor: ZTextCursor.nullish(), limit: z.number().int().min(1).max(100).default(20) }))
    .output(
      z.object({
        records: z.array(z.object({ id: z.string(), groupId: z.string(), groupName: z.string(), subscribed: z.boolean(), source: z.string(), textVersion: z.string().nullable(), at: z.date() })),
        nextCursor: z.string().nullable(),
      }),
    )
    .query(({ ctx, input }) => consentHistory(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId, limit: input.limit, before: input.cursor })),
  /** A member changes one person's answer (source "admin", the member recorded in the audit log). */
  set: procedureFor("consent.change")
    .input(z.object({ profileId: ZProfileId, groupId: ZGroupId, subscribed: z.boolean() }))
    .output(z.object({ changed: z.number(), states: z.array(ZState) }))
    .mutation(({ ctx, input }) =>
      setSubscriptions(ctx.db, { workspaceId: ctx.workspaceId, profileId: input.profileId, changes: [{ groupId: input.groupId, subscribed: input.subscribed }], source: "admin", actor: ctx.actor }),
    ),
});
