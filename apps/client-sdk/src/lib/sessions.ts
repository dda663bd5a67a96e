/**
 * 1:1 sessions with peer devices: load the protocol SessionRecord, start one from a
 * verified prekey bundle when needed, encrypt or decrypt, and save the record before the
 * caller does anything else with the result (a crash never desynchronizes a session).
 */
import type { DecryptResult, IdentityKeyPair, RandomSource } from '@parley/protocol';
import { SessionRecord, verifyPreKeyBundle } from '@parley/protocol';
import type { DeviceAddress } from './addresses';
import { InvalidBundleError } from './errors';
import type { DeviceKeys } from './keys';
import type { ParleyStore } from './store/store';
import type { GatewayApi, OutgoingEnvelope } from './transport/gateway-api';

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export class Sessions {
  constructor(
    private readonly store: ParleyStore,
    private readonly api: GatewayApi,
    private readonly identity: IdentityKeyPair,
    private readonly keys: DeviceKeys,
    private readonly random: RandomSource,
    /** Told when a peer device's identity key is not the one its session had. */
    private readonly onIdentityChange: (
      peer: DeviceAddress,
      identityKey: Uint8Array,
    ) => void = () => undefined,
  ) {}

  async load(peer: DeviceAddress): Promise<SessionRecord> {
    const bytes = await this.store.loadSession(peer);
    return bytes ? SessionRecord.deserialize(bytes) : SessionRecord.empty();
  }

  save(peer: DeviceAddress, record: SessionRecord): Promise<void> {
    return this.store.saveSession(peer, record.serialize());
  }

  /**
   * A record with a current session to `peer` whose identity is `expectedIdentity` when
   * given (from the device list or the group chain): a fresh one from a verified bundle
   * otherwise. Not saved here.
   */
  async ready(
    peer: DeviceAddress,
    expectedIdentity?: Uint8Array,
    forceNew = false,
  ): Promise<SessionRecord> {
    const record = await this.load(peer);
    const current = record.remoteIdentityKey;
    const usable =
      !forceNew &&
      record.hasCurrentSession &&
      (expectedIdentity === undefined ||
        (current !== undefined && equalBytes(current, expectedIdentity)));
    if (usable) return record;
    await this.initiate(record, peer, expectedIdentity);
    const now = record.remoteIdentityKey;
    if (current !== undefined && now !== undefined && !equalBytes(current, now))
      this.onIdentityChange({ userId: peer.userId, deviceId: peer.deviceId }, now);
    return record;
  }

  /** X3DH from the directory's bundle for `peer`, after verifying its signed prekey. */
  private async initiate(
    record: SessionRecord,
    peer: DeviceAddress,
    expectedIdentity?: Uint8Array,
  ): Promise<void> {
    const reply = await this.api.bundle(peer);
    const bundle = reply.bundles.find((b) => b.deviceId === peer.deviceId);
    if (!bundle || reply.userId !== peer.userId) {
      throw new InvalidBundleError(`no bundle for ${peer.userId}/${peer.deviceId}`);
    }
    if (expectedIdentity && !equalBytes(bundle.identityKey, expectedIdentity)) {
      throw new InvalidBundleError(
        `bundle of ${peer.userId}/${peer.deviceId} names another identity key`,
      );
    }
    const protocolBundle = {
      identityKey: bundle.identityKey,
      signedPreKey: bundle.signedPreKey,
      ...(bundle.oneTimePreKey ? { oneTimePreKey: bundle.oneTimePreKey } : {}),
    };
    try {
      verifyPreKeyBundle(protocolBundle);
    } catch {
      throw new InvalidBundleError(`bundle of ${peer.userId}/${peer.deviceId} does not verify`);
    }
    record.initiate(this.identity, protocolBundle, this.random);
  }

  /** Encrypts for one device and saves the advanced session. */
  async encrypt(
    peer: DeviceAddress,
    plaintext: Uint8Array,
    expectedIdentity?: Uint8Array,
  ): Promise<OutgoingEnvelope> {
    const record = await this.ready(peer, expectedIdentity);
    const message = record.encrypt(plaintext);
    await this.save(peer, record);
    return {
      recipient: { userId: peer.userId, deviceId: peer.deviceId },
      type: message.type,
      content: message.body,
    };
  }

  /**
   * Decrypts, hands the result to `keep` (the caller persists the plaintext), saves the
   * session and deletes a used one-time prekey, in that order: a crash at any point loses
   * neither the message nor the session.
   */
  async decrypt(
    sender: DeviceAddress,
    type: 'prekey' | 'message',
    body: Uint8Array,
    keep: (result: DecryptResult) => Promise<void>,
  ): Promise<DecryptResult> {
    const record = await this.load(sender);
    const before = record.remoteIdentityKey;
    const result = record.decrypt({ type, body }, this.identity, this.keys.lookup(), this.random);
    await keep(result);
    if (before !== undefined && !equalBytes(before, result.remoteIdentityKey)) {
      this.onIdentityChange(sender, result.remoteIdentityKey);
    }
    await this.save(sender, record);
    if (result.usedOneTimePreKeyId !== undefined)
      await this.keys.consumeOneTimePreKey(result.usedOneTimePreKeyId);
    return result;
  }
}
