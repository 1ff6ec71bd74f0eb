/**
 * Entries into and exits from saved segments in plain words, the one wording the profile's
 * timeline and the segment page's "Recent entries and exits" share.
 */

/** Why someone entered or left a segment: the causes the membership history records (server/segments/membership.ts). */
export type MembershipCause = "event" | "time" | "definition" | "merge" | "deletion" | "repair";

const CAUSES: Record<MembershipCause, string> = {
  event: "after an event",
  time: "as time passed",
  definition: "the segment's definition changed",
  merge: "profiles merged",
  deletion: "person deleted",
  repair: "corrected by the periodic check",
};

/**
 * The cause in plain words: "after an event", "as time passed", …; `capitalize` for a
 * cause that stands on its own line ("After an event"). A cause this build does not know
 * (a newer server) still reads as something.
 */
export function causeText(cause: MembershipCause, options: { capitalize?: boolean } = {}): string {
  const text = Object.hasOwn(CAUSES, cause) ? CAUSES[cause] : "for another reason";
  return options.capitalize ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** "Entered" or "Left": the verb before a segment's name. */
export function changeVerb(entered: boolean): "Entered" | "Left" {
  return entered ? "Entered" : "Left";
}
