import { describe, expect, it } from "vitest";
import { isTimeZone, timeZoneChoices } from "./time";

describe("time zone choices", () => {
  it("offers UTC first, once, and every zone the runtime knows", () => {
    const zones = timeZoneChoices("UTC");
    expect(zones[0]).toBe("UTC");
    expect(zones.filter((z) => z === "UTC")).toHaveLength(1);
    expect(zones).toContain("Europe/Berlin");
    expect(zones.every(isTimeZone)).toBe(true);
  });

  it("keeps a stored zone the runtime does not list", () => {
    expect(timeZoneChoices("Etc/GMT+5").includes("Etc/GMT+5")).toBe(true);
  });
});
