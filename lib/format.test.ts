import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatBytes, formatCompact, formatCount, formatCountOf, formatDayLong, formatDayShort, formatPercent, formatValue, humanizeAction, relativeTime, sinceText } from "./format";

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
    expect(humanizeAction("api_key.created")).toBe("API key created");
  });
});

describe("numbers, days and shares", () => {
  it("formats counts and compact counts", () => {
    expect(formatCount(12345)).toBe("12,345");
    expect(formatCompact(12345)).toBe("12.3k");
    expect(formatCountOf(1, "member")).toBe("1 member");
    expect(formatCountOf(0, "member")).toBe("0 members");
    expect(formatCountOf(2500, "person", "people")).toBe("2,500 people");
  });

  it("formats calendar days without shifting them", () => {
    expect(formatDayShort("2026-03-05")).toBe("5 Mar");
    expect(formatDayLong("2026-03-05")).toBe("Thu 5 Mar 2026");
    expect(formatDayShort("2026-01-01")).toBe("1 Jan");
  });

  it("says when something happened, as a phrase", () => {
    const now = new Date("2026-03-15T12:00:00Z");
    expect(sinceText(new Date("2026-03-15T09:00:00Z"), now)).toBe("3 h ago");
    expect(sinceText(new Date("2026-02-01T12:00:00Z"), now)).toBe("on 1 Feb 2026");
  });

  it("gives shares more digits the smaller they are", () => {
    expect(formatPercent(1, 3)).toBe("33%");
    expect(formatPercent(42, 1000)).toBe("4.2%");
    expect(formatPercent(35, 10_000)).toBe("0.35%");
    expect(formatPercent(1, 1_000_000)).toBe("<0.01%");
    expect(formatPercent(0, 10)).toBe("0%");
    expect(formatPercent(5, 0)).toBe("—");
  });

  it("never shows a non-zero share as 0%", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }), (part, extra) => {
        const text = formatPercent(part, part + extra);
        expect(text).not.toMatch(/^0(\.0+)?%$/);
      }),
    );
  });

  it("shows stored values as text", () => {
    expect(formatValue("Ada")).toBe("Ada");
    expect(formatValue(3)).toBe("3");
    expect(formatValue(false)).toBe("false");
    expect(formatValue({ plan: "pro" })).toBe('{"plan":"pro"}');
    expect(formatValue(null)).toBe("—");
    expect(formatValue(undefined)).toBe("—");
  });
});

describe("formatBytes", () => {
  it("bytes, then KB, MB, GB with at most one decimal", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1,023 B");
    expect(formatBytes(1024)).toBe("1 KB");
    expect(formatBytes(4300)).toBe("4.2 KB");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MB");
    expect(formatBytes(3 * 1024 ** 4)).toBe("3,072 GB");
  });
});
