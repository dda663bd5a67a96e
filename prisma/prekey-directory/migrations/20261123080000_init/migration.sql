-- prekey-directory: initial tables. Kept by hand in step with schema.prisma (see prisma/README.md);
-- the schema-match test in libs/db fails when the two disagree.

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "prekey_directory";

-- CreateTable
CREATE TABLE "prekey_directory"."accounts" (
    "user_id" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "prekey_directory"."devices" (
    "user_id" VARCHAR(64) NOT NULL,
    "device_id" BIGINT NOT NULL,
    "identity_key" BYTEA NOT NULL,
    "registered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "low_stock_notified_at" TIMESTAMPTZ(3),

    CONSTRAINT "devices_pkey" PRIMARY KEY ("user_id","device_id")
);

-- CreateTable
CREATE TABLE "prekey_directory"."signed_prekeys" (
    "user_id" VARCHAR(64) NOT NULL,
    "device_id" BIGINT NOT NULL,
    "key_id" BIGINT NOT NULL,
    "public_key" BYTEA NOT NULL,
    "signature" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "signed_prekeys_pkey" PRIMARY KEY ("user_id","device_id","key_id")
);

-- CreateTable
CREATE TABLE "prekey_directory"."one_time_prekeys" (
    "user_id" VARCHAR(64) NOT NULL,
    "device_id" BIGINT NOT NULL,
    "key_id" BIGINT NOT NULL,
    "public_key" BYTEA NOT NULL,
    "uploaded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "one_time_prekeys_pkey" PRIMARY KEY ("user_id","device_id","key_id")
);

-- CreateIndex
CREATE INDEX "signed_prekeys_user_id_device_id_created_at_idx" ON "prekey_directory"."signed_prekeys"("user_id", "device_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "prekey_directory"."devices" ADD CONSTRAINT "devices_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "prekey_directory"."accounts"("user_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "prekey_directory"."signed_prekeys" ADD CONSTRAINT "signed_prekeys_user_id_device_id_fkey" FOREIGN KEY ("user_id", "device_id") REFERENCES "prekey_directory"."devices"("user_id", "device_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "prekey_directory"."one_time_prekeys" ADD CONSTRAINT "one_time_prekeys_user_id_device_id_fkey" FOREIGN KEY ("user_id", "device_id") REFERENCES "prekey_directory"."devices"("user_id", "device_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Checks Prisma cannot express: protocol sizes and uint32 ranges.
ALTER TABLE "prekey_directory"."devices"
    ADD CONSTRAINT "devices_device_id_check" CHECK ("device_id" BETWEEN 1 AND 4294967295),
    ADD CONSTRAINT "devices_identity_key_check" CHECK (octet_length("identity_key") = 32);

ALTER TABLE "prekey_directory"."signed_prekeys"
    ADD CONSTRAINT "signed_prekeys_key_id_check" CHECK ("key_id" BETWEEN 0 AND 4294967295),
    ADD CONSTRAINT "signed_prekeys_public_key_check" CHECK (octet_length("public_key") = 32),
    ADD CONSTRAINT "signed_prekeys_signature_check" CHECK (octet_length("signature") = 64);

ALTER TABLE "prekey_directory"."one_time_prekeys"
    ADD CONSTRAINT "one_time_prekeys_key_id_check" CHECK ("key_id" BETWEEN 0 AND 4294967295),
    ADD CONSTRAINT "one_time_prekeys_public_key_check" CHECK (octet_length("public_key") = 32);
