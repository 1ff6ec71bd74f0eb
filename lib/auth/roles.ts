import { z } from "zod";

/** Workspace roles, weakest first. Each role can do everything the ones before it can. */
export const ROLES = ["viewer", "marketer", "admin"] as const;
export const ZRole = z.enum(ROLES);
export type Role = z.infer<typeof ZRole>;

export const ROLE_LABELS: Record<Role, string> = {
  viewer: "Viewer",
  marketer: "Marketer",
  admin: "Admin",
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: "Can open segments, journeys and profiles and preview sizes. Cannot change anything.",
  marketer: "Can build and publish segments and journeys.",
  admin: "Can also manage members, API keys, channel credentials and workspace settings.",
};

/** True when `role` is at least `required`. */
export function hasRole(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}
