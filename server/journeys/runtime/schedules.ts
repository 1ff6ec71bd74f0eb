import { nextScheduledRun } from "@/lib/journeys/schedule";
import { triggerOf } from "@/lib/journeys/triggers";
import { isTimeZone } from "@/lib/journeys/time";
import { sqlTransaction, type Db } from "@/server/db/client";
import { enroll } from "./enroll";
import { databaseNow } from "./steps";
import { liveJourneys } from "./versions";

/**
 * Schedule triggers: each live journey with one has a row in journey_schedules saying when
 * it runs next (in the workspace's time zone). When that time comes, one worker (the row is
 * locked, SKIP LOCKED) enrolls the segment's members — with the same rules as every other
 * trigger — and moves the row to the next run, in one transaction.
 */
export async function runSchedules(db: Db, options: { clock?: () => Date } = {}): Promise<number> {
  return sqlTransaction(db, async (tx) => {
    const now = options.clock ? options.clock() : await databaseNow(tx);
    const workspaces = await tx.query<{ id: string; default_timezone: string }>`
      SELECT DISTINCT w.id, w.default_timezone FROM journeys j JOIN workspaces w ON w.id = j.workspace_id WHERE j.status = 'live'`;
    const zoneOf = new Map(workspaces.map((w) => [w.id, isTimeZone(w.default_timezone) ? w.default_timezone : "UTC"]));
    const scheduled = (await liveJourneys(tx, [...zoneOf.keys()])).filter((j) => triggerOf(j.def)?.type === "schedule");
    // A journey published (again): its next run, from now.
    for (const j of scheduled) {
      const trigger = triggerOf(j.def);
      if (trigger?.type !== "schedule" || !trigger.schedule) continue;
      const next = nextScheduledRun(trigger.schedule, new Date(Math.max(now.getTime(), j.publishedAt.getTime()) - 1), zoneOf.get(j.workspaceId)!);
      await tx.execute`
        INSERT INTO journey_schedules (journey_id, version, next_run_at) VALUES (${j.id}, ${j.version}::int, ${next}::timestamptz)
        ON CONFLICT (journey_id) DO UPDATE SET version = EXCLUDED.version, next_run_at = EXCLUDED.next_run_at
         WHERE journey_schedules.version <> EXCLUDED.version`;
    }
    const due = await tx.query<{ journey_id: string; next_run_at: Date }>`
      SELECT journey_id, next_run_at FROM journey_schedules WHERE next_run_at <= ${now}::timestamptz FOR UPDATE SKIP LOCKED`;
    let enrolled = 0;
    for (const row of due) {
      const j = scheduled.find((s) => s.id === row.journey_id);
      const trigger = j ? triggerOf(j.def) : null;
      if (!j || trigger?.type !== "schedule" || !trigger.schedule) {
        await tx.execute`UPDATE journey_schedules SET next_run_at = NULL WHERE journey_id = ${row.journey_id}`;
        continue;
      }
      const members = trigger.segmentId
        ? await tx.query<{ profile_id: string }>`SELECT profile_id FROM segment_memberships WHERE segment_id = ${trigger.segmentId} AND exited_at IS NULL`
        : [];
      for (const m of members) if ((await enroll(tx, { journey: j, profileId: m.profile_id, now })).enrolled) enrolled++;
      const next = nextScheduledRun(trigger.schedule, row.next_run_at, zoneOf.get(j.workspaceId)!);
      await tx.execute`UPDATE journey_schedules SET next_run_at = ${next}::timestamptz, last_run_at = ${now}::timestamptz WHERE journey_id = ${row.journey_id}`;
    }
    return enrolled;
  });
}
