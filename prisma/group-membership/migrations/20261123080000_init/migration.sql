-- group-membership: initial tables. Kept by hand in step with schema.prisma (see prisma/README.md);
-- the schema-match test in libs/db fails when the two disagree.

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "group_membership";

-- CreateEnum
CREATE TYPE "group_membership"."membership_change_kind" AS ENUM ('created', 'added', 'removed');

-- CreateTable
CREATE TABLE "group_membership"."groups" (
    "group_id" VARCHAR(64) NOT NULL,
    "epoch" INTEGER NOT NULL,
    "head_hash" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "groups_pkey" PRIMARY KEY ("group_id")
);

-- CreateTable
CREATE TABLE "group_membership"."membership_changes" (
    "group_id" VARCHAR(64) NOT NULL,
    "epoch" INTEGER NOT NULL,
    "kind" "group_membership"."membership_change_kind" NOT NULL,
    "change" BYTEA NOT NULL,
    "hash" BYTEA NOT NULL,
    "actor_user_id" VARCHAR(64) NOT NULL,
    "actor_device_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "membership_changes_pkey" PRIMARY KEY ("group_id","epoch")
);

-- CreateTable
CREATE TABLE "group_membership"."members" (
    "group_id" VARCHAR(64) NOT NULL,
    "user_id" VARCHAR(64) NOT NULL,
    "is_admin" BOOLEAN NOT NULL DEFAULT false,
    "added_epoch" INTEGER NOT NULL,

    CONSTRAINT "members_pkey" PRIMARY KEY ("group_id","user_id")
);

-- CreateTable
CREATE TABLE "group_membership"."member_devices" (
    "group_id" VARCHAR(64) NOT NULL,
    "user_id" VARCHAR(64) NOT NULL,
    "device_id" BIGINT NOT NULL,
    "identity_key" BYTEA NOT NULL,

    CONSTRAINT "member_devices_pkey" PRIMARY KEY ("group_id","user_id","device_id")
);

-- CreateIndex
CREATE INDEX "members_user_id_idx" ON "group_membership"."members"("user_id");

-- AddForeignKey
ALTER TABLE "group_membership"."membership_changes" ADD CONSTRAINT "membership_changes_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "group_membership"."groups"("group_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_membership"."members" ADD CONSTRAINT "members_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "group_membership"."groups"("group_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_membership"."member_devices" ADD CONSTRAINT "member_devices_group_id_user_id_fkey" FOREIGN KEY ("group_id", "user_id") REFERENCES "group_membership"."members"("group_id", "user_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Checks Prisma cannot express.
ALTER TABLE "group_membership"."groups"
    ADD CONSTRAINT "groups_epoch_check" CHECK ("epoch" >= 0);

ALTER TABLE "group_membership"."membership_changes"
    ADD CONSTRAINT "membership_changes_epoch_check" CHECK ("epoch" >= 0),
    ADD CONSTRAINT "membership_changes_actor_device_id_check" CHECK ("actor_device_id" BETWEEN 1 AND 4294967295);

ALTER TABLE "group_membership"."members"
    ADD CONSTRAINT "members_added_epoch_check" CHECK ("added_epoch" >= 0);

ALTER TABLE "group_membership"."member_devices"
    ADD CONSTRAINT "member_devices_device_id_check" CHECK ("device_id" BETWEEN 1 AND 4294967295),
    ADD CONSTRAINT "member_devices_identity_key_check" CHECK (octet_length("identity_key") = 32);
