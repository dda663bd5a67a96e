-- message-delivery: a pairwise send may now be a group message too (POST /v1/messages with
-- `group`): it records its group and epoch but keeps its ciphertexts in the entries. Only a
-- sender-key send holds one ciphertext in `sends.content`, and it always has a group.
-- No table or column changes, so schema.prisma is unchanged (Prisma cannot express checks).
ALTER TABLE "message_delivery"."sends" DROP CONSTRAINT "sends_group_check";

ALTER TABLE "message_delivery"."sends"
    ADD CONSTRAINT "sends_group_check" CHECK (
        ("group_id" IS NULL) = ("group_epoch" IS NULL)
        AND ("group_epoch" IS NULL OR "group_epoch" >= 0)
        AND ("content" IS NULL OR "group_id" IS NOT NULL));
