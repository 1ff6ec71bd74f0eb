import type { DbTx } from "@/server/db/client";

/**
 * The dashboard's numbers: people, events today and this week (calendar days and the
 * Monday-based week of the workspace's time zone), live segments and the largest of them.
 * Each is cheap at any size: the profile count is the kept sum (workspace_data_versions),
 * events are counted per name over the (workspace_id, name, timestamp) index, the names
 * found by skipping through that index (a loose index scan) rather than reading it all.
 */
export async function workspaceStats(db: DbTx, input: { workspaceId: string; now: Date }) {
  const { workspaceId, now } = input;
  const [[people], [events], segments, largest] = await Promise.all([
    db.$queryRaw<{ n: number }[]>`
      SELECT coalesce(sum(profiles), 0)::float8 AS n FROM workspace_data_versions WHERE workspace_id = ${workspaceId}`,
    db.$queryRaw<{ today: number; week: number; time_zone: string }[]>`
      WITH RECURSIVE zone AS (
        SELECT default_timezone AS tz FROM workspaces WHERE id = ${workspaceId}
      ), bounds AS (
        SELECT tz,
               (date_trunc('day', ${now}::timestamptz AT TIME ZONE tz) AT TIME ZONE tz) AS today,
               (date_trunc('week', ${now}::timestamptz AT TIME ZONE tz) AT TIME ZONE tz) AS week
          FROM zone
      ), names AS (
        (SELECT name FROM events WHERE workspace_id = ${workspaceId} AND name IS NOT NULL ORDER BY name LIMIT 1)
        UNION ALL
        SELECT (SELECT e.name FROM events e WHERE e.workspace_id = ${workspaceId} AND e.name > names.name ORDER BY e.name LIMIT 1)
          FROM names WHERE names.name IS NOT NULL
      )
      SELECT coalesce(sum(c.today), 0)::float8 AS today, coalesce(sum(c.week), 0)::float8 AS week, (SELECT tz FROM bounds) AS time_zone
        FROM names, bounds,
        LATERAL (
          SELECT count(*) FILTER (WHERE e.timestamp >= bounds.today) AS today, count(*) AS week
            FROM events e
           WHERE e.workspace_id = ${workspaceId} AND e.name = names.name
             AND e.timestamp >= bounds.week AND e.timestamp <= ${now}::timestamptz
        ) AS c
       WHERE names.name IS NOT NULL`,
    db.segment.count({ where: { workspaceId, archivedAt: null } }),
    db.segment.findMany({
      where: { workspaceId, archivedAt: null, refreshedAt: { not: null } },
      orderBy: [{ size: "desc" }, { name: "asc" }],
      take: 5,
      select: { id: true, name: true, size: true },
    }),
  ]);
  return {
    people: people!.n,
    events: { today: events!.today, thisWeek: events!.week, timeZone: events!.time_zone },
    segments: { live: segments, largest },
  };
}
