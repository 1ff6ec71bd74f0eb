import { formatCompact, formatCount, formatPercent } from "@/lib/format";

/**
 * Labels of the live overlay: short enough for an edge or a node's corner, exact while
 * they fit ("1,234"), compact beyond ("12.3k"). Pure, so they are tested without a browser.
 */

/** How often an exit was taken, for its edge: "0", "1,234", "12.3k". */
export function exitCountLabel(count: number): string {
  return count < 10_000 ? formatCount(count) : formatCompact(count);
}

/** People waiting at a node now: "Nobody waiting", "1 waiting", "12.3k waiting". */
export function waitingLabel(count: number): string {
  return count === 0 ? "Nobody waiting" : `${exitCountLabel(count)} waiting`;
}

/** The list's conversion column: "—" while nobody entered, else a share ("4.2%"). */
export function conversionRateLabel(rate: number | null): string {
  return rate === null ? "—" : formatPercent(rate, 1);
}
