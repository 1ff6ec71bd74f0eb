-- A workspace's data version and profile count, kept as sums over a few shard rows that
-- every writer of people data bumps in its own transaction (server/workspaces/data-version.ts):
-- ingestion, merges, GDPR deletion, the demo loader, segment membership. Exact segment counts
-- only combine sets counted at the same version; estimates know how far their sample is behind.
-- Shards: concurrent writers of one workspace rarely wait for the same row.

-- CreateTable
CREATE TABLE "workspace_data_versions" (
    "workspace_id" TEXT NOT NULL,
    "shard" INTEGER NOT NULL,
    "changes" BIGINT NOT NULL DEFAULT 0,
    "profiles" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "workspace_data_versions_pkey" PRIMARY KEY ("workspace_id","shard")
);

-- AddForeignKey
ALTER TABLE "workspace_data_versions" ADD CONSTRAINT "workspace_data_versions_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The profiles that exist already.
INSERT INTO "workspace_data_versions" ("workspace_id", "shard", "changes", "profiles")
SELECT "workspace_id", 0, 0, count(*) FROM "profiles" GROUP BY "workspace_id";
