-- message-delivery: one row per mailbox with its number of entries, kept by the same
-- statements that insert entries (a send) and delete them (an ack). The mailbox-full check
-- reads this row instead of counting the mailbox's entries: the count cost O(entries) per
-- recipient per send (up to DELIVERY_MAX_MAILBOX_ENTRIES, 50,000 index and heap visits for a
-- full mailbox), so a backlog made every further send to it slower.

-- CreateTable
CREATE TABLE "message_delivery"."mailboxes" (
    "recipient_user_id" VARCHAR(64) NOT NULL,
    "recipient_device_id" BIGINT NOT NULL,
    "entry_count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "mailboxes_pkey" PRIMARY KEY ("recipient_user_id","recipient_device_id")
);

-- The counts of the entries stored before this migration.
INSERT INTO "message_delivery"."mailboxes" ("recipient_user_id", "recipient_device_id", "entry_count")
SELECT "recipient_user_id", "recipient_device_id", count(*)::int
FROM "message_delivery"."mailbox_entries"
GROUP BY "recipient_user_id", "recipient_device_id";
