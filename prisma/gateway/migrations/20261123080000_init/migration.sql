-- gateway: initial tables. Kept by hand in step with schema.prisma (see prisma/README.md);
-- the schema-match test in libs/db fails when the two disagree.

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "gateway";

-- CreateTable
CREATE TABLE "gateway"."auth_challenges" (
    "nonce" BYTEA NOT NULL,
    "user_id" VARCHAR(64) NOT NULL,
    "device_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "auth_challenges_pkey" PRIMARY KEY ("nonce")
);

-- CreateTable
CREATE TABLE "gateway"."device_tokens" (
    "token_hash" BYTEA NOT NULL,
    "user_id" VARCHAR(64) NOT NULL,
    "device_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3),

    CONSTRAINT "device_tokens_pkey" PRIMARY KEY ("token_hash")
);

-- CreateIndex
CREATE INDEX "auth_challenges_expires_at_idx" ON "gateway"."auth_challenges"("expires_at");

-- CreateIndex
CREATE INDEX "device_tokens_user_id_device_id_idx" ON "gateway"."device_tokens"("user_id", "device_id");

-- CreateIndex
CREATE INDEX "device_tokens_expires_at_idx" ON "gateway"."device_tokens"("expires_at");

-- Checks Prisma cannot express.
ALTER TABLE "gateway"."auth_challenges"
    ADD CONSTRAINT "auth_challenges_nonce_check" CHECK (octet_length("nonce") >= 16),
    ADD CONSTRAINT "auth_challenges_device_id_check" CHECK ("device_id" BETWEEN 1 AND 4294967295);

ALTER TABLE "gateway"."device_tokens"
    ADD CONSTRAINT "device_tokens_token_hash_check" CHECK (octet_length("token_hash") = 32),
    ADD CONSTRAINT "device_tokens_device_id_check" CHECK ("device_id" BETWEEN 1 AND 4294967295);
