/** Pure helpers for the Events explorer's chart: scales and labels. Numbers and dates come from lib/format. */
import { formatCountOf } from "@/lib/format";

/** "3 events", "1 event". */
export function pluralEvents(n: number): string {
  return formatCountOf(n, "event");
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

