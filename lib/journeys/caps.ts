import { z } from "zod";
import { ZMessageChannel } from "@/lib/messages/schema";
import { localParts, zonedTime } from "./time";

/**
 * Sending rules that hold across journeys: global frequency caps (at most N messages of a
 * channel and purpose per person within D days, the days counted in the person's time zone)
 * and a journey's quiet hours (no messages between two local times). Pure: the sender
 * (server/journeys/runtime/sender.ts) counts the deliveries and applies the answers.
 */

export const ZFrequencyCap = z.object({
  /** A channel, or "any" for all of them together. */
  channel: z.union([ZMessageChannel, z.literal("any")]),
  purpose: z.enum(["marketing", "transactional", "any"]).default("marketing"),
  max: z.number().int().min(1).max(1_000),
  days: z.number().int().min(1).max(90),
});
export type FrequencyCap = z.infer<typeof ZFrequencyCap>;
export const ZFrequencyCaps = z.array(ZFrequencyCap).max(20);

const CHANNEL_WORDS: Record<FrequencyCap["channel"], string> = { any: "message", email: "email", sms: "SMS", push: "push message", webhook: "webhook call", inapp: "in-app message" };

/** "At most 3 marketing emails per 7 days" */
export function capText(cap: FrequencyCap): string {
  const what = CHANNEL_WORDS[cap.channel];
  const plural = cap.max === 1 ? what : what.endsWith("SMS") ? what : `${what}s`;
  return `At most ${cap.max} ${cap.purpose === "any" ? "" : `${cap.purpose} `}${plural} per ${cap.days === 1 ? "day" : `${cap.days} days`}`;
}

/** The caps that count a send of this channel and purpose. */
export function capsFor(caps: readonly FrequencyCap[], channel: string, purpose: string): FrequencyCap[] {
  return caps.filter((c) => (c.channel === "any" || c.channel === channel) && (c.purpose === "any" || c.purpose === purpose));
}

/**
 * Where a cap's window starts: local midnight `days - 1` days before today, in the person's
 * zone ("3 per 7 days" = today and the six days before, as the person lives them).
 */
export function capWindowStart(now: Date, days: number, timeZone: string): Date {
  const today = localParts(now, timeZone);
  const first = new Date(Date.UTC(today.year, today.month - 1, today.day - (days - 1), 12));
  return zonedTime(first.getUTCFullYear(), first.getUTCMonth() + 1, first.getUTCDate(), 0, 0, timeZone);
}

export interface QuietHours {
  start: string;
  end: string;
}

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  return h * 60 + m;
};

/**
 * When the quiet hours around `now` end, in the person's zone; null when `now` is not in
 * quiet hours. Hours may span midnight (21:00–08:00). Equal start and end: never quiet.
 */
export function quietUntil(now: Date, quiet: QuietHours, timeZone: string): Date | null {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return null;
  const p = localParts(now, timeZone);
  const minute = p.hour * 60 + p.minute;
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inside) return null;
  // The end is today when it is still ahead on the clock, else tomorrow (a span over midnight, evening part).
  const addDays = minute < end ? 0 : 1;
  const day = new Date(Date.UTC(p.year, p.month - 1, p.day + addDays, 12));
  const [h, m] = quiet.end.split(":").map(Number) as [number, number];
  const at = zonedTime(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), h, m, timeZone);
  // A clock change inside the quiet hours can put the wall time behind `now`: never hold into the past.
  return at.getTime() > now.getTime() ? at : new Date(now.getTime() + 60_000);
}
