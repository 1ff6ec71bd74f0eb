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
  marketer: "Can build and publish segments and journeys, and change a person's subscriptions.",
  admin: "Can also manage members, API keys, channel credentials, subscription groups and workspace settings.",
};

/** True when `role` is at least `required`. */
export function hasRole(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/**
 * Who may do what: the one permission map, read by tRPC procedures, route handlers, pages
 * and the UI alike (`can(role, action)`). Each action names the weakest role allowed.
 */
export const PERMISSIONS = {
  /** Open segments, journeys, profiles and events; preview sizes; test a profile. */
  "workspace.read": "viewer",
  /** Create, change, archive and delete segments. */
  "segments.save": "marketer",
  /** Download a segment's members as CSV. */
  "segments.export": "marketer",
  /** Import profiles from a CSV file. */
  "profiles.import": "marketer",
  /** Write message templates and partials; send test messages. */
  "messages.edit": "marketer",
  /** Build, publish and stop journeys. */
  "journeys.publish": "marketer",
  /** GDPR: export or erase one person's data. */
  "profiles.privacy": "admin",
  /** Invite, remove and change the role of members. */
  "members.manage": "admin",
  /** Create and revoke API keys. */
  "keys.manage": "admin",
  /** Set up email, SMS, push and webhook channels and their credentials. */
  "channels.manage": "admin",
  /** Create, change and delete subscription groups (Settings → Subscriptions). */
  "consent.manage": "admin",
  /** Change one person's subscription to a group from the profile page (recorded as their consent history). */
  "consent.change": "marketer",
  /** Rename the workspace, change its time zone. */
  "workspace.manage": "admin",
  /** Read the audit log. */
  "audit.read": "admin",
  /** See the system status: the change feed's lag, re-checks, background jobs. */
  "system.read": "admin",
} as const satisfies Record<string, Role>;

export type Action = keyof typeof PERMISSIONS;

/** True when someone with `role` (none: not a member) may do `action`. */
export function can(role: Role | null | undefined, action: Action): boolean {
  return role != null && hasRole(role, PERMISSIONS[action]);
}
