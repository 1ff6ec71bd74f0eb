import { requireSecretKey } from "@/server/api/secret-key";
import { db } from "@/server/db";
import { findProfileById } from "@/server/profiles/service";

export async function GET(req: Request, { params }: { params: Promise<{ userId: string }> }) {
  const auth = await requireSecretKey(req);
  if (auth instanceof Response) return auth;
  const { userId } = await params;
  const profile = await findProfileById(db(), auth.workspaceId, decodeURIComponent(userId));
  if (!profile) return Response.json({ error: "no profile with this id" }, { status: 404 });
  return Response.json(profile, { headers: { "cache-control": "no-store" } });
}
