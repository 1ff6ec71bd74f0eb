import { z } from "zod";
import { procedureFor, router } from "@/server/api/trpc";
import { listDemoInbox, readDemoInbox } from "@/server/demo/inbox";
import { isInboxId } from "@/server/demo/inbox-store";

/** Messages → Demo inbox (demo mode only: elsewhere NOT_FOUND, decided in the service). Any member may read it. */
const read = procedureFor("workspace.read");
const ZId = z.string().refine(isInboxId, { message: "is not a demo inbox message" });

const ZMeta = z.object({
  id: z.string(),
  receivedAt: z.date(),
  from: z.string(),
  to: z.string(),
  subject: z.string().nullable(),
  date: z.date().nullable(),
  messageId: z.string().nullable(),
  envelope: z.object({ from: z.string().nullable(), to: z.array(z.string()) }),
  size: z.number(),
});

export const demoInboxRouter = router({
  list: read
    .input(z.object({ cursor: ZId.nullish(), limit: z.number().int().min(1).max(100).default(50) }))
    .output(z.object({ items: z.array(ZMeta), nextCursor: z.string().nullable(), total: z.number() }))
    .query(({ input }) => listDemoInbox(input)),
  get: read
    .input(z.object({ id: ZId }))
    .output(
      ZMeta.extend({
        headers: z.array(z.object({ name: z.string(), value: z.string() })),
        html: z.string().nullable(),
        text: z.string().nullable(),
        attachments: z.array(z.object({ filename: z.string().nullable(), contentType: z.string(), size: z.number() })),
      }),
    )
    .query(({ input }) => readDemoInbox(input.id)),
});
