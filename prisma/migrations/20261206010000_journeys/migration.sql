-- Journeys: the canvas's draft (with a revision for stale-save checks) and frozen versions.

-- CreateTable
CREATE TABLE "journeys" (
    "id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "draft" JSONB NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "live_version" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_by" TEXT,

    CONSTRAINT "journeys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "journey_versions" (
    "id" TEXT NOT NULL,
    "journey_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "definition" JSONB NOT NULL,
    "policy" TEXT NOT NULL DEFAULT 'finish',
    "published_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_by" TEXT,

    CONSTRAINT "journey_versions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "journeys_workspace_id_name_key" ON "journeys"("workspace_id", "name");

-- CreateIndex
CREATE INDEX "journeys_workspace_id_updated_at_idx" ON "journeys"("workspace_id", "updated_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "journey_versions_journey_id_version_key" ON "journey_versions"("journey_id", "version");

-- AddForeignKey
ALTER TABLE "journeys" ADD CONSTRAINT "journeys_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journey_versions" ADD CONSTRAINT "journey_versions_journey_id_fkey" FOREIGN KEY ("journey_id") REFERENCES "journeys"("id") ON DELETE CASCADE ON UPDATE CASCADE;
