import { evaluateCondition, type EvalEvent, type EvalInput } from "@/lib/segments/evaluate";
import type { PropertyFilter } from "@/lib/segments/schema";
import { durationMs, type JourneyDefinition, type Trigger } from "./schema";

/**
 * Which stored events and segment changes enroll people in a journey, decided on the event
 * alone (and, for "at least N times within T", the person's earlier events of that name).
 * Pure: the runtime's feed consumer (server/journeys/runtime/triggers.ts) and the journey
 * page's "why did this person not enter?" read the same answers.
 */

export type EventTrigger = Extract<Trigger, { type: "event" }>;

/** The journey's trigger, when it has one. */
export function triggerOf(def: JourneyDefinition): Trigger | null {
  const node = def.nodes.find((n) => n.kind === "trigger");
  return node?.kind === "trigger" ? node.trigger : null;
}

/** A person who is nothing but these events: enough for event conditions. */
function eventsOnly(events: readonly EvalEvent[]): EvalInput {
  return {
    profile: { id: "", userId: null, email: null, phone: null, timezone: null, locale: null, country: null, traits: {}, bucket: 0, firstSeenAt: new Date(0), lastSeenAt: new Date(0) },
    events,
    memberships: new Set(),
    subscriptions: new Set(),
  };
}

/** The event has this name and passes these property filters. */
export function eventMatches(event: EvalEvent, name: string | undefined, filters: readonly PropertyFilter[]): boolean {
  if (!name || event.name !== name) return false;
  if (filters.length === 0) return true;
  return evaluateCondition({ type: "event", id: "e", event: name, where: [...filters], count: { op: "gte", value: 1 }, window: { kind: "ever" } }, eventsOnly([event]), event.timestamp);
}

/**
 * For "at least N times within T": how many matching events the person performed in the T
 * up to and including `event` (itself among `history`, or counted in when missing).
 */
export function countWithin(trigger: EventTrigger, event: EvalEvent, history: readonly EvalEvent[]): number {
  if (!trigger.count) return 1;
  const to = event.timestamp.getTime();
  const from = to - durationMs(trigger.count.within);
  let n = history.some((e) => e === event) ? 0 : 1;
  for (const e of history) {
    const at = e.timestamp.getTime();
    if (at > from && at <= to && eventMatches(e, trigger.event, trigger.filters)) n++;
  }
  return n;
}

/** Why an event did or did not enroll (for the trace and "why not"). */
export type TriggerVerdict = { enrolls: true } | { enrolls: false; reason: string };

export function eventTriggerVerdict(trigger: EventTrigger, event: EvalEvent, history: readonly EvalEvent[]): TriggerVerdict {
  if (event.name !== trigger.event) return { enrolls: false, reason: `The trigger is ${trigger.event}, not ${event.name ?? "this event"}.` };
  if (!eventMatches(event, trigger.event, trigger.filters)) return { enrolls: false, reason: `${trigger.event} happened, but its properties did not pass the trigger's filters.` };
  if (trigger.count) {
    const n = countWithin(trigger, event, history);
    if (n < trigger.count.atLeast) return { enrolls: false, reason: `${trigger.event} happened ${n} time${n === 1 ? "" : "s"} within ${trigger.count.within.amount} ${trigger.count.within.unit}; the trigger needs ${trigger.count.atLeast}.` };
  }
  return { enrolls: true };
}
