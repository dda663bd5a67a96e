import { toHex, fromHex } from '../bytes';
import { ed25519PublicToX25519 } from '../crypto/primitives';
import { initProtocol } from '../crypto/sodium';
import { InvalidArgumentError, InvalidKeyError } from '../errors';
import { deterministicRandom } from '../random';
import { generateIdentityKeyPair, identityDhPublicKey } from './identity-key';

beforeAll(initProtocol);

describe('identityDhPublicKey (cached Ed25519 -> X25519 map)', () => {
  it('gives the direct conversion, as a copy the caller may wipe, across cache eviction', () => {
    const random = deterministicRandom('identity-dh-cache');
    const keys = Array.from({ length: 300 }, () => generateIdentityKeyPair(random).publicKey);
    for (const round of [0, 1]) {
      for (const key of keys) {
        const got = identityDhPublicKey(key);
        expect(toHex(got)).toBe(toHex(ed25519PublicToX25519(key)));
        if (round === 1) got.fill(0); // must not poison the cache
      }
    }
    for (const key of keys)
      expect(toHex(identityDhPublicKey(key))).toBe(toHex(ed25519PublicToX25519(key)));
  });

  it('refuses invalid keys every time (failures are not cached)', () => {
    const identityPoint = fromHex('01'.padEnd(64, '0'));
    expect(() => identityDhPublicKey(identityPoint)).toThrow(InvalidKeyError);
    expect(() => identityDhPublicKey(identityPoint)).toThrow(InvalidKeyError);
    expect(() => identityDhPublicKey(new Uint8Array(31))).toThrow(InvalidArgumentError);
  });
});
