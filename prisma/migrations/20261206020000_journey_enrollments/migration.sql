-- Journey enrollments (one person's way through one journey version) and per-exit counters,
-- which the runtime fills and the canvas's live overlay and the journey list read.

-- CreateTable
CREATE TABLE "journey_enrollments" (
    "id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "journey_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "profile_id" TEXT NOT NULL,
    "correlation_key" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT 'active',
    "node_id" TEXT,
    "state" JSONB NOT NULL,
    "holdout" BOOLEAN NOT NULL DEFAULT false,
    "entered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "converted_at" TIMESTAMPTZ(3),
    "exit_reason" TEXT,

    CONSTRAINT "journey_enrollments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "journey_enrollments_status_check" CHECK ("status" IN ('active', 'completed', 'exited', 'converted')),
    -- An enrollment has ended exactly when it is no longer active.
    CONSTRAINT "journey_enrollments_ended_check" CHECK (("status" = 'active') = ("ended_at" IS NULL))
);

-- CreateTable
CREATE TABLE "journey_exit_counts" (
    "journey_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "node_id" TEXT NOT NULL,
    "exit" TEXT NOT NULL,
    "shard" INTEGER NOT NULL DEFAULT 0,
    "count" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "journey_exit_counts_pkey" PRIMARY KEY ("journey_id", "version", "node_id", "exit", "shard")
);

-- CreateIndex: one person is inside a journey once per correlation key at a time.
CREATE UNIQUE INDEX "journey_enrollments_active_key" ON "journey_enrollments"("journey_id", "profile_id", "correlation_key") WHERE "status" = 'active';

-- CreateIndex: people waiting now per node (counts), and the page of who they are, newest arrival first.
CREATE INDEX "journey_enrollments_journey_id_status_node_id_updated_at_id_idx" ON "journey_enrollments"("journey_id", "status", "node_id", "updated_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "journey_enrollments_journey_id_entered_at_idx" ON "journey_enrollments"("journey_id", "entered_at");

-- CreateIndex
CREATE INDEX "journey_enrollments_profile_id_idx" ON "journey_enrollments"("profile_id");

-- AddForeignKey
ALTER TABLE "journey_enrollments" ADD CONSTRAINT "journey_enrollments_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journey_enrollments" ADD CONSTRAINT "journey_enrollments_journey_id_fkey" FOREIGN KEY ("journey_id") REFERENCES "journeys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journey_enrollments" ADD CONSTRAINT "journey_enrollments_journey_id_version_fkey" FOREIGN KEY ("journey_id", "version") REFERENCES "journey_versions"("journey_id", "version") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journey_enrollments" ADD CONSTRAINT "journey_enrollments_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "profiles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journey_exit_counts" ADD CONSTRAINT "journey_exit_counts_journey_id_version_fkey" FOREIGN KEY ("journey_id", "version") REFERENCES "journey_versions"("journey_id", "version") ON DELETE CASCADE ON UPDATE CASCADE;
