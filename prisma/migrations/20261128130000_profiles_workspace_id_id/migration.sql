-- Member lists (the members API, the builder's member pages) read a workspace's matching
-- profiles in id order from a cursor: with this index each page starts where the last one
-- ended instead of scanning the profiles of every workspace in id order. Ids never change,
-- so it costs the per-event profile updates nothing (they stay HOT).
-- CreateIndex
CREATE INDEX "profiles_workspace_id_id_idx" ON "profiles"("workspace_id", "id");
