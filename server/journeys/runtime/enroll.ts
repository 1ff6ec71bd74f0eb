import { randomUUID } from "node:crypto";
import { newEnrollment } from "@/lib/journeys/interpret";
import { durationMs } from "@/lib/journeys/schema";
import type { EvalEvent } from "@/lib/segments/evaluate";
import type { Sql } from "@/server/db/client";
import type { LiveJourney } from "./versions";

/**
 * Enrolling one person in one live journey, with the rules decided by the database: the
 * journey's cap on people inside at once (journey_capacity, a row lock and a condition),
 * the re-entry rule (journey_entries, one row per person and correlation key, updated only
 * when the rule allows) and "inside once per key" (the partial unique index on active
 * enrollments). Duplicate or concurrent triggers therefore enroll once: the second one waits
 * for the first one's row lock and then finds the rule says no.
 *
 * The new enrollment is due at once (wake_at = now): the stepper takes its first step.
 */

export type EnrollOutcome =
  | { enrolled: true; enrollmentId: string }
  | { enrolled: false; reason: "inside" | "reentry" | "capacity" };

export const ENROLL_REFUSALS: Record<Exclude<EnrollOutcome, { enrolled: true }>["reason"], string> = {
  inside: "Already inside the journey (for this correlation key).",
  reentry: "The re-entry rule stopped them: they entered before.",
  capacity: "The journey was full (its cap on people inside at once).",
};

export async function enroll(
  tx: Sql,
  input: { journey: LiveJourney; profileId: string; now: Date; event?: EvalEvent & { id?: string }; correlation?: string | null },
): Promise<EnrollOutcome> {
  const { journey, profileId, now } = input;
  const state = newEnrollment(journey.def, now, input.event);
  const key = input.correlation ?? state.correlation ?? "";
  const settings = journey.def.settings;
  const cap = settings.maxConcurrent;

  // Cheap first: someone already inside needs no lock at all.
  const [inside] = await tx.query<{ id: string }>`
    SELECT id FROM journey_enrollments WHERE journey_id = ${journey.id} AND profile_id = ${profileId} AND correlation_key = ${key} AND status = 'active' LIMIT 1`;
  if (inside) return { enrolled: false, reason: "inside" };

  if (cap !== undefined) {
    await tx.execute`
      INSERT INTO journey_capacity (journey_id, active)
      SELECT ${journey.id}, count(*) FROM journey_enrollments WHERE journey_id = ${journey.id} AND status = 'active'
      ON CONFLICT (journey_id) DO NOTHING`;
    const taken = await tx.execute`UPDATE journey_capacity SET active = active + 1 WHERE journey_id = ${journey.id} AND active < ${cap}::int`;
    if (taken === 0) return { enrolled: false, reason: "capacity" };
  }
  const release = async () => {
    if (cap !== undefined) await tx.execute`UPDATE journey_capacity SET active = active - 1 WHERE journey_id = ${journey.id} AND active > 0`;
  };

  const reentry = settings.reentry;
  const afterMs = reentry.mode === "after" ? durationMs(reentry.after) : 0;
  const entry = await tx.query<{ ok: boolean }>`
    INSERT INTO journey_entries (journey_id, profile_id, correlation_key, first_entered_at, last_entered_at)
    VALUES (${journey.id}, ${profileId}, ${key}, ${now}::timestamptz, ${now}::timestamptz)
    ON CONFLICT (journey_id, profile_id, correlation_key) DO UPDATE
       SET last_entered_at = EXCLUDED.last_entered_at, entries = journey_entries.entries + 1
     WHERE ${reentry.mode}::text = 'always'
        OR (${reentry.mode}::text = 'after' AND journey_entries.last_entered_at <= EXCLUDED.last_entered_at - make_interval(secs => ${afterMs / 1000}::float8))
    RETURNING true AS ok`;
  if (entry.length === 0) {
    await release();
    return { enrolled: false, reason: "reentry" };
  }

  const id = randomUUID();
  const triggerEvent = input.event ? { name: input.event.name, properties: input.event.properties, timestamp: input.event.timestamp.toISOString() } : null;
  const inserted = await tx.execute`
    INSERT INTO journey_enrollments (id, workspace_id, journey_id, version, profile_id, correlation_key, state, entered_at, updated_at, wake_at, wake, trigger_event)
    VALUES (${id}, ${journey.workspaceId}, ${journey.id}, ${journey.version}::int, ${profileId}, ${key}, ${JSON.stringify(state)}::jsonb,
            ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz,
            ${JSON.stringify({ type: "enter", ...(triggerEvent ? { event: triggerEvent } : {}) })}::jsonb, ${triggerEvent === null ? null : JSON.stringify(triggerEvent)}::jsonb)
    ON CONFLICT (journey_id, profile_id, correlation_key) WHERE status = 'active' DO NOTHING`;
  if (inserted === 0) {
    await release();
    return { enrolled: false, reason: "inside" };
  }
  return { enrolled: true, enrollmentId: id };
}
