import "server-only";
import { z } from "zod";
import { db } from "@/server/db";
import { requireSecretKey } from "@/server/keys/secret-key";
import { requireRouteAccess } from "@/server/auth/guards";
import { exportPerson } from "./gdpr";
import { ZBigintCursor } from "@/server/db/keyset";
import { apiHandler, json, parseInput } from "@/server/http/api";
import { isStorableText } from "@/lib/storable";
import { findProfileById, listProfileEvents } from "./service";

/**
 * The profile endpoints: the read API (secret key, Bearer), GET /api/v1/profiles/{id} and
 * …/{id}/events, and the app's GDPR export download (session cookie).
 * `id` is the path segment as Next.js hands it over — decoded once already, so `50%25off`
 * is the user `50%off` (decoding it again would turn `dd%2541` into `ddA`).
 */

/** The profile for a user id or anonymous id from the path, or null (also for ids no profile could have). */
export async function profileFromPath(workspaceId: string, id: string) {
  if (!id || id.length > 256 || !isStorableText(id)) return null;
  return findProfileById(db(), workspaceId, id);
}

const notFound = () => json(404, { error: "no profile with this id" });

export function handleProfile(req: Request, id: string): Promise<Response> {
  return apiHandler(async () => {
    const auth = await requireSecretKey(req);
    const profile = await profileFromPath(auth.workspaceId, id);
    return profile ? json(200, profile) : notFound();
  });
}

const ZEventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: ZBigintCursor.optional(),
  event: z.string().max(200).optional(),
});

export function handleProfileEvents(req: Request, id: string): Promise<Response> {
  return apiHandler(async () => {
    const auth = await requireSecretKey(req);
    const query = parseInput(ZEventsQuery, Object.fromEntries(new URL(req.url).searchParams));
    const profile = await profileFromPath(auth.workspaceId, id);
    if (!profile) return notFound();
    const page = await listProfileEvents(db(), { workspaceId: auth.workspaceId, profileId: profile.id, limit: query.limit, before: query.before, name: query.event });
    return json(200, { events: page.events, next: page.nextCursor });
  });
}

/**
 * POST /api/profiles/{id}/export: the GDPR export of one person as a JSON download, for
 * admins (session cookie). A POST with a JSON body from our own origin only (the CSRF
 * guard of tRPC): another site can make a browser navigate to a URL, but not send this.
 */
export function handleProfileExport(req: Request, profileId: string): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId, actor } = await requireRouteAccess(req, "profiles.privacy");
    const data = await exportPerson(db(), { workspaceId, actor, profileId });
    const body = JSON.stringify(data, (_key, value) => (typeof value === "bigint" ? value.toString() : value), 2);
    return new Response(body, {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="profile-${profileId.replace(/[^\w-]/g, "")}.json"`,
        "cache-control": "no-store",
      },
    });
  });
}
