-- message-delivery: initial tables. Kept by hand in step with schema.prisma (see prisma/README.md);
-- the schema-match test in libs/db fails when the two disagree.

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "message_delivery";

-- CreateEnum
CREATE TYPE "message_delivery"."message_type" AS ENUM ('prekey', 'message', 'sender_key');

-- CreateTable
CREATE TABLE "message_delivery"."sends" (
    "id" BIGSERIAL NOT NULL,
    "sender_user_id" VARCHAR(64) NOT NULL,
    "sender_device_id" BIGINT NOT NULL,
    "client_message_id" VARCHAR(64) NOT NULL,
    "group_id" VARCHAR(64),
    "group_epoch" INTEGER,
    "content" BYTEA,
    "recipient_count" INTEGER NOT NULL,
    "stored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sends_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "message_delivery"."mailbox_entries" (
    "seq" BIGSERIAL NOT NULL,
    "recipient_user_id" VARCHAR(64) NOT NULL,
    "recipient_device_id" BIGINT NOT NULL,
    "send_id" BIGINT NOT NULL,
    "type" "message_delivery"."message_type" NOT NULL,
    "content" BYTEA,
    "stored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mailbox_entries_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE INDEX "sends_stored_at_idx" ON "message_delivery"."sends"("stored_at");

-- CreateIndex
CREATE UNIQUE INDEX "sends_sender_user_id_sender_device_id_client_message_id_key" ON "message_delivery"."sends"("sender_user_id", "sender_device_id", "client_message_id");

-- CreateIndex
CREATE INDEX "mailbox_entries_recipient_user_id_recipient_device_id_seq_idx" ON "message_delivery"."mailbox_entries"("recipient_user_id", "recipient_device_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "mailbox_entries_send_id_recipient_user_id_recipient_device__key" ON "message_delivery"."mailbox_entries"("send_id", "recipient_user_id", "recipient_device_id");

-- AddForeignKey
ALTER TABLE "message_delivery"."mailbox_entries" ADD CONSTRAINT "mailbox_entries_send_id_fkey" FOREIGN KEY ("send_id") REFERENCES "message_delivery"."sends"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Checks Prisma cannot express: a group send has its group, epoch and one ciphertext; a
-- pairwise send has none of them. Sender-key entries point at the send's ciphertext, pairwise
-- entries carry their own.
ALTER TABLE "message_delivery"."sends"
    ADD CONSTRAINT "sends_group_check" CHECK (
        ("group_id" IS NULL AND "group_epoch" IS NULL AND "content" IS NULL)
        OR ("group_id" IS NOT NULL AND "group_epoch" >= 0 AND "content" IS NOT NULL)),
    ADD CONSTRAINT "sends_sender_device_id_check" CHECK ("sender_device_id" BETWEEN 1 AND 4294967295),
    ADD CONSTRAINT "sends_recipient_count_check" CHECK ("recipient_count" >= 0);

ALTER TABLE "message_delivery"."mailbox_entries"
    ADD CONSTRAINT "mailbox_entries_content_check" CHECK (("type" = 'sender_key') = ("content" IS NULL)),
    ADD CONSTRAINT "mailbox_entries_recipient_device_id_check" CHECK ("recipient_device_id" BETWEEN 1 AND 4294967295);
