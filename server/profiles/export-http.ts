import "server-only";
import { db } from "../db";
import { rejectUnsafeRequest } from "../api/csrf";
import { requireRouteRole } from "../auth/guards";
import { apiHandler } from "../http/api";
import { DomainError } from "../workspaces/service";
import { exportPerson } from "./gdpr";

/**
 * POST /api/profiles/{id}/export: the GDPR export of one person as a JSON download, for
 * admins (session cookie). A POST with a JSON body from our own origin only (the CSRF
 * guard of tRPC): another site can make a browser navigate to a URL, but not send this.
 */
export function handleProfileExport(req: Request, profileId: string): Promise<Response> {
  return apiHandler(async () => {
    const refused = rejectUnsafeRequest(req);
    if (refused) return refused;
    const viewer = await requireRouteRole(req, "admin", "Exporting a person's data needs the admin role.");
    if (viewer instanceof Response) return viewer;
    try {
      const data = await exportPerson(db(), {
        workspaceId: viewer.membership.workspaceId,
        actor: { userId: viewer.user.id, label: viewer.user.email },
        profileId,
      });
      const body = JSON.stringify(data, (_key, value) => (typeof value === "bigint" ? value.toString() : value), 2);
      return new Response(body, {
        headers: {
          "content-type": "application/json; charset=utf-8",
          "content-disposition": `attachment; filename="profile-${profileId.replace(/[^\w-]/g, "")}.json"`,
          "cache-control": "no-store",
        },
      });
    } catch (error) {
      if (error instanceof DomainError) return Response.json({ error: error.message }, { status: 404 });
      throw error;
    }
  });
}
