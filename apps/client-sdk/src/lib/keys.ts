/**
 * The device's own keys: identity, signed prekeys, one-time prekeys. Generation through
 * the protocol, the registration and login signatures, replenishing one-time prekeys,
 * rotating the signed prekey, and the synchronous lookup the protocol's X3DH responder
 * needs (the private prekeys are few, so they stay in memory next to the store).
 */
import type { IdentityKeyPair, KeyPair, PreKeyLookup, RandomSource } from '@parley/protocol';
import {
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
} from '@parley/protocol';
import type {
  IdentityRecord,
  ParleyStore,
  PreKeysRecord,
  StoredKeyPair,
  StoredSignedPreKey,
} from './store/store';

/** One-time prekeys uploaded at registration and per replenishment (the gateway's batch limit). */
export const ONE_TIME_PREKEY_BATCH = 100;
/** Signed prekeys kept after a rotation, for PreKeyMessages still on their way. */
export const SIGNED_PREKEYS_KEPT = 3;

export function newIdentity(
  userId: string,
  deviceId: number,
  random: RandomSource,
): IdentityRecord {
  const kp = generateIdentityKeyPair(random);
  return { userId, deviceId, publicKey: kp.publicKey, secretKey: kp.secretKey };
}

export function identityKeyPair(record: IdentityRecord): IdentityKeyPair {
  return { publicKey: record.publicKey, secretKey: record.secretKey };
}

function signedPreKey(
  identity: IdentityKeyPair,
  id: number,
  random: RandomSource,
  nowMs: number,
): StoredSignedPreKey {
  const k = generateSignedPreKey(identity, id, random, nowMs);
  return {
    id: k.id,
    publicKey: k.keyPair.publicKey,
    privateKey: k.keyPair.privateKey,
    signature: k.signature,
    createdAtMs: k.createdAtMs,
  };
}

function oneTimePreKeys(firstId: number, count: number, random: RandomSource): StoredKeyPair[] {
  return generateOneTimePreKeys(firstId, count, random).map((k) => ({
    id: k.id,
    publicKey: k.keyPair.publicKey,
    privateKey: k.keyPair.privateKey,
  }));
}

export class DeviceKeys {
  private constructor(
    private readonly store: ParleyStore,
    private record: PreKeysRecord,
  ) {}

  static async load(store: ParleyStore): Promise<DeviceKeys | undefined> {
    const record = await store.loadPreKeys();
    return record ? new DeviceKeys(store, record) : undefined;
  }

  /** Fresh prekeys for a new device (saved before anything is published). */
  static async generate(
    store: ParleyStore,
    identity: IdentityKeyPair,
    random: RandomSource,
    nowMs: number,
  ): Promise<DeviceKeys> {
    const record: PreKeysRecord = {
      signedPreKeys: [signedPreKey(identity, 1, random, nowMs)],
      oneTimePreKeys: oneTimePreKeys(1, ONE_TIME_PREKEY_BATCH, random),
      nextSignedPreKeyId: 2,
      nextOneTimePreKeyId: ONE_TIME_PREKEY_BATCH + 1,
    };
    await store.savePreKeys(record);
    return new DeviceKeys(store, record);
  }

  get currentSignedPreKey(): StoredSignedPreKey {
    const k = this.record.signedPreKeys[0];
    if (!k) throw new Error('no signed prekey');
    return k;
  }

  get oneTimePreKeys(): readonly StoredKeyPair[] {
    return this.record.oneTimePreKeys;
  }

  /** The synchronous lookup the protocol's X3DH responder asks. */
  lookup(): PreKeyLookup {
    const pair = (k: StoredKeyPair | undefined): KeyPair | undefined =>
      k ? { publicKey: k.publicKey, privateKey: k.privateKey } : undefined;
    return {
      signedPreKey: (id) => pair(this.record.signedPreKeys.find((k) => k.id === id)),
      oneTimePreKey: (id) => pair(this.record.oneTimePreKeys.find((k) => k.id === id)),
    };
  }

  /** Deletes a used one-time prekey: it must never serve a second session. */
  async consumeOneTimePreKey(id: number): Promise<void> {
    this.record = {
      ...this.record,
      oneTimePreKeys: this.record.oneTimePreKeys.filter((k) => k.id !== id),
    };
    await this.store.savePreKeys(this.record);
  }

  /** New one-time prekeys, saved locally before the caller uploads their public halves. */
  async addOneTimePreKeys(count: number, random: RandomSource): Promise<StoredKeyPair[]> {
    const fresh = oneTimePreKeys(this.record.nextOneTimePreKeyId, count, random);
    this.record = {
      ...this.record,
      oneTimePreKeys: [...this.record.oneTimePreKeys, ...fresh],
      nextOneTimePreKeyId: this.record.nextOneTimePreKeyId + count,
    };
    await this.store.savePreKeys(this.record);
    return fresh;
  }

  signedPreKeyAgeMs(nowMs: number): number {
    return nowMs - this.currentSignedPreKey.createdAtMs;
  }

  /** A new signed prekey first in line; the oldest beyond SIGNED_PREKEYS_KEPT are dropped. */
  async rotateSignedPreKey(
    identity: IdentityKeyPair,
    random: RandomSource,
    nowMs: number,
  ): Promise<StoredSignedPreKey> {
    const fresh = signedPreKey(identity, this.record.nextSignedPreKeyId, random, nowMs);
    this.record = {
      ...this.record,
      signedPreKeys: [fresh, ...this.record.signedPreKeys].slice(0, SIGNED_PREKEYS_KEPT),
      nextSignedPreKeyId: this.record.nextSignedPreKeyId + 1,
    };
    await this.store.savePreKeys(this.record);
    return fresh;
  }
}
