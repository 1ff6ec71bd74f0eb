import "server-only";
import { forbidden, redirect } from "next/navigation";
import { can, PERMISSIONS, type Action } from "@/lib/auth/roles";
import { Refusal } from "@/server/http/api";
import { unsafeRequestProblem } from "@/server/http/csrf";
import { currentViewer, resolveViewer } from "./session";

/**
 * Who may go on, for pages and route handlers, by the one permission map
 * (lib/auth/roles.ts). tRPC procedures have theirs in server/api/trpc.ts (`procedureFor`);
 * the secret-key API in server/keys/secret-key.ts.
 */

/** For pages: signed in, a member, and allowed to do `action` — otherwise a real 403 page. */
export async function requirePageAccess(action: Action) {
  const viewer = await currentViewer();
  if (!viewer) redirect("/login");
  if (!viewer.membership || !can(viewer.membership.role, action)) forbidden();
  return { ...viewer, membership: viewer.membership };
}

/**
 * For route handlers outside tRPC, with the session cookie: a change arrives only as a
 * same-origin JSON POST (server/http/csrf.ts) from a signed-in member allowed to do
 * `action`. Otherwise a `Refusal` (answered by `apiHandler`): 401 not signed in, 403 not
 * a member or not allowed, 405/415/403 for a request that is not such a POST.
 */
export async function requireRouteAccess(req: Request, action: Action) {
  const problem = unsafeRequestProblem(req);
  if (problem) throw new Refusal(problem.status, problem.message);
  const viewer = await resolveViewer(req.headers);
  if (!viewer) throw new Refusal(401, "Please sign in.");
  if (!viewer.membership) throw new Refusal(403, "You are not a member of any workspace.");
  if (!can(viewer.membership.role, action)) throw new Refusal(403, `This needs the ${PERMISSIONS[action]} role; you are ${viewer.membership.role}.`);
  return {
    user: viewer.user,
    workspaceId: viewer.membership.workspaceId,
    actor: { userId: viewer.user.id, label: viewer.user.email },
  };
}
