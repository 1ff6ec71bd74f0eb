/** Pure helpers for the Events explorer: chart scales and number/date labels. */
import { formatCount, formatDate, relativeTime } from "@/lib/format";

export { formatCount };

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });


/** 12345 → "12.3K", for axis ticks. */
export function formatCompact(n: number): string {
  return compact.format(n);
}

/** "3 events", "1 event". */
export function pluralEvents(n: number): string {
  return `${formatCount(n)} ${n === 1 ? "event" : "events"}`;
}

/** A "YYYY-MM-DD" calendar day as a Date at UTC midnight, so formatting in UTC never shifts it. */
function dayDate(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

/** "2026-03-05" → "5 Mar". */
export function formatDayShort(day: string): string {
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" }).format(dayDate(day));
}

/** "2026-03-05" → "Thu 5 Mar 2026". */
export function formatDayLong(day: string): string {
  return new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })
    .format(dayDate(day))
    .replace(",", "");
}

/**
 * Round axis ticks from 0 to at least `max`: whole numbers (these are counts), a step of
 * 1, 2 or 5 × 10ⁿ, at most five ticks.
 */
export function countTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude);
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let value = 0; value <= top; value += step) ticks.push(value);
  return ticks;
}

/** Which of `n` bars get a date label: evenly spaced, always the newest (last) one. */
export function labelledIndexes(n: number, maxLabels = 6): number[] {
  if (n <= 0) return [];
  const every = Math.max(1, Math.ceil(n / maxLabels));
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i -= every) out.unshift(i);
  return out;
}

/** Share as a whole percentage, "<1%" for small non-zero shares. */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return "0%";
  const value = (part / whole) * 100;
  if (value > 0 && value < 1) return "<1%";
  return `${Math.round(value)}%`;
}

/** "3 h ago", "yesterday", or "on 5 Mar 2026": reads well after "last received an event". */
export function sinceText(date: Date, now: Date = new Date()): string {
  const relative = relativeTime(date, now);
  return relative === formatDate(date) ? `on ${relative}` : relative;
}
