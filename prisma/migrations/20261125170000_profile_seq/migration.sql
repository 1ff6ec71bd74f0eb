-- A small number per profile, so exact counts can hold sets of profiles in memory as
-- sorted int4 lists (server/segments/exact-sets.ts). Not indexed: only ever read with the row.
ALTER TABLE "profiles" ADD COLUMN "seq" SERIAL NOT NULL;
