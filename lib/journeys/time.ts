/**
 * Local time in a time zone, without a date library: what a wait "until 09:30 on weekdays in
 * the person's time zone" needs. Uses the platform's time-zone data (Intl).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric", weekday: "short" });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string | null | undefined): timeZone is string {
  if (!timeZone) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

export function localParts(at: Date, timeZone: string): LocalParts {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAY[parts.weekday!]!,
  };
}

/** Milliseconds the zone is ahead of UTC at `at`. */
function offsetAt(at: Date, timeZone: string): number {
  const p = localParts(at, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * The instant a local wall-clock time happens in a zone. A time the clocks skip (spring
 * forward: 02:30 does not exist) happens as late as it would have (03:30); a time that
 * happens twice (fall back) is the first of the two.
 */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // The offset is the zone's at that moment: try the offsets just before and after.
  const candidates = [offsetAt(new Date(wall - 86_400_000), timeZone), offsetAt(new Date(wall + 86_400_000), timeZone)];
  const exact = candidates
    .map((offset) => new Date(wall - offset))
    .filter((at) => {
      const p = localParts(at, timeZone);
      return p.year === year && p.month === month && p.day === day && p.hour === hour && p.minute === minute;
    })
    .sort((a, b) => a.getTime() - b.getTime());
  if (exact.length > 0) return exact[0]!;
  // Skipped by a clock change: the same wall time, read with the offset from before the change.
  return new Date(wall - Math.min(...candidates));
}

/**
 * The next moment after `now` that is `hh:mm` local time on one of `weekdays` (0 = Sunday)
 * in `timeZone`. Today's time counts only if it is still ahead.
 */
export function nextLocalTime(now: Date, time: string, weekdays: readonly number[], timeZone: string): Date {
  const [hour, minute] = time.split(":").map(Number) as [number, number];
  const today = localParts(now, timeZone);
  for (let add = 0; add <= 7; add++) {
    // Noon on the candidate day (UTC arithmetic on the calendar date; no DST in between matters).
    const day = new Date(Date.UTC(today.year, today.month - 1, today.day + add, 12));
    const weekday = day.getUTCDay();
    if (!weekdays.includes(weekday)) continue;
    const at = zonedTime(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), hour, minute, timeZone);
    if (at.getTime() > now.getTime()) return at;
  }
  // Unreachable with at least one weekday: eight days always contain one ahead.
  throw new Error("no weekday chosen");
}
