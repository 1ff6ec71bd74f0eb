import { describe, expect, it } from "vitest";
import { ROLES, hasRole } from "./roles";

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
