import { correlationOf, type EnrollmentState } from "@/lib/journeys/interpret";
import { durationMs, type JourneyDefinition } from "@/lib/journeys/schema";
import { eventMatches, eventTriggerVerdict, triggerOf } from "@/lib/journeys/triggers";
import type { EvalEvent } from "@/lib/segments/evaluate";
import type { Db, Sql } from "@/server/db/client";
import type { FeedConsumer } from "@/server/feed/consumer";
import type { FeedRow } from "@/server/feed/feed";
import { announceDue, enrollMany, type EnrollCandidate } from "./enroll";
import { databaseNow, planEachTime } from "./steps";
import { liveJourneys, loadVersions, versionKey, type LiveJourney } from "./versions";

/**
 * The journeys' consumer of the change feed (server/feed/): what stored events and segment
 * changes mean for journeys, in the consumer's transaction (so each happens once, in order):
 *
 * - **Triggers**: an event (name, property filters, "at least N times within T", correlation
 *   key) or a segment entry/exit enrolls the person in every live journey it triggers —
 *   journeys published before the change was stored; a journey does not reach back.
 * - **Event waits**: an event the person waits for wakes the enrollment (due now, with the
 *   event). If its timeout was due first, the timer wins: the event is not taken.
 * - **Goal and exit criteria**: an event or segment entry a journey's goal or exit criteria
 *   name wakes the person's enrollment for a check where they wait; after the enrollment
 *   ended, a goal event within the conversion window still counts as a conversion (so the
 *   holdout can be compared).
 */

export const JOURNEYS_CONSUMER = "journeys";

interface StoredEvent extends EvalEvent {
  id: string;
  profileId: string;
}

interface ActiveRow {
  id: string;
  journey_id: string;
  version: number;
  profile_id: string;
  step: number;
  state: EnrollmentState;
  waiting_for: string | null;
  wake: { type: string } | null;
  wake_at: Date | null;
}

export function journeysConsumer(db: Db, clock?: () => Date): FeedConsumer {
  return {
    name: JOURNEYS_CONSUMER,
    // Feed rows per transaction. A row holds a tracking-API batch (up to hundreds of events, a
    // person each to enroll): 500 of them made one transaction of tens of thousands of
    // enrollments that the stepper could not see, and that held every consumer's horizon, until it committed.
    batch: 50,
    async handle(tx, rows) {
      const relevant = rows.filter((r) => r.kind === "events" || r.kind === "membership");
      if (relevant.length === 0) return;
      await planEachTime(tx);
      const now = clock ? clock() : await databaseNow(tx);
      const live = await liveJourneys(tx, [...new Set(relevant.map((r) => r.workspaceId))]);
      for (const row of relevant) {
        const journeys = live.filter((j) => j.workspaceId === row.workspaceId && j.publishedAt.getTime() <= row.createdAt.getTime());
        if (row.kind === "events") await onEvents(tx, row, journeys, now);
        else await onMembership(tx, row, journeys, now);
      }
    },
  };
}

async function onEvents(tx: Sql, row: FeedRow, journeys: LiveJourney[], now: Date) {
  const ids = (row.payload?.eventIds as string[] | undefined) ?? [];
  if (ids.length === 0) return;
  const events = (
    await tx.query<{ id: string; profile_id: string; name: string | null; properties: Record<string, unknown> | null; timestamp: Date }>`
      SELECT id::text, profile_id, name, properties, timestamp FROM events WHERE id = ANY(${ids}::bigint[]) AND name IS NOT NULL ORDER BY timestamp, id`
  ).map((e): StoredEvent => ({ id: e.id, profileId: e.profile_id, name: e.name, properties: e.properties ?? {}, timestamp: e.timestamp }));
  if (events.length === 0) return;

  // Triggers: the candidates in order (journey by journey, event by event), then enrolled together.
  const candidates: EnrollCandidate[] = [];
  for (const journey of journeys) {
    const trigger = triggerOf(journey.def);
    if (trigger?.type !== "event" || !trigger.event) continue;
    for (const event of events) {
      if (!eventMatches(event, trigger.event, trigger.filters)) continue;
      let history: EvalEvent[] = [];
      if (trigger.count) {
        const from = new Date(event.timestamp.getTime() - durationMs(trigger.count.within));
        const earlier = await tx.query<{ id: string; name: string; properties: Record<string, unknown> | null; timestamp: Date }>`
          SELECT id::text, name, properties, timestamp FROM events
           WHERE profile_id = ${event.profileId} AND name = ${trigger.event} AND timestamp > ${from}::timestamptz AND timestamp <= ${event.timestamp}::timestamptz`;
        // The event itself is stored too: counted once, as itself.
        history = earlier.filter((e) => e.id !== event.id).map((e): EvalEvent => ({ name: e.name, properties: e.properties ?? {}, timestamp: e.timestamp }));
        history.push(event);
      }
      if (!eventTriggerVerdict(trigger, event, history).enrolls) continue;
      const correlation = trigger.correlationKey ? correlationOf(event, trigger.correlationKey) : null;
      // A correlated journey needs the key's value: without it there is nothing to be "once per".
      if (trigger.correlationKey && correlation === null) continue;
      candidates.push({ journey, profileId: event.profileId, event, correlation });
    }
  }
  if (candidates.length > 0) await enrollMany(tx, candidates, now);

  await wakeInside(tx, events, now);
  await lateConversions(tx, events);
}

/** Event waits, goals and exit criteria of people already inside. */
async function wakeInside(tx: Sql, events: StoredEvent[], now: Date) {
  const active = await activeOf(tx, [...new Set(events.map((e) => e.profileId))]);
  if (active.length === 0) return;
  const defs = await loadVersions(tx, active.map((a) => ({ journeyId: a.journey_id, version: a.version })));
  for (const a of active) {
    const def = defs.get(versionKey(a.journey_id, a.version));
    if (!def) continue;
    const own = events.filter((e) => e.profileId === a.profile_id);
    const waited = a.waiting_for ? waitedEvent(def, a, own) : undefined;
    // The event wins unless the wait's own timer (its timeout) was due first; a pending check gives way to it.
    const timer = a.state.wakeAt ? new Date(a.state.wakeAt) : null;
    if (waited && (timer === null || timer.getTime() > now.getTime()) && a.wake?.type !== "event") {
      const wake = { type: "event", event: { name: waited.name, properties: waited.properties, timestamp: waited.timestamp.toISOString() } };
      const woken = await tx.execute`
        UPDATE journey_enrollments SET wake = ${JSON.stringify(wake)}::jsonb, wake_at = ${now}::timestamptz
         WHERE id = ${a.id} AND status = 'active' AND step = ${a.step}::int`;
      if (woken > 0) await announceDue(tx);
      continue;
    }
    if (own.some((e) => rulesName(def, "event").has(e.name ?? ""))) await wakeForCheck(tx, a, now);
  }
}

async function onMembership(tx: Sql, row: FeedRow, journeys: LiveJourney[], now: Date) {
  const segmentId = row.payload?.segmentId as string | undefined;
  const change = row.payload?.change as "entered" | "exited" | undefined;
  if (!segmentId || !change) return;
  for (const journey of journeys) {
    const trigger = triggerOf(journey.def);
    const wanted = change === "entered" ? "segment_entered" : "segment_exited";
    if (trigger?.type !== wanted || trigger.segmentId !== segmentId) continue;
    await enrollMany(tx, row.profileIds.map((profileId) => ({ journey, profileId })), now);
  }
  if (change !== "entered") return;
  const active = await activeOf(tx, row.profileIds);
  if (active.length === 0) return;
  const defs = await loadVersions(tx, active.map((a) => ({ journeyId: a.journey_id, version: a.version })));
  for (const a of active) {
    const def = defs.get(versionKey(a.journey_id, a.version));
    if (def && rulesName(def, "segment").has(segmentId)) await wakeForCheck(tx, a, now);
  }
}

async function activeOf(tx: Sql, profileIds: string[]): Promise<ActiveRow[]> {
  if (profileIds.length === 0) return [];
  return tx.query<ActiveRow>`
    SELECT id, journey_id, version, profile_id, step, state, waiting_for, wake, wake_at
      FROM journey_enrollments WHERE profile_id = ANY(${profileIds}::text[]) AND status = 'active'`;
}

/** The first of the person's new events the enrollment's event wait is for (its filters and correlation key). */
function waitedEvent(def: JourneyDefinition, a: ActiveRow, events: StoredEvent[]): StoredEvent | undefined {
  const node = def.nodes.find((n) => n.id === a.state.at);
  if (node?.kind !== "wait" || node.wait.type !== "event") return undefined;
  const wait = node.wait;
  const trigger = triggerOf(def);
  const key = trigger?.type === "event" ? trigger.correlationKey : undefined;
  return events.find((e) => eventMatches(e, wait.event, wait.filters) && (!key || a.state.correlation === null || correlationOf(e, key) === a.state.correlation));
}

/** The events (or segments) a journey's goal and exit criteria name. */
function rulesName(def: JourneyDefinition, type: "event" | "segment"): Set<string> {
  const out = new Set<string>();
  for (const rule of [def.settings.goal, def.settings.exitCriteria]) {
    if (rule?.type === "event" && type === "event" && rule.event) out.add(rule.event);
    if (rule?.type === "segment" && type === "segment" && rule.segmentId) out.add(rule.segmentId);
  }
  return out;
}

/** Due now for a check of the goal and exit criteria where the person waits (an event wake already does that). */
async function wakeForCheck(tx: Sql, a: ActiveRow, now: Date) {
  // Decided by the row as it is now (under its lock), not by what was read before.
  const woken = await tx.execute`
    UPDATE journey_enrollments SET wake = '{"type":"check"}'::jsonb, wake_at = ${now}::timestamptz
     WHERE id = ${a.id} AND status = 'active' AND step = ${a.step}::int AND wake IS NULL`;
  if (woken > 0) await announceDue(tx);
}

/** How far back a goal event may convert an ended enrollment (conversion windows longer than this count as this long). */
const LATE_CONVERSION_DAYS = 90;

/** A goal event after the enrollment ended, within the conversion window from entering, still converts it. */
async function lateConversions(tx: Sql, events: StoredEvent[]) {
  // From the trigger's time (state.triggeredAt) when it came before entering, as the interpreter counts.
  const ended = await tx.query<{ id: string; journey_id: string; version: number; profile_id: string; entered_at: Date }>`
    SELECT id, journey_id, version, profile_id, COALESCE((state ->> 'triggeredAt')::timestamptz, entered_at) AS entered_at FROM journey_enrollments
     WHERE profile_id = ANY(${[...new Set(events.map((e) => e.profileId))]}::text[]) AND status <> 'active' AND converted_at IS NULL
       AND entered_at > ${new Date(Math.min(...events.map((e) => e.timestamp.getTime())) - LATE_CONVERSION_DAYS * 86_400_000)}::timestamptz
     ORDER BY entered_at DESC
     LIMIT 500`;
  if (ended.length === 0) return;
  const defs = await loadVersions(tx, ended.map((e) => ({ journeyId: e.journey_id, version: e.version })));
  for (const e of ended) {
    const goal = defs.get(versionKey(e.journey_id, e.version))?.settings.goal;
    if (goal?.type !== "event" || !goal.event) continue;
    const until = e.entered_at.getTime() + durationMs(goal.window);
    const hit = events.find((ev) => ev.profileId === e.profile_id && eventMatches(ev, goal.event, goal.filters) && ev.timestamp.getTime() >= e.entered_at.getTime() && ev.timestamp.getTime() <= until);
    if (hit) await tx.execute`UPDATE journey_enrollments SET converted_at = ${hit.timestamp}::timestamptz WHERE id = ${e.id} AND converted_at IS NULL`;
  }
}
