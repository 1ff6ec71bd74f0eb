import { nextScheduledRun } from "@/lib/journeys/schedule";
import { triggerOf } from "@/lib/journeys/triggers";
import { isTimeZone } from "@/lib/journeys/time";
import { sqlTransaction, type Db } from "@/server/db/client";
import { enroll } from "./enroll";
import { databaseNow } from "./steps";
import { liveJourneys } from "./versions";

/**
 * Schedule triggers: each live journey with one has a row in journey_schedules saying when
 * it runs next (in the workspace's time zone). When that time comes, workers enroll the
 * segment's members — with the same rules as every other trigger — in chunks of
 * `SCHEDULE_CHUNK`, each chunk one short transaction that moves the row's cursor (a big
 * segment never holds one transaction open, which would hold back the change feed), and
 * then schedule the next run. A paused journey's run waits until it is resumed. After
 * downtime, a recurring schedule runs once and then at its next time ahead — missed runs
 * are not replayed one after the other.
 */

export const SCHEDULE_CHUNK = 1_000;
/** Chunks one call does at most (the housekeeping loop has other work too). */
const CHUNKS_PER_CALL = 20;

export async function runSchedules(db: Db, options: { clock?: () => Date } = {}): Promise<number> {
  await registerSchedules(db, options);
  let enrolled = 0;
  for (let i = 0; i < CHUNKS_PER_CALL; i++) {
    const chunk = await runChunk(db, options);
    if (chunk === null) break;
    enrolled += chunk;
  }
  return enrolled;
}

/** A journey published (again) with a schedule trigger: its next run, from now. Rows of other journeys are not touched (or locked). */
async function registerSchedules(db: Db, options: { clock?: () => Date }) {
  await sqlTransaction(db, async (tx) => {
    const now = options.clock ? options.clock() : await databaseNow(tx);
    const workspaces = await tx.query<{ id: string; default_timezone: string }>`
      SELECT DISTINCT w.id, w.default_timezone FROM journeys j JOIN workspaces w ON w.id = j.workspace_id WHERE j.status = 'live'`;
    const zoneOf = new Map(workspaces.map((w) => [w.id, isTimeZone(w.default_timezone) ? w.default_timezone : "UTC"]));
    for (const j of await liveJourneys(tx, [...zoneOf.keys()])) {
      const trigger = triggerOf(j.def);
      if (trigger?.type !== "schedule" || !trigger.schedule) continue;
      const next = nextScheduledRun(trigger.schedule, new Date(Math.max(now.getTime(), j.publishedAt.getTime()) - 1), zoneOf.get(j.workspaceId)!);
      await tx.execute`
        INSERT INTO journey_schedules (journey_id, version, next_run_at) VALUES (${j.id}, ${j.version}::int, ${next}::timestamptz)
        ON CONFLICT (journey_id) DO NOTHING`;
      await tx.execute`
        UPDATE journey_schedules SET version = ${j.version}::int, next_run_at = ${next}::timestamptz, run_cursor = NULL
         WHERE journey_id = ${j.id} AND version <> ${j.version}::int`;
    }
  });
}

/** One chunk of one due run; null when no run is due (or every due one is being worked on). */
async function runChunk(db: Db, options: { clock?: () => Date }): Promise<number | null> {
  return sqlTransaction(db, async (tx) => {
    const now = options.clock ? options.clock() : await databaseNow(tx);
    const [row] = await tx.query<{ journey_id: string; workspace_id: string; next_run_at: Date; run_cursor: string | null; timezone: string }>`
      SELECT s.journey_id, j.workspace_id, s.next_run_at, s.run_cursor, w.default_timezone AS timezone
        FROM journey_schedules s
        JOIN journeys j ON j.id = s.journey_id AND j.status = 'live'
        JOIN workspaces w ON w.id = j.workspace_id
       WHERE s.next_run_at <= ${now}::timestamptz
       ORDER BY s.next_run_at
       LIMIT 1
         FOR UPDATE OF s SKIP LOCKED`;
    if (!row) return null;
    const journey = (await liveJourneys(tx, [row.workspace_id])).find((j) => j.id === row.journey_id);
    const trigger = journey ? triggerOf(journey.def) : null;
    if (!journey || trigger?.type !== "schedule" || !trigger.schedule) {
      await tx.execute`UPDATE journey_schedules SET next_run_at = NULL, run_cursor = NULL WHERE journey_id = ${row.journey_id}`;
      return 0;
    }
    const members = trigger.segmentId
      ? await tx.query<{ profile_id: string }>`
          SELECT profile_id FROM segment_memberships
           WHERE segment_id = ${trigger.segmentId} AND exited_at IS NULL AND profile_id > ${row.run_cursor ?? ""}
           ORDER BY profile_id
           LIMIT ${SCHEDULE_CHUNK}::int`
      : [];
    let enrolled = 0;
    for (const m of members) if ((await enroll(tx, { journey, profileId: m.profile_id, now })).enrolled) enrolled++;
    if (members.length === SCHEDULE_CHUNK) {
      await tx.execute`UPDATE journey_schedules SET run_cursor = ${members.at(-1)!.profile_id} WHERE journey_id = ${row.journey_id}`;
    } else {
      // The run is done: the next one after now (missed runs are not replayed).
      const zone = isTimeZone(row.timezone) ? row.timezone : "UTC";
      const next = nextScheduledRun(trigger.schedule, new Date(Math.max(now.getTime(), row.next_run_at.getTime())), zone);
      await tx.execute`
        UPDATE journey_schedules SET next_run_at = ${next}::timestamptz, last_run_at = ${now}::timestamptz, run_cursor = NULL WHERE journey_id = ${row.journey_id}`;
    }
    return enrolled;
  });
}
