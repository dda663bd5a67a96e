import { initProtocol } from '../crypto/sodium';
import { deterministicRandom } from '../random';
import { generateIdentityKeyPair } from '../identity/identity-key';
import { generateOneTimePreKeys, generateSignedPreKey, publicSignedPreKey } from '../identity/prekeys';
import { decodePreKeyBundle, encodePreKeyBundle } from '../identity/prekey-bundle';
import type { PreKeyBundle } from '../identity/prekey-bundle';
import { x3dhInitiate, x3dhRespond } from './x3dh';
import { InvalidSignatureError, DecodeError } from '../errors';
import { toHex } from '../bytes';

beforeAll(initProtocol);

function setup(seed: string) {
  const random = deterministicRandom(seed);
  const alice = generateIdentityKeyPair(random);
  const bob = generateIdentityKeyPair(random);
  const spk = generateSignedPreKey(bob, 7, random, 0);
  const [opk] = generateOneTimePreKeys(100, 1, random);
  return { random, alice, bob, spk, opk: opk! };
}

describe('X3DH', () => {
  it('gives both parties the same SK and AD, with and without a one-time prekey', () => {
    for (const withOpk of [true, false]) {
      const { random, alice, bob, spk, opk } = setup(`x3dh-${withOpk}`);
      const bundle: PreKeyBundle = {
        identityKey: bob.publicKey,
        signedPreKey: publicSignedPreKey(spk),
        ...(withOpk ? { oneTimePreKey: { id: opk.id, publicKey: opk.keyPair.publicKey } } : {}),
      };
      const a = x3dhInitiate(alice, bundle, random);
      const b = x3dhRespond(bob, spk.keyPair, withOpk ? opk.keyPair : undefined, alice.publicKey, a.baseKey);
      expect(toHex(a.sharedSecret)).toBe(toHex(b.sharedSecret));
      expect(toHex(a.associatedData)).toBe(toHex(b.associatedData));
      expect(a.associatedData.length).toBe(64);
      expect(a.oneTimePreKeyId).toBe(withOpk ? 100 : undefined);
    }
  });

  it('derives different secrets when the one-time prekey is left out on one side', () => {
    const { random, alice, bob, spk, opk } = setup('x3dh-mismatch');
    const bundle: PreKeyBundle = {
      identityKey: bob.publicKey,
      signedPreKey: publicSignedPreKey(spk),
      oneTimePreKey: { id: opk.id, publicKey: opk.keyPair.publicKey },
    };
    const a = x3dhInitiate(alice, bundle, random);
    const b = x3dhRespond(bob, spk.keyPair, undefined, alice.publicKey, a.baseKey);
    expect(toHex(a.sharedSecret)).not.toBe(toHex(b.sharedSecret));
  });

  it('refuses a bundle whose signed prekey signature does not verify', () => {
    const { random, alice, bob, spk } = setup('x3dh-forged');
    const forged = { ...publicSignedPreKey(spk), signature: spk.signature.slice() };
    forged.signature[5]! ^= 1;
    expect(() => x3dhInitiate(alice, { identityKey: bob.publicKey, signedPreKey: forged }, random)).toThrow(
      InvalidSignatureError,
    );
    // A valid signature by someone else's identity key is refused too.
    const mallory = generateIdentityKeyPair(random);
    const bySomeoneElse = generateSignedPreKey(mallory, 7, random, 0);
    expect(() =>
      x3dhInitiate(alice, { identityKey: bob.publicKey, signedPreKey: publicSignedPreKey(bySomeoneElse) }, random),
    ).toThrow(InvalidSignatureError);
    // So is a signature moved to another prekey id.
    expect(() =>
      x3dhInitiate(alice, { identityKey: bob.publicKey, signedPreKey: { ...publicSignedPreKey(spk), id: 8 } }, random),
    ).toThrow(InvalidSignatureError);
  });

  it('round-trips bundles on the wire and refuses malformed ones', () => {
    const { bob, spk, opk } = setup('x3dh-wire');
    const bundle: PreKeyBundle = {
      identityKey: bob.publicKey,
      signedPreKey: publicSignedPreKey(spk),
      oneTimePreKey: { id: opk.id, publicKey: opk.keyPair.publicKey },
    };
    const bytes = encodePreKeyBundle(bundle);
    const back = decodePreKeyBundle(bytes);
    expect(toHex(encodePreKeyBundle(back))).toBe(toHex(bytes));
    expect(() => decodePreKeyBundle(bytes.subarray(0, bytes.length - 3))).toThrow(DecodeError);
    expect(() => decodePreKeyBundle(new Uint8Array([2, ...bytes.subarray(1)]))).toThrow(DecodeError);
    expect(() => decodePreKeyBundle(new Uint8Array([...bytes, 0]))).toThrow(DecodeError);
  });
});
