-- The journey runtime (issue 18, server/journeys/runtime/): due times and wake-ups of
-- enrollments, the steps each took (the trace), entries for re-entry rules, the cap on people
-- inside at once, journey sends in the delivery log, and workspace frequency caps.

-- AlterTable: an enrollment is due at wake_at (database clock); what woke it early (an event, a check) is in wake.
ALTER TABLE "journey_enrollments"
    ADD COLUMN "step" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "wake_at" TIMESTAMPTZ(3),
    ADD COLUMN "wake" JSONB,
    ADD COLUMN "waiting_for" TEXT,
    ADD COLUMN "trigger_event" JSONB;

-- CreateIndex: the stepper takes due enrollments in due order.
CREATE INDEX "journey_enrollments_due_idx" ON "journey_enrollments"("wake_at") WHERE "status" = 'active' AND "wake_at" IS NOT NULL;

-- CreateTable: every step an enrollment took, keyed by (enrollment, step): the trace.
CREATE TABLE "journey_steps" (
    "enrollment_id" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "cause" TEXT NOT NULL,
    "node_id" TEXT,
    "decisions" JSONB NOT NULL,
    "effects" JSONB NOT NULL,

    CONSTRAINT "journey_steps_pkey" PRIMARY KEY ("enrollment_id", "step")
);

-- AddForeignKey
ALTER TABLE "journey_steps" ADD CONSTRAINT "journey_steps_enrollment_id_fkey" FOREIGN KEY ("enrollment_id") REFERENCES "journey_enrollments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable: who entered a journey (per correlation key) and when last: the re-entry rule reads and updates it under its row lock.
CREATE TABLE "journey_entries" (
    "journey_id" TEXT NOT NULL,
    "profile_id" TEXT NOT NULL,
    "correlation_key" TEXT NOT NULL DEFAULT '',
    "first_entered_at" TIMESTAMPTZ(3) NOT NULL,
    "last_entered_at" TIMESTAMPTZ(3) NOT NULL,
    "entries" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "journey_entries_pkey" PRIMARY KEY ("journey_id", "profile_id", "correlation_key")
);

-- CreateIndex
CREATE INDEX "journey_entries_profile_id_idx" ON "journey_entries"("profile_id");

-- AddForeignKey
ALTER TABLE "journey_entries" ADD CONSTRAINT "journey_entries_journey_id_fkey" FOREIGN KEY ("journey_id") REFERENCES "journeys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journey_entries" ADD CONSTRAINT "journey_entries_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "profiles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable: people inside a journey with a cap on that number; enrolling adds 1 only below the cap.
CREATE TABLE "journey_capacity" (
    "journey_id" TEXT NOT NULL,
    "active" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "journey_capacity_pkey" PRIMARY KEY ("journey_id"),
    CONSTRAINT "journey_capacity_active_check" CHECK ("active" >= 0)
);

-- AddForeignKey
ALTER TABLE "journey_capacity" ADD CONSTRAINT "journey_capacity_journey_id_fkey" FOREIGN KEY ("journey_id") REFERENCES "journeys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Whatever ends an enrollment (a step, a merge, an archive, a deletion) frees its place.
CREATE FUNCTION "journey_capacity_release"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'DELETE' AND OLD.status = 'active') OR (TG_OP = 'UPDATE' AND OLD.status = 'active' AND NEW.status <> 'active') THEN
    UPDATE journey_capacity SET active = active - 1 WHERE journey_id = OLD.journey_id AND active > 0;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "journey_enrollments_capacity_release" AFTER UPDATE OF "status" OR DELETE ON "journey_enrollments"
    FOR EACH ROW EXECUTE FUNCTION "journey_capacity_release"();

-- CreateTable: schedule triggers: when each live journey's schedule runs next.
CREATE TABLE "journey_schedules" (
    "journey_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "next_run_at" TIMESTAMPTZ(3),
    "last_run_at" TIMESTAMPTZ(3),

    CONSTRAINT "journey_schedules_pkey" PRIMARY KEY ("journey_id")
);

-- AddForeignKey
ALTER TABLE "journey_schedules" ADD CONSTRAINT "journey_schedules_journey_id_fkey" FOREIGN KEY ("journey_id") REFERENCES "journeys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable: journey sends in the delivery log — queued, retried with backoff, capped or held.
ALTER TABLE "deliveries"
    ADD COLUMN "journey_id" TEXT,
    ADD COLUMN "enrollment_id" TEXT,
    ADD COLUMN "node_id" TEXT,
    ADD COLUMN "template_id" TEXT,
    ADD COLUMN "purpose" TEXT,
    ADD COLUMN "priority" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "next_attempt_at" TIMESTAMPTZ(3);

-- CreateIndex: the sender takes queued sends in due order.
CREATE INDEX "deliveries_queued_idx" ON "deliveries"("next_attempt_at") WHERE "status" = 'queued';

-- CreateIndex: recovery finds sends left `sending` by a worker that stopped.
CREATE INDEX "deliveries_sending_idx" ON "deliveries"("updated_at") WHERE "status" = 'sending';

-- CreateIndex: a journey's deliveries (the Deliveries page filtered by journey).
CREATE INDEX "deliveries_journey_id_created_at_idx" ON "deliveries"("journey_id", "created_at" DESC);

-- CreateIndex: an enrollment's deliveries (its trace).
CREATE INDEX "deliveries_enrollment_id_idx" ON "deliveries"("enrollment_id");

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_journey_id_fkey" FOREIGN KEY ("journey_id") REFERENCES "journeys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_enrollment_id_fkey" FOREIGN KEY ("enrollment_id") REFERENCES "journey_enrollments"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AlterTable: global frequency caps (lib/journeys/caps.ts), e.g. at most 3 marketing emails per 7 days per person.
ALTER TABLE "workspaces" ADD COLUMN "frequency_caps" JSONB NOT NULL DEFAULT '[]';
