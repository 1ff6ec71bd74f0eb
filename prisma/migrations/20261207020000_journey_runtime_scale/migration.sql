-- Journey runtime at scale (issue 18 review): due work is read per journey, so a paused
-- journey's backlog never fills the batches of live ones; the cap counter is released once
-- per statement (ending 500,000 enrollments of a capped journey took minutes row by row);
-- schedule runs enroll a big segment in chunks, remembering where they are.

-- CreateIndex: due enrollments per journey.
CREATE INDEX "journey_enrollments_journey_due_idx" ON "journey_enrollments"("journey_id", "wake_at") WHERE "status" = 'active' AND "wake_at" IS NOT NULL;

-- CreateIndex: queued journey sends per journey.
CREATE INDEX "deliveries_journey_queued_idx" ON "deliveries"("journey_id", "next_attempt_at") WHERE "status" = 'queued';

-- AlterTable: the run in progress (its members are enrolled in chunks after this profile id).
ALTER TABLE "journey_schedules" ADD COLUMN "run_cursor" TEXT;

-- The cap counter: one update per journey and statement, from the statement's transition tables.
DROP TRIGGER "journey_enrollments_capacity_release" ON "journey_enrollments";
DROP FUNCTION "journey_capacity_release"();

CREATE FUNCTION "journey_capacity_release_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE journey_capacity c SET active = GREATEST(0, c.active - n.ended)
    FROM (SELECT o.journey_id, count(*)::int AS ended
            FROM old_rows o JOIN new_rows nw ON nw.id = o.id
           WHERE o.status = 'active' AND nw.status <> 'active'
           GROUP BY o.journey_id) n
   WHERE c.journey_id = n.journey_id;
  RETURN NULL;
END $$;

CREATE FUNCTION "journey_capacity_release_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE journey_capacity c SET active = GREATEST(0, c.active - n.ended)
    FROM (SELECT journey_id, count(*)::int AS ended FROM old_rows WHERE status = 'active' GROUP BY journey_id) n
   WHERE c.journey_id = n.journey_id;
  RETURN NULL;
END $$;

CREATE TRIGGER "journey_enrollments_capacity_updated" AFTER UPDATE ON "journey_enrollments"
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION "journey_capacity_release_updated"();

CREATE TRIGGER "journey_enrollments_capacity_deleted" AFTER DELETE ON "journey_enrollments"
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION "journey_capacity_release_deleted"();
