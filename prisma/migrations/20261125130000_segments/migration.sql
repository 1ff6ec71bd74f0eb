-- CreateTable
CREATE TABLE "segments" (
    "id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "definition" JSONB NOT NULL,
    "size" INTEGER NOT NULL DEFAULT 0,
    "refreshed_at" TIMESTAMPTZ(3),
    "archived_at" TIMESTAMPTZ(3),
    "created_by_id" TEXT,
    "updated_by_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "segments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "segment_memberships" (
    "segment_id" TEXT NOT NULL,
    "profile_id" TEXT NOT NULL,
    "entered_at" TIMESTAMPTZ(3) NOT NULL,
    "exited_at" TIMESTAMPTZ(3),

    CONSTRAINT "segment_memberships_pkey" PRIMARY KEY ("segment_id","profile_id")
);

-- CreateTable
CREATE TABLE "segment_size_history" (
    "segment_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "size" INTEGER NOT NULL,
    "entered" INTEGER NOT NULL DEFAULT 0,
    "exited" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "segment_size_history_pkey" PRIMARY KEY ("segment_id","day")
);

-- CreateIndex
CREATE INDEX "segments_workspace_id_updated_at_idx" ON "segments"("workspace_id", "updated_at" DESC);

-- CreateIndex
CREATE INDEX "segment_memberships_profile_id_idx" ON "segment_memberships"("profile_id");

-- AddForeignKey
ALTER TABLE "segments" ADD CONSTRAINT "segments_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "segments" ADD CONSTRAINT "segments_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "segments" ADD CONSTRAINT "segments_updated_by_id_fkey" FOREIGN KEY ("updated_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "segment_memberships" ADD CONSTRAINT "segment_memberships_segment_id_fkey" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "segment_memberships" ADD CONSTRAINT "segment_memberships_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "profiles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "segment_size_history" ADD CONSTRAINT "segment_size_history_segment_id_fkey" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Dates inside traits and event properties, parsed exactly like parseDate() in
-- lib/segments/schema.ts (docs/segment-definition.md): NULL for anything that is not a date,
-- never an error, so a wrong-typed trait simply does not match.
CREATE FUNCTION junction_parse_time(value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  m text[];
  y int; mo int; d int; h int; mi int; s int; ms int; oh int; om int; off int := 0;
  t timestamptz;
BEGIN
  IF value IS NULL OR length(value) > 40 THEN RETURN NULL; END IF;
  m := regexp_match(value, '^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$');
  IF m IS NULL THEN RETURN NULL; END IF;
  y := m[1]::int; mo := m[2]::int; d := m[3]::int;
  -- Outside 1969–2200 it cannot become a time in range (and make_date refuses year 0).
  IF y < 1969 OR y > 2200 THEN RETURN NULL; END IF;
  h := coalesce(m[4], '0')::int; mi := coalesce(m[5], '0')::int; s := coalesce(m[6], '0')::int;
  ms := substr(coalesce(m[7], '') || '000', 1, 3)::int;
  IF mo < 1 OR mo > 12 OR d < 1 OR h > 23 OR mi > 59 OR s > 59 THEN RETURN NULL; END IF;
  IF d > extract(day FROM (make_date(y, mo, 1) + interval '1 month' - interval '1 day')) THEN RETURN NULL; END IF;
  IF m[8] IS NOT NULL AND m[8] <> 'Z' THEN
    oh := substr(replace(m[8], ':', ''), 2, 2)::int;
    om := substr(replace(m[8], ':', ''), 4, 2)::int;
    IF oh > 15 OR om > 59 THEN RETURN NULL; END IF;
    off := (CASE WHEN left(m[8], 1) = '-' THEN -1 ELSE 1 END) * (oh * 60 + om);
  END IF;
  t := make_timestamptz(y, mo, d, h, mi, s + ms / 1000.0, 'UTC') - make_interval(mins => off);
  IF t < '1970-01-01T00:00:00Z' OR t >= '2200-01-01T00:00:00Z' THEN RETURN NULL; END IF;
  RETURN t;
END;
$$;
