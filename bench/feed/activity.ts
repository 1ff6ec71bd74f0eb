/**
 * Where the consumer's time goes, seen from Postgres: pg_stat_activity sampled every few
 * milliseconds, each of the worker's connections labelled by what it runs (a query of
 * loadPeople, applyMembership, the feed…) or "idle in transaction" (the step's JavaScript:
 * evaluation, building the next statement), counted per sample.
 */
import pg from "pg";

const LABELS: [RegExp, string][] = [
  [/WITH inserted AS \(\s*INSERT INTO events/, "ingest: events, profiles, data version (writeBatch)"],
  [/SELECT 'p' AS src/, "ingest: lookup"],
  [/pg_advisory_xact_lock\(k\)/, "ingest: BEGIN and identity locks"],
  [/INSERT INTO profiles|INSERT INTO profile_identities/, "ingest: new profiles"],
  [/pg_try_advisory_xact_lock/, "step: consumer lock"],
  [/INSERT INTO feed_cursors|SELECT xid::text, position/, "step: cursor read"],
  [/UPDATE feed_cursors/, "step: cursor moved"],
  [/FROM change_feed\s+WHERE \(xid, id\) >|FROM change_feed f, horizon h/, "step: readFeed"],
  [/SAVEPOINT/, "savepoint"],
  [/pg_notify/, "NOTIFY (announceFeed)"],
  [/SELECT id, definition FROM segments/, "segments read"],
  [/^\s*SELECT id, user_id, email, phone/, "loadPeople: profiles"],
  [/SELECT profile_id, name, timestamp, properties FROM events/, "loadPeople: events"],
  [/SELECT profile_id, segment_id FROM segment_memberships/, "loadPeople: memberships"],
  [/subscription_groups|subscription_states/, "loadPeople: consent"],
  [/"segments"/, "segments read (Prisma)"],
  [/INSERT INTO segment_memberships/, "applyMembership: enter"],
  [/UPDATE segment_memberships SET exited_at/, "applyMembership: exit"],
  [/INSERT INTO segment_membership_history/, "applyMembership: history"],
  [/WITH appended AS/, "appendFeed (feed rows)"],
  [/UPDATE segments SET/, "applyMembership: size"],
  [/workspace_data_versions/, "applyMembership: data version"],
  [/segment_size_history/, "applyMembership: size history"],
  [/FROM segment_rechecks WHERE due_at <=/, "due: read"],
  [/INSERT INTO segment_rechecks|DELETE FROM segment_rechecks/, "rechecks scheduled"],
  [/^\s*COMMIT/, "commit"],
  [/^\s*BEGIN/, "begin"],
  [/graphile_worker/, "graphile-worker"],
  [/LISTEN/, "listen"],
];

export function labelOf(query: string): string {
  for (const [re, label] of LABELS) if (re.test(query)) return label;
  return query.replace(/\s+/g, " ").trim().slice(0, 60);
}

export interface ActivitySampler {
  stop(): Promise<{ samples: number; ms: number; byLabel: Map<string, number> }>;
}

/**
 * Samples every `everyMs` the connections whose application_name is one of `apps`; labels
 * are prefixed with the application's name.
 */
export function sampleActivity(connectionString: string, apps: string[], everyMs = 5): ActivitySampler {
  const client = new pg.Client({ connectionString, application_name: "bench-activity" });
  const byLabel = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const t0 = performance.now();
  const loop = (async () => {
    await client.connect();
    while (!stopped) {
      const started = performance.now();
      const { rows } = await client.query<{ app: string; state: string | null; wait: string | null; query: string; blockers: string | null }>(
        `SELECT a.application_name AS app, a.state, a.wait_event_type || ':' || a.wait_event AS wait, a.query,
                CASE WHEN a.wait_event_type = 'Lock' THEN
                  (SELECT string_agg(DISTINCT b.application_name, ',') FROM pg_stat_activity b WHERE b.pid = ANY(pg_blocking_pids(a.pid))) END AS blockers
           FROM pg_stat_activity a
          WHERE a.datname = current_database() AND a.application_name = ANY($1) AND a.backend_type = 'client backend'`,
        [apps],
      );
      samples++;
      for (const r of rows) {
        let label: string;
        if (r.state === "active") {
          label = labelOf(r.query);
          if (r.wait && !/^Client:|^Activity:/.test(r.wait)) label += ` [${r.wait}${r.blockers ? `, held by ${r.blockers}` : ""}]`;
        } else if (r.state === "idle in transaction") {
          // The query column holds the statement that ran last on the connection.
          label = `in a transaction, JavaScript (after ${labelOf(r.query)})`;
        } else continue;
        label = `${r.app}: ${label}`;
        byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
      }
      const wait = everyMs - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await client.end();
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { samples, ms: performance.now() - t0, byLabel };
    },
  };
}
