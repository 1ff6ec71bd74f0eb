import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { smsLength } from "./sms";

describe("SMS length", () => {
  it("counts GSM-7: 160 in one message, 153 per part after that", () => {
    expect(smsLength("")).toMatchObject({ encoding: "GSM-7", units: 0, segments: 0 });
    expect(smsLength("a".repeat(160))).toMatchObject({ encoding: "GSM-7", units: 160, segments: 1, remaining: 0 });
    expect(smsLength("a".repeat(161))).toMatchObject({ units: 161, segments: 2, perSegment: 153, remaining: 145 });
    expect(smsLength("a".repeat(306))).toMatchObject({ segments: 2, remaining: 0 });
    expect(smsLength("a".repeat(307))).toMatchObject({ segments: 3 });
  });

  it("counts characters of the extension table twice", () => {
    expect(smsLength("€10 [sale]")).toMatchObject({ encoding: "GSM-7", units: 13 });
    expect(smsLength("{".repeat(80))).toMatchObject({ units: 160, segments: 1 });
    expect(smsLength("{".repeat(81))).toMatchObject({ units: 162, segments: 2 });
  });

  it("switches to UCS-2 for anything outside the alphabet, and names the characters", () => {
    const s = smsLength("Hi Zoë 👋");
    // ë is not in GSM-7; the emoji is two UTF-16 code units.
    expect(s).toMatchObject({ encoding: "UCS-2", units: 9, segments: 1, perSegment: 70, unicodeCharacters: ["ë", "👋"] });
    expect(smsLength("ж".repeat(70))).toMatchObject({ segments: 1 });
    expect(smsLength("ж".repeat(71))).toMatchObject({ segments: 2, perSegment: 67 });
  });

  it("keeps accents that GSM-7 has (é, ü, Ä) in GSM-7", () => {
    expect(smsLength("Café für Äpfel")).toMatchObject({ encoding: "GSM-7", units: 14 });
  });

  it("never counts fewer parts than the text needs", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 800 }), (text) => {
        const s = smsLength(text);
        expect(s.segments * s.perSegment).toBeGreaterThanOrEqual(s.units);
        expect(s.remaining).toBeGreaterThanOrEqual(0);
        if (s.segments > 1) expect((s.segments - 1) * s.perSegment).toBeLessThan(s.units);
      }),
    );
  });
});
