import { describe, expect, it } from "vitest";
import { nextScheduledRun } from "./schedule";

const at = (iso: string) => new Date(iso);

describe("schedule triggers: when they run next, in the workspace's time zone", () => {
  it("once: its moment while ahead, then never", () => {
    const once = { kind: "once" as const, at: "2026-12-24T09:00:00+01:00" };
    expect(nextScheduledRun(once, at("2026-12-01T00:00:00Z"), "UTC")).toEqual(at("2026-12-24T08:00:00Z"));
    expect(nextScheduledRun(once, at("2026-12-24T08:00:00Z"), "UTC")).toBeNull();
  });

  it("weekly on Mondays at 09:00 Berlin, across the DST change", () => {
    const weekly = { kind: "recurring" as const, rrule: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9" };
    // Friday 23 Oct 2026 (CEST) → Monday 26 Oct, after the clocks went back: 09:00 CET = 08:00 UTC.
    expect(nextScheduledRun(weekly, at("2026-10-23T12:00:00Z"), "Europe/Berlin")).toEqual(at("2026-10-26T08:00:00Z"));
    // Exactly at a run: the next week's.
    expect(nextScheduledRun(weekly, at("2026-10-26T08:00:00Z"), "Europe/Berlin")).toEqual(at("2026-11-02T08:00:00Z"));
  });

  it("daily (every day, or chosen days) with minutes; monthly on a day, skipping months without it", () => {
    expect(nextScheduledRun({ kind: "recurring", rrule: "FREQ=DAILY;BYHOUR=18;BYMINUTE=30" }, at("2026-12-10T19:00:00Z"), "UTC")).toEqual(at("2026-12-11T18:30:00Z"));
    expect(nextScheduledRun({ kind: "recurring", rrule: "FREQ=DAILY;BYDAY=SA,SU" }, at("2026-12-10T19:00:00Z"), "UTC")).toEqual(at("2026-12-12T09:00:00Z"));
    expect(nextScheduledRun({ kind: "recurring", rrule: "FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=8" }, at("2027-01-31T09:00:00Z"), "UTC")).toEqual(at("2027-03-31T08:00:00Z"));
    expect(nextScheduledRun({ kind: "recurring", rrule: "FREQ=MONTHLY" }, at("2026-12-10T00:00:00Z"), "America/New_York")).toEqual(at("2027-01-01T14:00:00Z"));
  });
});
