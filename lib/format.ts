/**
 * Every number, date and share the UI shows is formatted here, in one locale, so a count reads
 * "12,345" and a date "5 Mar 2026" on every page.
 */
const LOCALE = "en-GB";

/** "just now", "5 min ago", "3 h ago", "2 days ago", then a date. `now` is an argument so tests never sleep. */
export function relativeTime(date: Date, now: Date = new Date()): string {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 7) return days === 1 ? "yesterday" : `${days} days ago`;
  return formatDate(date);
}

export function formatDate(date: Date, timeZone?: string): string {
  return new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", year: "numeric", timeZone }).format(date);
}

export function formatDateTime(date: Date, timeZone?: string): string {
  return new Intl.DateTimeFormat(LOCALE, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  }).format(date);
}

/** "14:02:11", in the viewer's time zone (or `timeZone`). */
export function formatTime(date: Date, timeZone?: string): string {
  return new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone }).format(date);
}

const ACRONYMS: Record<string, string> = { api: "API", csv: "CSV", gdpr: "GDPR", sms: "SMS", url: "URL", id: "ID" };

/** "member.role_changed" → "Member role changed", "api_key.created" → "API key created". */
export function humanizeAction(action: string): string {
  const words = action
    .replace(/[._]/g, " ")
    .trim()
    .split(/\s+/)
    .map((w) => ACRONYMS[w.toLowerCase()] ?? w);
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function greeting(hour: number): string {
  if (hour < 5) return "Good evening";
  if (hour < 12) return "Good morning";
  if (hour < 18) return "Good afternoon";
  return "Good evening";
}

const counts = new Intl.NumberFormat(LOCALE);

/** 12345 → "12,345". */
export function formatCount(n: number): string {
  return counts.format(n);
}

/** "1 member", "12,345 members": a count with its noun, singular for exactly one. */
export function formatCountOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${counts.format(n)} ${n === 1 ? singular : plural}`;
}

const compact = new Intl.NumberFormat(LOCALE, { notation: "compact", maximumFractionDigits: 1 });

/** 12345 → "12.3k", for axis ticks. */
export function formatCompact(n: number): string {
  return compact.format(n);
}

const percents = [0, 1, 2].map((digits) => new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: digits, minimumFractionDigits: digits }));

/**
 * A share of a whole: "33%", "4.2%", "0.35%" — more digits the smaller it is, so a small
 * non-zero share never reads as 0%. "—" when there is no whole to be a share of.
 */
export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0)) return "—";
  const share = part / whole;
  if (share === 0) return percents[0]!.format(0);
  const digits = share >= 0.1 ? 0 : share >= 0.01 ? 1 : 2;
  return share < 0.0001 ? `<${percents[2]!.format(0.0001)}` : percents[digits]!.format(share);
}

/** A calendar day "YYYY-MM-DD" as a Date at UTC midnight, so formatting in UTC never shifts it. */
function dayDate(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

/** "2026-03-05" → "5 Mar". */
export function formatDayShort(day: string): string {
  return new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", timeZone: "UTC" }).format(dayDate(day));
}

/** "2026-03-05" → "Thu 5 Mar 2026". */
export function formatDayLong(day: string): string {
  return new Intl.DateTimeFormat(LOCALE, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })
    .format(dayDate(day))
    .replace(",", "");
}

/** "3 h ago", "yesterday", or "on 5 Mar 2026": reads well after "last received an event". */
export function sinceText(date: Date, now: Date = new Date()): string {
  const relative = relativeTime(date, now);
  return relative === formatDate(date) ? `on ${relative}` : relative;
}

/** A stored value (a trait, an audited field) as text: strings as they are, "—" for nothing, JSON for the rest. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

const sizes = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });

/** A size in bytes: "512 B", "4.2 KB", "10 MB" (1 KB = 1,024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${counts.format(bytes)} B`;
  const units = ["KB", "MB", "GB"] as const;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${sizes.format(value)} ${units[unit]}`;
}

/** { amount: 1, unit: "days" } → "1 day", { amount: 24, unit: "hours" } → "24 hours". */
export function formatDuration(d: { amount: number; unit: string }): string {
  return `${counts.format(d.amount)} ${d.amount === 1 ? d.unit.replace(/s$/, "") : d.unit}`;
}
