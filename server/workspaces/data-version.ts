import type { DbTx, Sql } from "@/server/db/client";

/**
 * A workspace's data version and profile count. Every transaction that changes people data
 * — stored events (ingestion, CSV import), merges, GDPR deletion, the demo loader, segment
 * membership — adds what it changed, in the same transaction, to one of a few shard rows
 * of `workspace_data_versions`; the sums over the shards are the version and the count.
 *
 * Two reads that see the same version see the same data: versions only grow, and a later
 * snapshot sees every transaction an earlier one saw. Exact segment counts combine only
 * sets counted at one version (server/segments/exact-sets.ts); the estimate's sample knows
 * how far it is behind (server/segments/sample.ts). The version also counts the changes
 * (stored events, membership changes), an upper bound on the people they touched.
 *
 * Shards: concurrent writers of one workspace rarely wait for the same row lock, which is
 * held from the bump to the commit.
 */
export const DATA_VERSION_SHARDS = 16;
/**
 * The shard of segment membership writers (they all hold the segment consumer's lock, so
 * they never wait for each other): a consumer step then holds no row an ingest batch needs
 * (bench/feed: consumers on ÷ off went from 0.38 to ~0.58 at full ingest speed).
 */
export const MEMBERSHIP_SHARD = DATA_VERSION_SHARDS;

export interface DataChange {
  /** Stored events, membership entries and exits, deletions… at least 1 for any change. */
  changes: number;
  /** Net profiles created (negative for merges and deletions). */
  profiles: number;
}

export interface DataVersion {
  version: number;
  profiles: number;
}

export const randomShard = () => Math.floor(Math.random() * DATA_VERSION_SHARDS);

/** Adds `change` to the workspace's counters, in the caller's transaction (node-postgres). */
export async function bumpDataVersion(tx: Sql, workspaceId: string, change: DataChange, options: { shard?: number } = {}): Promise<void> {
  if (change.changes === 0 && change.profiles === 0) return;
  await tx.execute`
    INSERT INTO workspace_data_versions (workspace_id, shard, changes, profiles)
    VALUES (${workspaceId}, ${options.shard ?? randomShard()}::int, ${change.changes}::bigint, ${change.profiles}::bigint)
    ON CONFLICT (workspace_id, shard) DO UPDATE
      SET changes = workspace_data_versions.changes + EXCLUDED.changes, profiles = workspace_data_versions.profiles + EXCLUDED.profiles`;
}

/** The same, in a Prisma transaction. */
export async function bumpDataVersionPrisma(tx: DbTx, workspaceId: string, change: DataChange): Promise<void> {
  if (change.changes === 0 && change.profiles === 0) return;
  await tx.$executeRaw`
    INSERT INTO workspace_data_versions (workspace_id, shard, changes, profiles)
    VALUES (${workspaceId}, ${randomShard()}::int, ${change.changes}::bigint, ${change.profiles}::bigint)
    ON CONFLICT (workspace_id, shard) DO UPDATE
      SET changes = workspace_data_versions.changes + EXCLUDED.changes, profiles = workspace_data_versions.profiles + EXCLUDED.profiles`;
}

/**
 * The version and profile count as a SQL expression pair over `$workspace` (a placeholder
 * the caller binds), for statements that must read them in their own snapshot.
 */
export function dataVersionSql(workspace: string): { version: string; profiles: string } {
  return {
    version: `(SELECT coalesce(sum(changes), 0) FROM workspace_data_versions WHERE workspace_id = ${workspace})::float8`,
    profiles: `(SELECT coalesce(sum(profiles), 0) FROM workspace_data_versions WHERE workspace_id = ${workspace})::float8`,
  };
}

export async function readDataVersion(sql: Sql, workspaceId: string): Promise<DataVersion> {
  const [row] = await sql.query<DataVersion>`
    SELECT coalesce(sum(changes), 0)::float8 AS version, coalesce(sum(profiles), 0)::float8 AS profiles
      FROM workspace_data_versions WHERE workspace_id = ${workspaceId}`;
  return row!;
}

/**
 * Repairs the profile count if it ever drifted from the profiles there are (a writer that
 * forgot to count, a restore): in one statement, so the count and the sum describe one
 * snapshot, and the difference is added as a change of its own. Returns the difference
 * (0 when nothing needed repair).
 */
export async function reconcileProfileCount(sql: Sql, workspaceId: string): Promise<number> {
  const [row] = await sql.query<{ repaired: string | null }>`
    WITH diff AS (
      SELECT (SELECT count(*) FROM profiles WHERE workspace_id = ${workspaceId})
             - (SELECT coalesce(sum(profiles), 0) FROM workspace_data_versions WHERE workspace_id = ${workspaceId}) AS n),
    repaired AS (
      INSERT INTO workspace_data_versions (workspace_id, shard, changes, profiles)
      SELECT ${workspaceId}::text, 0, 1, n FROM diff WHERE n <> 0
      ON CONFLICT (workspace_id, shard) DO UPDATE
        SET changes = workspace_data_versions.changes + 1, profiles = workspace_data_versions.profiles + EXCLUDED.profiles
      RETURNING 1)
    SELECT n::text AS repaired FROM diff`;
  return Number(row?.repaired ?? 0);
}
