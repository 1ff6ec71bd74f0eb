-- A small number per profile, so exact counts can hold sets of profiles in memory as
-- sorted int4 lists (server/segments/exact-sets.ts). Not indexed: only ever read with the row.
-- Adding it rewrites the table under an exclusive lock (about 10 s per million profiles on
-- the bench machine), so ingestion waits that long once during the upgrade.
ALTER TABLE "profiles" ADD COLUMN "seq" SERIAL NOT NULL;
