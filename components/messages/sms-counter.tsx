import { formatCountOf } from "@/lib/format";
import type { SmsLength } from "@/lib/messages/sms";

/** "142 / 160 characters · 1 SMS · GSM-7", and which characters forced the costlier UCS-2. */
export function SmsCounter({ length, what }: { length: SmsLength; what: string }) {
  const limit = length.segments <= 1 ? length.perSegment : length.segments * length.perSegment;
  return (
    <p className="text-xs text-slate-500" data-testid="sms-counter" aria-live="polite">
      <span className="font-medium text-slate-700 tabular-nums">
        {length.units} / {limit}
      </span>{" "}
      characters · {formatCountOf(Math.max(length.segments, 1), "SMS", "SMS")}
      {length.segments > 1 && ` (${length.perSegment} per part)`} · {length.encoding} <span className="text-slate-400">({what})</span>
      {length.encoding === "UCS-2" && (
        <span className="mt-0.5 block text-amber-700">
          {length.unicodeCharacters.slice(0, 8).join(" ")} {length.unicodeCharacters.length === 1 ? "is" : "are"} not in the GSM alphabet: every part holds 70 characters instead of 160.
        </span>
      )}
    </p>
  );
}
