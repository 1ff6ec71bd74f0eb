import "server-only";
import { forbidden, redirect } from "next/navigation";
import { hasRole, type Role } from "../../lib/auth/roles";
import { currentViewer, resolveViewer } from "./session";

/** For pages: signed in, a member, and at least `role` — otherwise a real 403 page. */
export async function requirePageRole(role: Role) {
  const viewer = await currentViewer();
  if (!viewer) redirect("/login");
  if (!viewer.membership || !hasRole(viewer.membership.role, role)) forbidden();
  return { ...viewer, membership: viewer.membership };
}

/**
 * For route handlers outside tRPC: the signed-in member with at least `role`, or the
 * response to send instead (401 not signed in, 403 not a member or not enough).
 */
export async function requireRouteRole(req: Request, role: Role, refusal: string) {
  const viewer = await resolveViewer(req.headers);
  if (!viewer) return Response.json({ error: "Please sign in." }, { status: 401 });
  if (!viewer.membership || !hasRole(viewer.membership.role, role)) return Response.json({ error: refusal }, { status: 403 });
  return { ...viewer, membership: viewer.membership };
}
