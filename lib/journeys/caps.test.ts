import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { capWindowStart, capsFor, quietUntil, ZFrequencyCaps } from "./caps";
import { localParts } from "./time";

const at = (iso: string) => new Date(iso);

describe("quiet hours, in the person's time zone", () => {
  const night = { start: "21:00", end: "08:00" };

  it("holds a message sent in the evening or at night until 08:00 local, in two time zones at once", () => {
    // 21:30 UTC on 10 Dec 2026: 22:30 in Berlin (quiet), 16:30 in New York (not quiet).
    const now = at("2026-12-10T21:30:00Z");
    expect(quietUntil(now, night, "Europe/Berlin")).toEqual(at("2026-12-11T07:00:00Z"));
    expect(quietUntil(now, night, "America/New_York")).toBeNull();
    // 06:00 UTC: 07:00 in Berlin (quiet, ends at 08:00 the same day), 01:00 in New York (quiet until 08:00 = 13:00 UTC).
    const early = at("2026-12-11T06:00:00Z");
    expect(quietUntil(early, night, "Europe/Berlin")).toEqual(at("2026-12-11T07:00:00Z"));
    expect(quietUntil(early, night, "America/New_York")).toEqual(at("2026-12-11T13:00:00Z"));
  });

  it("ends at 08:00 local across a DST change (the clocks go back in the night of 25 Oct 2026 in Berlin)", () => {
    // 23:00 CEST on 24 Oct = 21:00 UTC; the night is 25 h long; 08:00 CET on 25 Oct = 07:00 UTC.
    expect(quietUntil(at("2026-10-24T21:00:00Z"), night, "Europe/Berlin")).toEqual(at("2026-10-25T07:00:00Z"));
    // Spring forward (29 Mar 2026): 08:00 CEST = 06:00 UTC.
    expect(quietUntil(at("2026-03-28T22:00:00Z"), night, "Europe/Berlin")).toEqual(at("2026-03-29T06:00:00Z"));
  });

  it("hours within one day (12:00–14:00), the edges, and equal start and end (never quiet)", () => {
    const lunch = { start: "12:00", end: "14:00" };
    expect(quietUntil(at("2026-12-10T11:59:00Z"), lunch, "UTC")).toBeNull();
    expect(quietUntil(at("2026-12-10T12:00:00Z"), lunch, "UTC")).toEqual(at("2026-12-10T14:00:00Z"));
    expect(quietUntil(at("2026-12-10T14:00:00Z"), lunch, "UTC")).toBeNull();
    expect(quietUntil(at("2026-12-10T12:00:00Z"), { start: "12:00", end: "12:00" }, "UTC")).toBeNull();
  });

  it("property: the answer is ahead of now, and at that moment the person is no longer in quiet hours", () => {
    const zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"];
    const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
    fc.assert(
      fc.property(fc.date({ min: at("2026-01-01T00:00:00Z"), max: at("2027-12-31T00:00:00Z"), noInvalidDate: true }), hhmm, hhmm, fc.constantFrom(...zones), (now, start, end, zone) => {
        const until = quietUntil(now, { start, end }, zone);
        if (until === null) return;
        expect(until.getTime()).toBeGreaterThan(now.getTime());
        // At the end (or a minute after it, where a clock change skipped the wall time), quiet hours are over.
        expect(quietUntil(until, { start, end }, zone) === null || quietUntil(new Date(until.getTime() + 3_600_000), { start, end }, zone) === null).toBe(true);
      }),
    );
  });
});

describe("frequency caps", () => {
  it("count from local midnight, days − 1 days back, in the person's zone", () => {
    // 10 Dec 2026 03:00 UTC: in New York it is still 9 Dec (22:00).
    const now = at("2026-12-10T03:00:00Z");
    expect(capWindowStart(now, 1, "UTC")).toEqual(at("2026-12-10T00:00:00Z"));
    expect(capWindowStart(now, 7, "UTC")).toEqual(at("2026-12-04T00:00:00Z"));
    expect(capWindowStart(now, 1, "America/New_York")).toEqual(at("2026-12-09T05:00:00Z"));
    expect(localParts(capWindowStart(now, 7, "Europe/Berlin"), "Europe/Berlin")).toMatchObject({ day: 4, hour: 0, minute: 0 });
  });

  it("apply by channel and purpose, “any” for all", () => {
    const caps = ZFrequencyCaps.parse([
      { channel: "email", purpose: "marketing", max: 3, days: 7 },
      { channel: "any", purpose: "any", max: 10, days: 1 },
      { channel: "sms", max: 1, days: 1 },
    ]);
    expect(capsFor(caps, "email", "marketing").map((c) => c.max)).toEqual([3, 10]);
    expect(capsFor(caps, "email", "transactional").map((c) => c.max)).toEqual([10]);
    expect(capsFor(caps, "sms", "marketing").map((c) => c.max)).toEqual([10, 1]);
    expect(ZFrequencyCaps.safeParse([{ channel: "fax", max: 1, days: 1 }]).success).toBe(false);
  });
});
