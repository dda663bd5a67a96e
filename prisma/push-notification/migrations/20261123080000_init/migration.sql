-- push-notification: initial tables. Kept by hand in step with schema.prisma (see prisma/README.md);
-- the schema-match test in libs/db fails when the two disagree.

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "push_notification";

-- CreateEnum
CREATE TYPE "push_notification"."push_provider" AS ENUM ('webpush', 'apns', 'fcm');

-- CreateTable
CREATE TABLE "push_notification"."push_registrations" (
    "user_id" VARCHAR(64) NOT NULL,
    "device_id" BIGINT NOT NULL,
    "provider" "push_notification"."push_provider" NOT NULL,
    "endpoint" TEXT NOT NULL,
    "web_push_p256dh" TEXT,
    "web_push_auth" TEXT,
    "apns_topic" TEXT,
    "apns_environment" TEXT,
    "registered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_push_at" TIMESTAMPTZ(3),
    "failure_count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "push_registrations_pkey" PRIMARY KEY ("user_id","device_id","provider")
);

-- Checks Prisma cannot express: each provider's fields are present, and only its own.
ALTER TABLE "push_notification"."push_registrations"
    ADD CONSTRAINT "push_registrations_device_id_check" CHECK ("device_id" BETWEEN 1 AND 4294967295),
    ADD CONSTRAINT "push_registrations_failure_count_check" CHECK ("failure_count" >= 0),
    ADD CONSTRAINT "push_registrations_provider_fields_check" CHECK (CASE "provider"
        WHEN 'webpush' THEN "web_push_p256dh" IS NOT NULL AND "web_push_auth" IS NOT NULL
            AND "apns_topic" IS NULL AND "apns_environment" IS NULL
        WHEN 'apns' THEN "apns_topic" IS NOT NULL AND "apns_environment" IN ('production', 'sandbox')
            AND "web_push_p256dh" IS NULL AND "web_push_auth" IS NULL
        ELSE "web_push_p256dh" IS NULL AND "web_push_auth" IS NULL
            AND "apns_topic" IS NULL AND "apns_environment" IS NULL
    END);
