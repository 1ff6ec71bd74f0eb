-- CreateEnum
CREATE TYPE "identity_kind" AS ENUM ('user_id', 'anonymous_id');

-- CreateTable
CREATE TABLE "profiles" (
    "id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "user_id" TEXT,
    "traits" JSONB NOT NULL DEFAULT '{}',
    "email" TEXT,
    "phone" TEXT,
    "timezone" TEXT,
    "locale" TEXT,
    "country" TEXT,
    "bucket" INTEGER NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "profiles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "profile_identities" (
    "workspace_id" TEXT NOT NULL,
    "kind" "identity_kind" NOT NULL,
    "value" TEXT NOT NULL,
    "profile_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "profile_identities_pkey" PRIMARY KEY ("workspace_id","kind","value")
);

-- CreateTable
CREATE TABLE "events" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "profile_id" TEXT NOT NULL,
    "message_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "name" TEXT,
    "properties" JSONB NOT NULL DEFAULT '{}',
    "context" JSONB NOT NULL DEFAULT '{}',
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "suppressions" (
    "workspace_id" TEXT NOT NULL,
    "id_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "suppressions_pkey" PRIMARY KEY ("workspace_id","id_hash")
);

-- CreateIndex
CREATE INDEX "profiles_workspace_id_last_seen_at_idx" ON "profiles"("workspace_id", "last_seen_at" DESC);

-- CreateIndex
CREATE INDEX "profiles_workspace_id_bucket_idx" ON "profiles"("workspace_id", "bucket");

-- CreateIndex
CREATE INDEX "profiles_workspace_id_email_idx" ON "profiles"("workspace_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "profiles_workspace_id_user_id_key" ON "profiles"("workspace_id", "user_id");

-- CreateIndex
CREATE INDEX "profile_identities_profile_id_idx" ON "profile_identities"("profile_id");

-- CreateIndex
CREATE INDEX "events_workspace_id_name_timestamp_idx" ON "events"("workspace_id", "name", "timestamp");

-- CreateIndex
CREATE INDEX "events_profile_id_timestamp_idx" ON "events"("profile_id", "timestamp" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "events_workspace_id_message_id_key" ON "events"("workspace_id", "message_id");

-- AddForeignKey
ALTER TABLE "profiles" ADD CONSTRAINT "profiles_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "profile_identities" ADD CONSTRAINT "profile_identities_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "profiles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "events" ADD CONSTRAINT "events_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "profiles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "suppressions" ADD CONSTRAINT "suppressions_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
