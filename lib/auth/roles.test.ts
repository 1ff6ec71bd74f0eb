import { describe, expect, it } from "vitest";
import { PERMISSIONS, ROLES, can, hasRole, type Action } from "./roles";

describe("hasRole", () => {
  it("orders viewer < marketer < admin", () => {
    expect(hasRole("admin", "admin")).toBe(true);
    expect(hasRole("admin", "viewer")).toBe(true);
    expect(hasRole("marketer", "viewer")).toBe(true);
    expect(hasRole("marketer", "admin")).toBe(false);
    expect(hasRole("viewer", "marketer")).toBe(false);
  });

  it("every role has at least its own rights and never more than admin", () => {
    for (const role of ROLES) {
      expect(hasRole(role, role)).toBe(true);
      expect(hasRole(role, "viewer")).toBe(true);
    }
  });
});

describe("can", () => {
  it("answers from the permission map: viewers read, marketers save segments, admins manage", () => {
    expect(can("viewer", "workspace.read")).toBe(true);
    expect(can("viewer", "segments.save")).toBe(false);
    expect(can("marketer", "segments.save")).toBe(true);
    expect(can("marketer", "journeys.publish")).toBe(true);
    expect(can("marketer", "channels.manage")).toBe(false);
    expect(can("marketer", "profiles.privacy")).toBe(false);
    expect(can("admin", "channels.manage")).toBe(true);
    expect(can("admin", "audit.read")).toBe(true);
  });

  it("someone who is no member can do nothing", () => {
    for (const action of Object.keys(PERMISSIONS) as Action[]) {
      expect(can(null, action)).toBe(false);
      expect(can(undefined, action)).toBe(false);
    }
  });

  it("a stronger role can do everything a weaker one can", () => {
    for (const action of Object.keys(PERMISSIONS) as Action[]) {
      for (const [i, role] of ROLES.entries()) {
        if (can(role, action)) for (const stronger of ROLES.slice(i)) expect(can(stronger, action)).toBe(true);
      }
    }
  });
});
