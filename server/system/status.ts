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
}

/** What the admin status page shows: the change feed's consumers, re-checks, repairs and jobs. */
export async function systemStatus(db: Db, input: { workspaceId: string }): Promise<SystemStatus> {
  const q = sql(db);
  const [feed, [rechecks], [repairs], jobs] = await Promise.all([
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
  ]);
  return {
    checkedAt: new Date(),
    feed: feed.map((c) => ({ ...c, lagging: c.seconds > LAGGING_SECONDS })),
    rechecks: { scheduled: rechecks!.scheduled, overdue: rechecks!.overdue, nextDueAt: rechecks!.next },
    repairs24h: repairs!.n,
    jobs,
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
