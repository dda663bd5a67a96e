/**
 * The prekey directory's rules. Policies (also in the app's README):
 * - A signed prekey whose signature does not verify is refused (INVALID_SIGNATURE) before
 *   anything is stored.
 * - Registering an existing device again with the same identity key is idempotent: it
 *   stores the signed prekey given (as a rotation) and the one-time prekeys given.
 *   With a different identity key it is a CONFLICT (`identity-key-mismatch`): a device's
 *   identity never changes; a reinstalled app registers as a new device.
 * - One-time prekey ids already stored with the same public key are ignored (a retried
 *   upload is harmless); an id stored with a different key is a CONFLICT
 *   (`one-time-prekey-id-reused`) and nothing of the batch is stored.
 * - A signed prekey id already stored with the same key and signature is ignored; with
 *   different ones it is a CONFLICT (`signed-prekey-id-reused`).
 * - Only the newest signed prekey is served. Replaced ones stay stored for
 *   PREKEY_SIGNED_GRACE_MS after their successor arrived, then rotations prune them.
 * - `prekeys.low` goes out once per crossing below the threshold: a fetch that leaves fewer
 *   than the threshold marks the device; an upload that brings the stock back to the
 *   threshold or above re-arms it.
 * - A registration that adds a device publishes `prekeys.devices-changed` after its commit
 *   and before its reply, so caches of device lists (message-delivery) drop the user before
 *   anyone can act on the new device.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OneTimePreKey, ReplyOf, RequestOf, Rpc, SignedPreKey } from '@parley/contracts';
import {
  ConflictError,
  Events,
  MAX_DEVICES_PER_USER,
  MAX_ONE_TIME_PREKEY_STOCK,
  NotFoundError,
} from '@parley/contracts';
import { EventBus, PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { Logger } from 'pino';
import type { PrekeyDirectoryConfig } from '../app/prekey-directory.config';
import { LowStockNotifier } from './low-stock.notifier';
import type { BundleSource, Tx } from './prekeys.repository';
import { PrekeysRepository } from './prekeys.repository';
import { SignedPreKeyVerifier } from './signed-prekey.verifier';

type Prekeys = typeof Rpc.prekeys;
type Bundle = ReplyOf<Prekeys['fetchBundles']>['bundles'][number];

@Injectable()
export class PrekeysService {
  constructor(
    @Inject(PrekeysRepository) private readonly repo: PrekeysRepository,
    @Inject(SignedPreKeyVerifier) private readonly verifier: SignedPreKeyVerifier,
    @Inject(LowStockNotifier) private readonly notifier: LowStockNotifier,
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(PARLEY_CONFIG) private readonly config: PrekeyDirectoryConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  async registerDevice(
    req: RequestOf<Prekeys['registerDevice']>,
  ): Promise<ReplyOf<Prekeys['registerDevice']>> {
    this.verifier.verify(req.identityKey, req.signedPreKey);
    const { userId, deviceId } = req;
    const { reply, added } = await this.repo.transaction(async (tx) => {
      await this.repo.lockAccount(tx, userId);
      let device = await this.repo.lockDevice(tx, userId, deviceId);
      if (device && !equalBytes(device.identityKey, req.identityKey)) {
        throw new ConflictError(
          'identity-key-mismatch',
          'the device is registered with another identity key',
        );
      }
      const added = !device;
      if (!device) {
        if ((await this.repo.countDevices(tx, userId)) >= MAX_DEVICES_PER_USER) {
          throw new ConflictError(
            'device-limit',
            `a user has at most ${MAX_DEVICES_PER_USER} devices`,
          );
        }
        const registeredAt = await this.repo.insertDevice(tx, userId, deviceId, req.identityKey);
        device = { identityKey: req.identityKey, registeredAt };
      }
      await this.putSignedPreKey(tx, userId, deviceId, req.signedPreKey);
      const stock = await this.addOneTimePreKeys(tx, userId, deviceId, req.oneTimePreKeys ?? []);
      const reply = {
        userId,
        deviceId,
        registeredAt: device.registeredAt.getTime(),
        oneTimePreKeyCount: stock.total,
      };
      return { reply, added };
    });
    if (added) {
      this.events.publishCore(Events.prekeys.devicesChanged, { userId, deviceId, at: Date.now() });
    }
    return reply;
  }

  async uploadOneTimePreKeys(
    req: RequestOf<Prekeys['uploadOneTimePreKeys']>,
  ): Promise<ReplyOf<Prekeys['uploadOneTimePreKeys']>> {
    return this.repo.transaction(async (tx) => {
      if (!(await this.repo.lockDevice(tx, req.userId, req.deviceId))) throw deviceNotFound();
      return this.addOneTimePreKeys(tx, req.userId, req.deviceId, req.preKeys);
    });
  }

  async rotateSignedPreKey(
    req: RequestOf<Prekeys['rotateSignedPreKey']>,
  ): Promise<ReplyOf<Prekeys['rotateSignedPreKey']>> {
    const known = await this.repo.findDevice(req.userId, req.deviceId);
    if (!known) throw deviceNotFound();
    // The identity key never changes, so checking against the one read outside the lock is sound.
    this.verifier.verify(known.identityKey, req.signedPreKey);
    return this.repo.transaction(async (tx) => {
      if (!(await this.repo.lockDevice(tx, req.userId, req.deviceId))) throw deviceNotFound();
      const createdAt = await this.putSignedPreKey(tx, req.userId, req.deviceId, req.signedPreKey);
      return { signedPreKeyId: req.signedPreKey.id, rotatedAt: createdAt.getTime() };
    });
  }

  async fetchBundles(
    req: RequestOf<Prekeys['fetchBundles']>,
  ): Promise<ReplyOf<Prekeys['fetchBundles']>> {
    const sources = await this.repo.findBundleSources(req.userId, req.deviceId);
    if (sources.length === 0) {
      if (req.deviceId === undefined || !(await this.repo.accountExists(req.userId))) {
        throw new NotFoundError('user');
      }
      throw deviceNotFound();
    }
    const bundles = await Promise.all(sources.map((source) => this.bundleOf(req.userId, source)));
    return { userId: req.userId, bundles };
  }

  /** A device's identity key, without handing out a one-time prekey (the gateway's login). */
  async getDevice(req: RequestOf<Prekeys['getDevice']>): Promise<ReplyOf<Prekeys['getDevice']>> {
    const device = await this.repo.findDevice(req.userId, req.deviceId);
    if (!device) throw deviceNotFound();
    return {
      userId: req.userId,
      deviceId: req.deviceId,
      identityKey: device.identityKey,
      registeredAt: device.registeredAt.getTime(),
    };
  }

  async listDevices(
    req: RequestOf<Prekeys['listDevices']>,
  ): Promise<ReplyOf<Prekeys['listDevices']>> {
    const rows = await this.repo.listDevices(req.userIds);
    const byUser = new Map<string, ReplyOf<Prekeys['listDevices']>['users'][number]['devices']>(
      req.userIds.map((u) => [u, []]),
    );
    for (const r of rows) {
      byUser.get(r.userId)?.push({
        deviceId: r.deviceId,
        identityKey: r.identityKey,
        registeredAt: r.registeredAt.getTime(),
      });
    }
    return { users: req.userIds.map((userId) => ({ userId, devices: byUser.get(userId) ?? [] })) };
  }

  async getStock(req: RequestOf<Prekeys['getStock']>): Promise<ReplyOf<Prekeys['getStock']>> {
    const [signed, count] = await Promise.all([
      this.repo.currentSignedPreKey(req.userId, req.deviceId),
      this.repo.countOneTimePreKeys(undefined, req.userId, req.deviceId),
    ]);
    if (!signed) throw deviceNotFound();
    return {
      oneTimePreKeys: count,
      signedPreKeyId: signed.id,
      signedPreKeyCreatedAt: signed.createdAt.getTime(),
      lowThreshold: this.config.PREKEY_LOW_THRESHOLD,
    };
  }

  private async bundleOf(userId: string, source: BundleSource): Promise<Bundle> {
    // Every device is registered with a signed prekey and rotation only adds; a device
    // without one means the data were changed behind the service's back.
    if (!source.signedPreKey) throw new Error('device without a signed prekey');
    const oneTimePreKey = await this.repo.claimOneTimePreKey(userId, source.deviceId);
    await this.checkLowStock(userId, source.deviceId);
    const { id, publicKey, signature } = source.signedPreKey;
    return {
      deviceId: source.deviceId,
      identityKey: source.identityKey,
      signedPreKey: { id, publicKey, signature },
      ...(oneTimePreKey ? { oneTimePreKey } : {}),
    };
  }

  /**
   * Emits `prekeys.low` when this fetch left the stock under the threshold and nobody did
   * so since the last refill. A failed publish never fails the fetch (its key is already
   * claimed); the mark is undone so the next fetch tries again.
   */
  private async checkLowStock(userId: string, deviceId: number): Promise<void> {
    const threshold = this.config.PREKEY_LOW_THRESHOLD;
    const mark = await this.repo.markLowStock(userId, deviceId, threshold);
    if (!mark) return;
    try {
      await this.notifier.notify({
        userId,
        deviceId,
        remaining: mark.remaining,
        threshold,
        at: mark.notifiedAt,
      });
    } catch (error) {
      this.logger.warn(
        { code: (error as { code?: string }).code ?? 'INTERNAL' },
        'prekeys.low could not be published; the next fetch retries',
      );
      await this.repo.unmarkLowStock(userId, deviceId, mark.notifiedAt);
    }
  }

  /** Stores `key` as the current signed prekey (idempotent on an identical key). */
  private async putSignedPreKey(
    tx: Tx,
    userId: string,
    deviceId: number,
    key: SignedPreKey,
  ): Promise<Date> {
    const existing = await this.repo.findSignedPreKey(tx, userId, deviceId, key.id);
    if (existing) {
      if (
        equalBytes(existing.publicKey, key.publicKey) &&
        equalBytes(existing.signature, key.signature)
      ) {
        return existing.createdAt;
      }
      throw new ConflictError(
        'signed-prekey-id-reused',
        `signed prekey id ${key.id} is already used by another key`,
      );
    }
    const createdAt = await this.repo.insertSignedPreKey(tx, userId, deviceId, key);
    await this.repo.pruneSignedPreKeys(tx, userId, deviceId, this.config.PREKEY_SIGNED_GRACE_MS);
    return createdAt;
  }

  private async addOneTimePreKeys(
    tx: Tx,
    userId: string,
    deviceId: number,
    keys: readonly OneTimePreKey[],
  ): Promise<{ stored: number; total: number }> {
    let stored = 0;
    if (keys.length > 0) {
      const result = await this.repo.insertOneTimePreKeys(tx, userId, deviceId, keys);
      if (result.reusedIds.length > 0) {
        throw new ConflictError(
          'one-time-prekey-id-reused',
          `${result.reusedIds.length} one-time prekey id(s) are already used by other keys`,
        );
      }
      stored = result.inserted;
    }
    const total = await this.repo.countOneTimePreKeys(tx, userId, deviceId);
    if (total > MAX_ONE_TIME_PREKEY_STOCK) {
      throw new ConflictError(
        'prekey-stock-full',
        `a device keeps at most ${MAX_ONE_TIME_PREKEY_STOCK} one-time prekeys`,
      );
    }
    if (total >= this.config.PREKEY_LOW_THRESHOLD)
      await this.repo.clearLowStockMark(tx, userId, deviceId);
    return { stored, total };
  }
}

function deviceNotFound(): NotFoundError {
  return new NotFoundError('device');
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
