/** True for an IANA time zone name this runtime knows ("Europe/Berlin", "UTC"). */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

// Dates: one strict format (ISO 8601), parsed the same way in segment definitions, event
// timestamps and Postgres (junction_parse_time, server/segments/compile-sql.ts).

const MIN_DATE = Date.UTC(1970, 0, 1);
const MAX_DATE = Date.UTC(2200, 0, 1);

/** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH:MM`; no offset means UTC. */
export const DATE_PATTERN =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$/;

/** Milliseconds since the epoch for a date string in DATE_PATTERN, or null (also for impossible dates). */
export function parseDate(value: string): number | null {
  const m = DATE_PATTERN.exec(value);
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (year < 1969 || year > 2200) return null; // cannot be in range (and Date.UTC maps 0–99 to 19xx)
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  let offsetMinutes = 0;
  if (zone && zone !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2)), om = Number(digits.slice(2, 4));
    if (oh > 15 || om > 59) return null;
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number(`${frac}000`.slice(0, 3)); // truncated to milliseconds, like the database
  const time = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  return time >= MIN_DATE && time < MAX_DATE ? time : null;
}

/**
 * The time zones to offer in a picker: UTC first (runtimes list it under no name of its own,
 * so a picker would show "Africa/Abidjan" for it), then every IANA zone the runtime knows,
 * and `current` even if this runtime does not know it.
 */
export function timeZoneChoices(current?: string): string[] {
  const zones = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];
  if (current && !zones.includes(current)) zones.splice(1, 0, current);
  return zones;
}
