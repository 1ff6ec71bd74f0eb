import "server-only";
import { z } from "zod";
import { db } from "../db";
import { requireSecretKey } from "../api/secret-key";
import { ZBigintCursor } from "../db/keyset";
import { apiHandler, json } from "../http/api";
import { isStorableText } from "../../lib/storable";
import { findProfileById, listProfileEvents } from "./service";

/**
 * The profile read API (secret key, Bearer): GET /api/v1/profiles/{id} and …/{id}/events.
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
    if (auth instanceof Response) return auth;
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
    if (auth instanceof Response) return auth;
    const query = ZEventsQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
    if (!query.success) {
      const issue = query.error.issues[0]!;
      return json(400, { error: `${issue.path.join(".")}: ${issue.message}` });
    }
    const profile = await profileFromPath(auth.workspaceId, id);
    if (!profile) return notFound();
    const page = await listProfileEvents(db(), { profileId: profile.id, limit: query.data.limit, before: query.data.before, name: query.data.event });
    return json(200, { events: page.events.map((e) => ({ ...e, id: e.id.toString() })), next: page.nextCursor });
  });
}
