/**
 * How long an SMS is, as carriers count it. Text that fits the GSM 03.38 alphabet is sent
 * in GSM-7: 160 characters in one message, 153 per part once split (the rest of each part
 * carries the joining header); a character from the extension table (€, [, ], {, }, …)
 * takes two. Anything else (most emoji, many accented or non-Latin letters) switches the
 * whole message to UCS-2: 70 in one, 67 per part, counted in UTF-16 code units.
 */

const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED = "^{}\\[~]|€\f";

const basic = new Set(GSM_BASIC);
const extended = new Set(GSM_EXTENDED);

export interface SmsLength {
  encoding: "GSM-7" | "UCS-2";
  /** Characters as the carrier counts them (septets for GSM-7, code units for UCS-2). */
  units: number;
  segments: number;
  /** What one part holds in this encoding once the message is split (153 or 67), or whole (160 or 70). */
  perSegment: number;
  /** Units left before the next part starts. */
  remaining: number;
  /** The characters that forced UCS-2, so the editor can say which to replace. */
  unicodeCharacters: string[];
}

export function smsLength(text: string): SmsLength {
  let septets = 0;
  const unicode = new Set<string>();
  for (const ch of text) {
    if (basic.has(ch)) septets += 1;
    else if (extended.has(ch)) septets += 2;
    else unicode.add(ch);
  }
  if (unicode.size === 0) return measure("GSM-7", septets, 160, 153, []);
  return measure("UCS-2", text.length, 70, 67, [...unicode]);
}

function measure(encoding: SmsLength["encoding"], units: number, single: number, part: number, unicodeCharacters: string[]): SmsLength {
  if (units <= single) return { encoding, units, segments: units === 0 ? 0 : 1, perSegment: single, remaining: single - units, unicodeCharacters };
  const segments = Math.ceil(units / part);
  return { encoding, units, segments, perSegment: part, remaining: segments * part - units, unicodeCharacters };
}
