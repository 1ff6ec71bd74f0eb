import { sql, type Db } from "@/server/db/client";
import { feedLag, type ConsumerLag } from "@/server/feed/feed";

/** A consumer this far behind (seconds) is shown as lagging (the status page, /api/v1/health). */
export const LAGGING_SECONDS = 60;

export interface SystemStatus {
  checkedAt: Date;
  feed: (ConsumerLag & { lagging: boolean })[];
  /** Time-based segment re-checks: how many are scheduled, how many are overdue (by more than a minute), the next one. */
  rechecks: { scheduled: number; overdue: number; nextDueAt: Date | null };
  /** Entries and exits the periodic check had to correct in the last 24 hours (this workspace; there should be none). */
  repairs24h: number;
  /** Background jobs waiting and failed for good (graphile-worker). */
  jobs: { queued: number; failed: number };
  /**
   * The journey runtime (this workspace): enrollments due now and how many of them are late
   * (due more than 5 seconds ago: the workers are behind or stopped), sends waiting to go out,
   * and in the last 24 hours sends that failed for good or ended unknown after a crash.
   */
  journeys: { due: number; late: number; oldestDueAt: Date | null; sendsDue: number; sending: number; failed24h: number; unknown24h: number };
}

/** What the admin status page shows: the change feed's consumers, re-checks, repairs, jobs and the journey runtime. */
export async function systemStatus(db: Db, input: { workspaceId: string }): Promise<SystemStatus> {
  const q = sql(db);
  const [feed, [rechecks], [repairs], jobs, [journeys], [sends]] = await Promise.all([
    feedLag(db),
    q.query<{ scheduled: number; overdue: number; next: Date | null }>`
      SELECT count(*)::int AS scheduled,
             count(*) FILTER (WHERE due_at < now() - interval '1 minute')::int AS overdue,
             min(due_at) AS next
        FROM segment_rechecks WHERE workspace_id = ${input.workspaceId}`,
    q.query<{ n: number }>`
      SELECT count(*)::int AS n FROM segment_membership_history h JOIN segments s ON s.id = h.segment_id
       WHERE s.workspace_id = ${input.workspaceId} AND h.cause = 'repair' AND h.at > now() - interval '24 hours'`,
    jobCounts(db),
    q.query<{ due: number; late: number; oldest: Date | null }>`
      SELECT count(*)::int AS due, count(*) FILTER (WHERE wake_at < now() - interval '5 seconds')::int AS late, min(wake_at) AS oldest
        FROM journey_enrollments WHERE workspace_id = ${input.workspaceId} AND status = 'active' AND wake_at <= now()`,
    q.query<{ due: number; sending: number; failed: number; unknown: number }>`
      SELECT count(*) FILTER (WHERE status = 'queued' AND next_attempt_at <= now())::int AS due,
             count(*) FILTER (WHERE status = 'sending')::int AS sending,
             count(*) FILTER (WHERE status = 'failed' AND updated_at > now() - interval '24 hours')::int AS failed,
             count(*) FILTER (WHERE status = 'unknown' AND updated_at > now() - interval '24 hours')::int AS unknown
        FROM deliveries WHERE workspace_id = ${input.workspaceId} AND journey_id IS NOT NULL
         AND (status IN ('queued', 'sending') OR created_at > now() - interval '7 days')`,
  ]);
  return {
    checkedAt: new Date(),
    feed: feed.map((c) => ({ ...c, lagging: c.seconds > LAGGING_SECONDS })),
    rechecks: { scheduled: rechecks!.scheduled, overdue: rechecks!.overdue, nextDueAt: rechecks!.next },
    repairs24h: repairs!.n,
    jobs,
    journeys: { due: journeys!.due, late: journeys!.late, oldestDueAt: journeys!.oldest, sendsDue: sends!.due, sending: sends!.sending, failed24h: sends!.failed, unknown24h: sends!.unknown },
  };
}

/** graphile-worker's queue; zeros before its schema exists (the worker has never started). */
async function jobCounts(db: Db): Promise<{ queued: number; failed: number }> {
  try {
    const [row] = await sql(db).query<{ queued: number; failed: number }>`
      SELECT count(*) FILTER (WHERE attempts < max_attempts)::int AS queued,
             count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
        FROM graphile_worker.jobs`;
    return row!;
  } catch {
    return { queued: 0, failed: 0 };
  }
}
