-- The change feed, its consumers' cursors, the history of segment entries and exits, and
-- the due times of time-based segment re-checks (issue 17, server/feed/).

-- CreateTable
CREATE TABLE "change_feed" (
    "id" BIGSERIAL NOT NULL,
    "xid" xid8 NOT NULL DEFAULT pg_current_xact_id(),
    "workspace_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "profile_ids" TEXT[] NOT NULL,
    "payload" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "change_feed_pkey" PRIMARY KEY ("id")
);

-- CreateIndex: consumers read in (xid, id) order from their cursor.
CREATE INDEX "change_feed_xid_id_idx" ON "change_feed"("xid", "id");

-- CreateTable
CREATE TABLE "feed_cursors" (
    "consumer" TEXT NOT NULL,
    "xid" xid8 NOT NULL DEFAULT '0'::xid8,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "last_error_at" TIMESTAMPTZ(3),

    CONSTRAINT "feed_cursors_pkey" PRIMARY KEY ("consumer")
);

-- CreateTable
CREATE TABLE "segment_membership_history" (
    "id" BIGSERIAL NOT NULL,
    "segment_id" TEXT NOT NULL,
    "profile_id" TEXT NOT NULL,
    "entered" BOOLEAN NOT NULL,
    "cause" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "segment_membership_history_pkey" PRIMARY KEY ("id")
);

-- CreateIndex: a segment's latest entries and exits, newest first (pages by id).
CREATE INDEX "segment_membership_history_segment_id_id_idx" ON "segment_membership_history"("segment_id", "id" DESC);

-- CreateIndex: a person's timeline, newest first.
CREATE INDEX "segment_membership_history_profile_id_id_idx" ON "segment_membership_history"("profile_id", "id" DESC);

-- CreateIndex: corrections by the periodic check, counted on the status page (there should be few).
CREATE INDEX "segment_membership_history_repairs_idx" ON "segment_membership_history"("at") WHERE "cause" = 'repair';

-- AddForeignKey
ALTER TABLE "segment_membership_history" ADD CONSTRAINT "segment_membership_history_segment_id_fkey" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "segment_rechecks" (
    "profile_id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "cause" TEXT NOT NULL DEFAULT 'time',

    CONSTRAINT "segment_rechecks_pkey" PRIMARY KEY ("profile_id")
);

-- CreateIndex
CREATE INDEX "segment_rechecks_due_at_idx" ON "segment_rechecks"("due_at");

-- AddForeignKey
ALTER TABLE "segment_rechecks" ADD CONSTRAINT "segment_rechecks_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "profiles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The segment consumer starts at the beginning of the feed.
INSERT INTO "feed_cursors" ("consumer") VALUES ('segments');
