import { z } from "zod";
import { requireSecretKey } from "@/server/api/secret-key";
import { db } from "@/server/db";
import { findProfileById, listProfileEvents } from "@/server/profiles/service";
import { ZBigintCursor } from "@/server/db/keyset";

const ZQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: ZBigintCursor.optional(),
  event: z.string().max(200).optional(),
});

export async function GET(req: Request, { params }: { params: Promise<{ userId: string }> }) {
  const auth = await requireSecretKey(req);
  if (auth instanceof Response) return auth;
  const query = ZQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!query.success) {
    const issue = query.error.issues[0]!;
    return Response.json({ error: `${issue.path.join(".")}: ${issue.message}` }, { status: 400 });
  }
  const { userId } = await params;
  const profile = await findProfileById(db(), auth.workspaceId, decodeURIComponent(userId));
  if (!profile) return Response.json({ error: "no profile with this id" }, { status: 404 });
  const page = await listProfileEvents(db(), { profileId: profile.id, limit: query.data.limit, before: query.data.before, name: query.data.event });
  return Response.json(
    {
      events: page.events.map((e) => ({ ...e, id: e.id.toString() })),
      next: page.nextCursor,
    },
    { headers: { "cache-control": "no-store" } },
  );
}
