import "server-only";
import { forbidden, redirect } from "next/navigation";
import { hasRole, type Role } from "../../lib/auth/roles";
import { currentViewer } from "./session";

/** For pages: signed in, a member, and at least `role` — otherwise a real 403 page. */
export async function requirePageRole(role: Role) {
  const viewer = await currentViewer();
  if (!viewer) redirect("/login");
  if (!viewer.membership || !hasRole(viewer.membership.role, role)) forbidden();
  return { ...viewer, membership: viewer.membership };
}
