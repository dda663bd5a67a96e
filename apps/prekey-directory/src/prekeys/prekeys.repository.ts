/**
 * Every SQL statement of the prekey directory. Methods that take `tx` run inside the
 * caller's transaction (which holds the device's or account's row lock); the others are
 * single autocommit statements, safe under any concurrency on their own.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OneTimePreKey, SignedPreKey } from '@parley/contracts';
import type { Prisma } from '@parley/db/prekey-directory';
import { PrekeyDirectoryDatabase } from '../database/prekey-directory.database';

export type Tx = Prisma.TransactionClient;

export interface DeviceRecord {
  readonly identityKey: Uint8Array;
  readonly registeredAt: Date;
}

export interface SignedPreKeyRecord extends SignedPreKey {
  readonly createdAt: Date;
}

export interface BundleSource {
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
  readonly signedPreKey: SignedPreKeyRecord | undefined;
}

export interface LowStockMark {
  readonly remaining: number;
  readonly notifiedAt: Date;
}

/** Bytes as the protocol and contracts want them, whatever the driver handed back. */
const bytes = (value: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(value);

@Injectable()
export class PrekeysRepository {
  constructor(@Inject(PrekeyDirectoryDatabase) private readonly db: PrekeyDirectoryDatabase) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    // Prisma's defaults (2 s to get a connection, 5 s in all) are tight for a loaded pool.
    return this.db.client.$transaction(fn, { maxWait: 5_000, timeout: 10_000 });
  }

  /** Creates the account if needed and locks it: serializes device registrations of a user. */
  async lockAccount(tx: Tx, userId: string): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO "prekey_directory"."accounts" (user_id) VALUES (${userId})
      ON CONFLICT (user_id) DO NOTHING`;
    await tx.$queryRaw`
      SELECT 1 FROM "prekey_directory"."accounts" WHERE user_id = ${userId} FOR UPDATE`;
  }

  async countDevices(tx: Tx, userId: string): Promise<number> {
    return tx.device.count({ where: { userId } });
  }

  /** The device, locked until the transaction ends; undefined when it does not exist. */
  async lockDevice(tx: Tx, userId: string, deviceId: number): Promise<DeviceRecord | undefined> {
    const rows = await tx.$queryRaw<{ identity_key: Uint8Array; registered_at: Date }[]>`
      SELECT identity_key, registered_at FROM "prekey_directory"."devices"
      WHERE user_id = ${userId} AND device_id = ${BigInt(deviceId)}
      FOR UPDATE`;
    const row = rows[0];
    return row && { identityKey: bytes(row.identity_key), registeredAt: row.registered_at };
  }

  async findDevice(userId: string, deviceId: number): Promise<DeviceRecord | undefined> {
    const row = await this.db.client.device.findUnique({
      where: { userId_deviceId: { userId, deviceId: BigInt(deviceId) } },
      select: { identityKey: true, registeredAt: true },
    });
    return row
      ? { identityKey: bytes(row.identityKey), registeredAt: row.registeredAt }
      : undefined;
  }

  /** Every device of these users, one query (unknown users simply have no rows). */
  async listDevices(
    userIds: readonly string[],
  ): Promise<(DeviceRecord & { userId: string; deviceId: number })[]> {
    const rows = await this.db.client.device.findMany({
      where: { userId: { in: [...userIds] } },
      select: { userId: true, deviceId: true, identityKey: true, registeredAt: true },
      orderBy: [{ userId: 'asc' }, { deviceId: 'asc' }],
    });
    return rows.map((r) => ({
      userId: r.userId,
      deviceId: Number(r.deviceId),
      identityKey: bytes(r.identityKey),
      registeredAt: r.registeredAt,
    }));
  }

  async insertDevice(
    tx: Tx,
    userId: string,
    deviceId: number,
    identityKey: Uint8Array,
  ): Promise<Date> {
    const row = await tx.device.create({
      data: { userId, deviceId: BigInt(deviceId), identityKey: bytes(identityKey) },
      select: { registeredAt: true },
    });
    return row.registeredAt;
  }

  async findSignedPreKey(
    tx: Tx,
    userId: string,
    deviceId: number,
    keyId: number,
  ): Promise<SignedPreKeyRecord | undefined> {
    const row = await tx.signedPreKey.findUnique({
      where: {
        userId_deviceId_keyId: { userId, deviceId: BigInt(deviceId), keyId: BigInt(keyId) },
      },
    });
    return row
      ? {
          id: Number(row.keyId),
          publicKey: bytes(row.publicKey),
          signature: bytes(row.signature),
          createdAt: row.createdAt,
        }
      : undefined;
  }

  /**
   * Stores a new current signed prekey. "Current" is the newest by created_at, so the new
   * row gets a created_at strictly after every other row of the device (two rotations in
   * the same millisecond must still have an order).
   */
  async insertSignedPreKey(
    tx: Tx,
    userId: string,
    deviceId: number,
    key: SignedPreKey,
  ): Promise<Date> {
    const device = BigInt(deviceId);
    const rows = await tx.$queryRaw<{ created_at: Date }[]>`
      INSERT INTO "prekey_directory"."signed_prekeys"
        (user_id, device_id, key_id, public_key, signature, created_at)
      SELECT ${userId}, ${device}, ${BigInt(key.id)}, ${bytes(key.publicKey)}, ${bytes(key.signature)},
             GREATEST(now(), COALESCE(MAX(created_at) + interval '1 millisecond', now()))
      FROM "prekey_directory"."signed_prekeys"
      WHERE user_id = ${userId} AND device_id = ${device}
      RETURNING created_at`;
    const row = rows[0];
    if (!row) throw new Error('insert returned no row');
    return row.created_at;
  }

  /** Drops signed prekeys whose successor arrived more than `graceMs` ago. */
  async pruneSignedPreKeys(
    tx: Tx,
    userId: string,
    deviceId: number,
    graceMs: number,
  ): Promise<number> {
    const device = BigInt(deviceId);
    return tx.$executeRaw`
      DELETE FROM "prekey_directory"."signed_prekeys" s
      WHERE s.user_id = ${userId} AND s.device_id = ${device}
        AND EXISTS (
          SELECT 1 FROM "prekey_directory"."signed_prekeys" n
          WHERE n.user_id = s.user_id AND n.device_id = s.device_id
            AND n.created_at > s.created_at
            AND n.created_at <= now() - (${graceMs}::bigint * interval '1 millisecond'))`;
  }

  /**
   * Inserts the keys whose ids the device does not have yet. Returns how many were new and
   * the ids already stored with a different public key (the caller refuses those).
   */
  async insertOneTimePreKeys(
    tx: Tx,
    userId: string,
    deviceId: number,
    keys: readonly OneTimePreKey[],
  ): Promise<{ inserted: number; reusedIds: number[] }> {
    const device = BigInt(deviceId);
    const created = await tx.oneTimePreKey.createManyAndReturn({
      data: keys.map((k) => ({
        userId,
        deviceId: device,
        keyId: BigInt(k.id),
        publicKey: bytes(k.publicKey),
      })),
      skipDuplicates: true,
      select: { keyId: true },
    });
    if (created.length === keys.length) return { inserted: created.length, reusedIds: [] };
    const fresh = new Set(created.map((r) => Number(r.keyId)));
    const repeated = keys.filter((k) => !fresh.has(k.id));
    const stored = await tx.oneTimePreKey.findMany({
      where: { userId, deviceId: device, keyId: { in: repeated.map((k) => BigInt(k.id)) } },
      select: { keyId: true, publicKey: true },
    });
    const storedById = new Map(stored.map((r) => [Number(r.keyId), bytes(r.publicKey)]));
    const reusedIds = repeated
      .filter((k) => {
        const old = storedById.get(k.id);
        return old !== undefined && !equalBytes(old, k.publicKey);
      })
      .map((k) => k.id);
    return { inserted: created.length, reusedIds };
  }

  async countOneTimePreKeys(tx: Tx | undefined, userId: string, deviceId: number): Promise<number> {
    return (tx ?? this.db.client).oneTimePreKey.count({
      where: { userId, deviceId: BigInt(deviceId) },
    });
  }

  /** Re-arms the low-stock event: the next crossing below the threshold emits again. */
  async clearLowStockMark(tx: Tx, userId: string, deviceId: number): Promise<void> {
    await tx.device.update({
      where: { userId_deviceId: { userId, deviceId: BigInt(deviceId) } },
      data: { lowStockNotifiedAt: null },
    });
  }

  /** Devices of a user (or one of them) with their current signed prekey. */
  async findBundleSources(userId: string, deviceId?: number): Promise<BundleSource[]> {
    const rows = await this.db.client.device.findMany({
      where: { userId, ...(deviceId === undefined ? {} : { deviceId: BigInt(deviceId) }) },
      orderBy: { deviceId: 'asc' },
      select: {
        deviceId: true,
        identityKey: true,
        signedPreKeys: { orderBy: { createdAt: 'desc' }, take: 1 },
      },
    });
    return rows.map((row) => {
      const spk = row.signedPreKeys[0];
      return {
        deviceId: Number(row.deviceId),
        identityKey: bytes(row.identityKey),
        signedPreKey: spk && {
          id: Number(spk.keyId),
          publicKey: bytes(spk.publicKey),
          signature: bytes(spk.signature),
          createdAt: spk.createdAt,
        },
      };
    });
  }

  async accountExists(userId: string): Promise<boolean> {
    return (await this.db.client.account.count({ where: { userId } })) > 0;
  }

  /**
   * Takes one one-time prekey off the device's stock, in one statement. Concurrent claims
   * skip rows another claim has locked instead of waiting for them, and a row is deleted
   * by exactly one claim: no key is ever handed out twice.
   */
  async claimOneTimePreKey(userId: string, deviceId: number): Promise<OneTimePreKey | undefined> {
    const device = BigInt(deviceId);
    const rows = await this.db.client.$queryRaw<{ key_id: bigint; public_key: Uint8Array }[]>`
      DELETE FROM "prekey_directory"."one_time_prekeys"
      WHERE (user_id, device_id, key_id) = (
        SELECT user_id, device_id, key_id FROM "prekey_directory"."one_time_prekeys"
        WHERE user_id = ${userId} AND device_id = ${device}
        ORDER BY key_id
        LIMIT 1
        FOR UPDATE SKIP LOCKED)
      RETURNING key_id, public_key`;
    const row = rows[0];
    return row && { id: Number(row.key_id), publicKey: bytes(row.public_key) };
  }

  /**
   * Marks the device as notified when its stock is under `threshold` and it was not marked
   * yet. Racing fetches contend for the device row: exactly one of them gets the mark.
   */
  async markLowStock(
    userId: string,
    deviceId: number,
    threshold: number,
  ): Promise<LowStockMark | undefined> {
    const device = BigInt(deviceId);
    const rows = await this.db.client.$queryRaw<{ remaining: number; notified_at: Date }[]>`
      UPDATE "prekey_directory"."devices" d
      SET low_stock_notified_at = now()
      FROM (
        SELECT count(*)::int AS remaining FROM "prekey_directory"."one_time_prekeys"
        WHERE user_id = ${userId} AND device_id = ${device}) s
      WHERE d.user_id = ${userId} AND d.device_id = ${device}
        AND d.low_stock_notified_at IS NULL
        AND s.remaining < ${threshold}
      RETURNING s.remaining, d.low_stock_notified_at AS notified_at`;
    const row = rows[0];
    return row && { remaining: row.remaining, notifiedAt: row.notified_at };
  }

  /** Undoes a mark whose event could not be published, so a later fetch tries again. */
  async unmarkLowStock(userId: string, deviceId: number, notifiedAt: Date): Promise<void> {
    await this.db.client.device.updateMany({
      where: { userId, deviceId: BigInt(deviceId), lowStockNotifiedAt: notifiedAt },
      data: { lowStockNotifiedAt: null },
    });
  }

  async currentSignedPreKey(
    userId: string,
    deviceId: number,
  ): Promise<SignedPreKeyRecord | undefined> {
    const row = await this.db.client.signedPreKey.findFirst({
      where: { userId, deviceId: BigInt(deviceId) },
      orderBy: { createdAt: 'desc' },
    });
    return row
      ? {
          id: Number(row.keyId),
          publicKey: bytes(row.publicKey),
          signature: bytes(row.signature),
          createdAt: row.createdAt,
        }
      : undefined;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
