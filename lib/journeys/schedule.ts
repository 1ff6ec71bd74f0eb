import type { Trigger } from "./schema";
import { localParts, nextLocalTime, zonedTime } from "./time";

/**
 * When a schedule trigger runs next, after `after`, in the workspace's time zone. One-off:
 * its moment (once, if still ahead). Recurring: the RRULE subset the trigger accepts —
 * FREQ=DAILY | WEEKLY | MONTHLY with BYDAY (MO,TU…), BYMONTHDAY, BYHOUR and BYMINUTE (09:00
 * when absent; WEEKLY without BYDAY: Mondays; MONTHLY without BYMONTHDAY: the 1st). A
 * month without the day (the 31st in April) is skipped. Null: it never runs again.
 */

const DAYS: Record<string, number> = { SU: 0, MO: 1, TU: 2, WE: 3, TH: 4, FR: 5, SA: 6 };

export function parseRule(rrule: string): Map<string, string> {
  return new Map(rrule.split(";").map((part) => part.split("=") as [string, string]));
}

export function nextScheduledRun(schedule: NonNullable<Extract<Trigger, { type: "schedule" }>["schedule"]>, after: Date, timeZone: string): Date | null {
  if (schedule.kind === "once") {
    const at = new Date(schedule.at);
    return at.getTime() > after.getTime() ? at : null;
  }
  const rule = parseRule(schedule.rrule);
  const hour = Math.min(23, Math.max(0, Number(rule.get("BYHOUR")?.split(",")[0] ?? 9) || 0));
  const minute = Math.min(59, Math.max(0, Number(rule.get("BYMINUTE")?.split(",")[0] ?? 0) || 0));
  const time = `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
  const freq = rule.get("FREQ");
  if (freq === "DAILY" || freq === "WEEKLY") {
    const byDay = (rule.get("BYDAY") ?? "").split(",").map((d) => DAYS[d.replace(/^[+-]?\d+/, "")]).filter((d): d is number => d !== undefined);
    const weekdays = byDay.length > 0 ? byDay : freq === "DAILY" ? [0, 1, 2, 3, 4, 5, 6] : [1];
    return nextLocalTime(after, time, weekdays, timeZone);
  }
  if (freq === "MONTHLY") {
    const day = Math.min(31, Math.max(1, Number(rule.get("BYMONTHDAY")?.split(",")[0] ?? 1) || 1));
    const today = localParts(after, timeZone);
    for (let add = 0; add <= 24; add++) {
      const month = new Date(Date.UTC(today.year, today.month - 1 + add, 1));
      const y = month.getUTCFullYear();
      const m = month.getUTCMonth() + 1;
      if (new Date(Date.UTC(y, m, 0)).getUTCDate() < day) continue;
      const at = zonedTime(y, m, day, hour, minute, timeZone);
      if (at.getTime() > after.getTime()) return at;
    }
  }
  return null;
}
