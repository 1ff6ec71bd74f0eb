import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { localParts, nextLocalTime, zonedTime } from "./time";

const iso = (d: Date) => d.toISOString();
const WEEKDAYS = [1, 2, 3, 4, 5];

describe("local time in a time zone", () => {
  it("finds today's time when it is still ahead, else the next allowed day", () => {
    // Tuesday 2026-03-03 07:00 in Berlin (06:00 UTC).
    const now = new Date("2026-03-03T06:00:00Z");
    expect(iso(nextLocalTime(now, "09:30", WEEKDAYS, "Europe/Berlin"))).toBe("2026-03-03T08:30:00.000Z");
    // Already past today's 09:30 → tomorrow.
    expect(iso(nextLocalTime(new Date("2026-03-03T09:00:00Z"), "09:30", WEEKDAYS, "Europe/Berlin"))).toBe("2026-03-04T08:30:00.000Z");
    // Friday evening → Monday.
    expect(iso(nextLocalTime(new Date("2026-03-06T18:00:00Z"), "09:30", WEEKDAYS, "Europe/Berlin"))).toBe("2026-03-09T08:30:00.000Z");
    // Exactly at the time is not ahead.
    expect(iso(nextLocalTime(new Date("2026-03-03T08:30:00Z"), "09:30", [2, 3], "Europe/Berlin"))).toBe("2026-03-04T08:30:00.000Z");
  });

  it("uses the zone's offset on that day, across daylight saving time", () => {
    // Berlin switches to summer time on Sunday 2026-03-29: 09:30 is 08:30 UTC before, 07:30 after.
    expect(iso(nextLocalTime(new Date("2026-03-27T12:00:00Z"), "09:30", [1], "Europe/Berlin"))).toBe("2026-03-30T07:30:00.000Z");
    // New York's day starts hours after UTC's: 23:00 on Monday local is Tuesday in UTC.
    expect(iso(nextLocalTime(new Date("2026-03-02T12:00:00Z"), "23:00", [1], "America/New_York"))).toBe("2026-03-03T04:00:00.000Z");
    expect(iso(nextLocalTime(new Date("2026-03-02T12:00:00Z"), "09:00", [0, 1, 2, 3, 4, 5, 6], "Asia/Kolkata"))).toBe("2026-03-03T03:30:00.000Z");
  });

  it("a time the clocks skip happens as late as it would have; a doubled one the first time", () => {
    // 2026-03-29 02:30 does not exist in Berlin (02:00 → 03:00).
    expect(iso(zonedTime(2026, 3, 29, 2, 30, "Europe/Berlin"))).toBe("2026-03-29T01:30:00.000Z");
    // 2026-10-25 02:30 happens twice in Berlin (03:00 → 02:00): the first, still summer time.
    expect(iso(zonedTime(2026, 10, 25, 2, 30, "Europe/Berlin"))).toBe("2026-10-25T00:30:00.000Z");
  });

  it("always lands ahead of now, on an allowed weekday, at the wall time asked (or later when skipped)", () => {
    const zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham"];
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-12-31T00:00:00Z"), noInvalidDate: true }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
        fc.constantFrom(...zones),
        (now, h, m, days, zone) => {
          const time = `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
          const at = nextLocalTime(now, time, days, zone);
          expect(at.getTime()).toBeGreaterThan(now.getTime());
          expect(at.getTime() - now.getTime()).toBeLessThanOrEqual(8 * 86_400_000);
          const local = localParts(at, zone);
          expect(days).toContain(local.weekday);
          // Equal, unless the clocks skipped that time (then within the hour after).
          const asked = h * 60 + m;
          const got = local.hour * 60 + local.minute;
          expect(got === asked || (got > asked && got - asked <= 60)).toBe(true);
        },
      ),
    );
  });
});
