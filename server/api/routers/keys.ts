import { z } from "zod";
import { procedureFor, router } from "@/server/api/trpc";

const manage = procedureFor("keys.manage");
import { createApiKey, listApiKeys, revokeApiKey } from "@/server/keys/service";

export const keysRouter = router({
  list: manage.query(({ ctx }) => listApiKeys(ctx.db, ctx.workspaceId)),
  /** The raw key is in this response once; only its hash is stored. */
  create: manage
    .input(
      z.object({
        name: z.string().trim().min(1, { message: "Give the key a name" }).max(80, { message: "Keep the name under 80 characters" }),
        kind: z.enum(["write", "secret"]),
      }),
    )
    .output(z.object({ id: z.string(), name: z.string(), kind: z.enum(["write", "secret"]), key: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const { key, raw } = await createApiKey(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input });
      return { id: key.id, name: key.name, kind: key.kind, key: raw };
    }),
  revoke: manage
    .input(z.object({ keyId: z.string().min(1) }))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, keyId: input.keyId })),
});
