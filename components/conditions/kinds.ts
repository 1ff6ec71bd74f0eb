import { BellRing, CalendarClock, Dices, MousePointerClick, Tag, UsersRound } from "lucide-react";
import type { ConditionKind } from "@/lib/segments/editing";

/** What each kind of condition is called where one is chosen (the add menu) and announced. */
export const KIND_LABELS: Record<ConditionKind, string> = {
  trait: "Trait or profile field",
  event: "Performed an event",
  lastSeen: "Last seen",
  firstSeen: "First seen",
  segment: "Member of a segment",
  bucket: "Random bucket (holdouts)",
  subscription: "Subscribed to a group (consent)",
};
/** Short titles above a condition. */
export const KIND_TITLES: Record<ConditionKind, string> = {
  trait: "Trait",
  event: "Performed",
  lastSeen: "Last seen",
  firstSeen: "First seen",
  segment: "Segment",
  bucket: "Random bucket",
  subscription: "Subscription",
};
export const KIND_ICONS: Record<ConditionKind, typeof Tag> = {
  trait: Tag,
  event: MousePointerClick,
  lastSeen: CalendarClock,
  firstSeen: CalendarClock,
  segment: UsersRound,
  bucket: Dices,
  subscription: BellRing,
};
