/** Test helpers: two devices with published prekeys, and a session between them. */
import type { KeyPair } from '../lib/crypto/primitives';
import { generateIdentityKeyPair } from '../lib/identity/identity-key';
import type { IdentityKeyPair } from '../lib/identity/identity-key';
import { generateOneTimePreKeys, generateSignedPreKey, publicSignedPreKey } from '../lib/identity/prekeys';
import type { PreKeyBundle } from '../lib/identity/prekey-bundle';
import type { RandomSource } from '../lib/random';
import { SessionRecord } from '../lib/session/session-record';
import type { PreKeyLookup } from '../lib/session/session-cipher';
import type { CiphertextMessage } from '../lib/session/session-state';
import { utf8 } from '../lib/bytes';

export interface TestDevice {
  readonly name: string;
  readonly identity: IdentityKeyPair;
  readonly signedPreKeys: Map<number, KeyPair>;
  readonly oneTimePreKeys: Map<number, KeyPair>;
  readonly bundle: (withOneTime?: boolean) => PreKeyBundle;
  readonly preKeys: PreKeyLookup;
}

export function makeDevice(name: string, random: RandomSource): TestDevice {
  const identity = generateIdentityKeyPair(random);
  const spk = generateSignedPreKey(identity, 1, random, 0);
  const otks = generateOneTimePreKeys(1, 5, random);
  const signedPreKeys = new Map([[spk.id, spk.keyPair]]);
  const oneTimePreKeys = new Map(otks.map((k) => [k.id, k.keyPair] as const));
  return {
    name,
    identity,
    signedPreKeys,
    oneTimePreKeys,
    bundle: (withOneTime = true) => {
      const first = oneTimePreKeys.entries().next().value;
      return {
        identityKey: identity.publicKey,
        signedPreKey: publicSignedPreKey(spk),
        ...(withOneTime && first ? { oneTimePreKey: { id: first[0], publicKey: first[1].publicKey } } : {}),
      };
    },
    preKeys: {
      signedPreKey: (id) => signedPreKeys.get(id),
      oneTimePreKey: (id) => oneTimePreKeys.get(id),
    },
  };
}

/** A conversation: each side keeps a SessionRecord, as the SDK will. */
export class Pair {
  readonly aliceRecord = SessionRecord.empty();
  readonly bobRecord = SessionRecord.empty();

  constructor(
    readonly alice: TestDevice,
    readonly bob: TestDevice,
    readonly random: RandomSource,
  ) {
    this.aliceRecord.initiate(alice.identity, bob.bundle(), random);
  }

  record(side: 'alice' | 'bob'): SessionRecord {
    return side === 'alice' ? this.aliceRecord : this.bobRecord;
  }

  send(from: 'alice' | 'bob', text: string): CiphertextMessage {
    return this.record(from).encrypt(utf8.encode(text));
  }

  receive(to: 'alice' | 'bob', message: CiphertextMessage): string {
    const device = to === 'alice' ? this.alice : this.bob;
    const result = this.record(to).decrypt(message, device.identity, device.preKeys, this.random);
    if (result.usedOneTimePreKeyId !== undefined) device.oneTimePreKeys.delete(result.usedOneTimePreKeyId);
    return utf8.decode(result.plaintext);
  }
}
