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
  | { enrolled: false; reason: "inside" | "reentry" | "capacity" | "gone" };

export const ENROLL_REFUSALS: Record<Exclude<EnrollOutcome, { enrolled: true }>["reason"], string> = {
  gone: "This person no longer exists (merged into another profile, or deleted).",
  inside: "Already inside the journey (for this correlation key).",
  reentry: "The re-entry rule stopped them: they entered before.",
  capacity: "The journey was full (its cap on people inside at once).",
};

/** NOTIFY channel of "an enrollment became due now": the runtime's stepper (./runner.ts) looks at once, in whichever process it runs. */
export const DUE_CHANNEL = "junction_journeys_due";

const announced = new WeakSet<Sql>();

/** Wakes the steppers when this transaction commits (NOTIFY is sent at commit, and only then); once per transaction. */
export async function announceDue(tx: Sql): Promise<void> {
  if (announced.has(tx)) return;
  await tx.query`SELECT pg_notify(${DUE_CHANNEL}, '')`;
  announced.add(tx);
}

export async function enroll(
  tx: Sql,
  input: { journey: LiveJourney; profileId: string; now: Date; event?: EvalEvent & { id?: string }; correlation?: string | null },
): Promise<EnrollOutcome> {
  const { journey, profileId, now } = input;
  const state = newEnrollment(journey.def, now, input.event);
  const key = input.correlation ?? state.correlation ?? "";
  const settings = journey.def.settings;
  const cap = settings.maxConcurrent;

  // A person merged away or deleted since the trigger was stored enrolls nowhere (their
  // rows would break the foreign keys, and the feed would retry the row for ever). KEY SHARE:
  // a merge or deletion running now waits for this transaction.
  if ((await existing(tx, [profileId])).size === 0) return { enrolled: false, reason: "gone" };

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
  await announceDue(tx);
  return { enrolled: true, enrollmentId: id };
}

export interface EnrollCandidate {
  journey: LiveJourney;
  profileId: string;
  event?: EvalEvent & { id?: string };
  correlation?: string | null;
}

/**
 * `enroll` for many candidates at once (a feed row's events), with the same outcome for each
 * as calling `enroll` for them one after the other in this order: a few statements per
 * journey instead of three or four per person. Of candidates for the same journey, person
 * and correlation key only the first is decided (the ones after it would find them inside,
 * or be refused for the same reason). Journeys with a cap on people inside go one by one
 * (`enroll`): the cap's row is counted person by person.
 */
export async function enrollMany(tx: Sql, candidates: EnrollCandidate[], now: Date): Promise<EnrollOutcome[]> {
  const out: (EnrollOutcome | undefined)[] = new Array(candidates.length);
  const firstOf = new Map<string, number>();
  const batched = new Map<string, { i: number; key: string; state: ReturnType<typeof newEnrollment> }[]>();
  const present = await existing(tx, candidates.map((c) => c.profileId));
  for (const [i, c] of candidates.entries()) {
    if (!present.has(c.profileId)) {
      out[i] = { enrolled: false, reason: "gone" };
      continue;
    }
    if (c.journey.def.settings.maxConcurrent !== undefined) {
      out[i] = await enroll(tx, { ...c, now });
      continue;
    }
    const state = newEnrollment(c.journey.def, now, c.event);
    const key = c.correlation ?? state.correlation ?? "";
    const k = `${c.journey.id}\u0000${c.profileId}\u0000${key}`;
    if (firstOf.has(k)) continue;
    firstOf.set(k, i);
    const list = batched.get(c.journey.id) ?? [];
    list.push({ i, key, state });
    batched.set(c.journey.id, list);
  }
  let any = false;
  for (const list of batched.values()) {
    const journey = candidates[list[0]!.i]!.journey;
    // Someone already inside: refused without a lock.
    const inside = new Set(
      (
        await tx.query<{ i: number }>`
          SELECT c.i::int FROM unnest(${list.map((x) => candidates[x.i]!.profileId)}::text[], ${list.map((x) => x.key)}::text[]) WITH ORDINALITY AS c(profile_id, key, i)
           WHERE EXISTS (SELECT 1 FROM journey_enrollments e
                          WHERE e.journey_id = ${journey.id} AND e.profile_id = c.profile_id AND e.correlation_key = c.key AND e.status = 'active')`
      ).map((r) => r.i - 1),
    );
    for (const [n, x] of list.entries()) if (inside.has(n)) out[x.i] = { enrolled: false, reason: "inside" };
    // In key order: concurrent enrollers lock the entries' rows in the same order.
    const rest = list.filter((_, n) => !inside.has(n)).sort((a, b) => cmp(candidates[a.i]!.profileId, candidates[b.i]!.profileId) || cmp(a.key, b.key));
    if (rest.length === 0) continue;
    const reentry = journey.def.settings.reentry;
    const afterMs = reentry.mode === "after" ? durationMs(reentry.after) : 0;
    const allowed = new Set(
      (
        await tx.query<{ profile_id: string; correlation_key: string }>`
          INSERT INTO journey_entries (journey_id, profile_id, correlation_key, first_entered_at, last_entered_at)
          SELECT ${journey.id}, c.profile_id, c.key, ${now}::timestamptz, ${now}::timestamptz
            FROM unnest(${rest.map((x) => candidates[x.i]!.profileId)}::text[], ${rest.map((x) => x.key)}::text[]) WITH ORDINALITY AS c(profile_id, key, i)
           ORDER BY c.i
          ON CONFLICT (journey_id, profile_id, correlation_key) DO UPDATE
             SET last_entered_at = EXCLUDED.last_entered_at, entries = journey_entries.entries + 1
           WHERE ${reentry.mode}::text = 'always'
              OR (${reentry.mode}::text = 'after' AND journey_entries.last_entered_at <= EXCLUDED.last_entered_at - make_interval(secs => ${afterMs / 1000}::float8))
          RETURNING profile_id, correlation_key`
      ).map((r) => `${r.profile_id}\u0000${r.correlation_key}`),
    );
    const entering = rest.filter((x) => {
      if (allowed.has(`${candidates[x.i]!.profileId}\u0000${x.key}`)) return true;
      out[x.i] = { enrolled: false, reason: "reentry" };
      return false;
    });
    if (entering.length === 0) continue;
    const rows = entering.map((x) => {
      const c = candidates[x.i]!;
      const triggerEvent = c.event ? { name: c.event.name, properties: c.event.properties, timestamp: c.event.timestamp.toISOString() } : null;
      return { x, id: randomUUID(), profileId: c.profileId, state: JSON.stringify(x.state), wake: JSON.stringify({ type: "enter", ...(triggerEvent ? { event: triggerEvent } : {}) }), trigger: triggerEvent === null ? null : JSON.stringify(triggerEvent) };
    });
    const inserted = new Set(
      (
        await tx.query<{ id: string }>`
          INSERT INTO journey_enrollments (id, workspace_id, journey_id, version, profile_id, correlation_key, state, entered_at, updated_at, wake_at, wake, trigger_event)
          SELECT r.id, ${journey.workspaceId}, ${journey.id}, ${journey.version}::int, r.profile_id, r.key, r.state, ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz, r.wake, r.trigger
            FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.profileId)}::text[], ${rows.map((r) => r.x.key)}::text[], ${rows.map((r) => r.state)}::jsonb[],
                        ${rows.map((r) => r.wake)}::jsonb[], ${rows.map((r) => r.trigger)}::jsonb[]) WITH ORDINALITY AS r(id, profile_id, key, state, wake, trigger, i)
           ORDER BY r.i
          ON CONFLICT (journey_id, profile_id, correlation_key) WHERE status = 'active' DO NOTHING
          RETURNING id`
      ).map((r) => r.id),
    );
    for (const r of rows) {
      if (inserted.has(r.id)) {
        out[r.x.i] = { enrolled: true, enrollmentId: r.id };
        any = true;
      } else out[r.x.i] = { enrolled: false, reason: "inside" };
    }
  }
  if (any) await announceDue(tx);
  // Later candidates for the same journey, person and key: inside (the first got in), or refused as it was.
  return candidates.map((c, i) => {
    const own = out[i];
    if (own) return own;
    const state = newEnrollment(c.journey.def, now, c.event);
    const first = out[firstOf.get(`${c.journey.id}\u0000${c.profileId}\u0000${c.correlation ?? state.correlation ?? ""}`)!]!;
    return first.enrolled ? { enrolled: false, reason: "inside" } : first;
  });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Of these people, those who still exist, kept from being deleted or merged away until this transaction ends. */
async function existing(tx: Sql, profileIds: string[]): Promise<Set<string>> {
  if (profileIds.length === 0) return new Set();
  const rows = await tx.query<{ id: string }>`SELECT id FROM profiles WHERE id = ANY(${[...new Set(profileIds)].sort()}::text[]) ORDER BY id FOR KEY SHARE`;
  return new Set(rows.map((r) => r.id));
}
