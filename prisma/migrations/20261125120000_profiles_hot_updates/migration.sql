-- Ingest updates traits and seen times of every profile an event is about. With no index on
-- last_seen_at and free space in each page, those updates are HOT (heap-only): no index
-- writes, which made the batch profile update ~20× cheaper (bench/README.md).
-- DropIndex
DROP INDEX "profiles_workspace_id_last_seen_at_idx";

-- Leave room in each page for the new row versions.
ALTER TABLE "profiles" SET (fillfactor = 80);
