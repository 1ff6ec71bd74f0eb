import { describe, expect, it } from "vitest";
import { humanizeAction, relativeTime } from "./format";

describe("relativeTime", () => {
  const now = new Date("2026-11-24T12:00:00Z");
  it.each([
    [10, "just now"],
    [5 * 60, "5 min ago"],
    [3 * 3600, "3 h ago"],
    [26 * 3600, "yesterday"],
    [3 * 86400, "3 days ago"],
  ])("%i s ago → %s", (seconds, expected) => {
    expect(relativeTime(new Date(now.getTime() - seconds * 1000), now)).toBe(expected);
  });
  it("falls back to a date after a week", () => {
    expect(relativeTime(new Date("2026-10-01T12:00:00Z"), now)).toBe("1 Oct 2026");
  });
});

describe("humanizeAction", () => {
  it("turns dotted verbs into words", () => {
    expect(humanizeAction("member.role_changed")).toBe("Member role changed");
  });
});
