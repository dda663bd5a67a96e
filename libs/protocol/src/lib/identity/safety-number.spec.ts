import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { concatBytes, fromHex, toHex, utf8 } from '../bytes';
import { ed25519PublicToX25519 } from '../crypto/primitives';
import { initProtocol } from '../crypto/sodium';
import { DecodeError, InvalidArgumentError } from '../errors';
import { deterministicRandom } from '../random';
import { generateIdentityKeyPair } from './identity-key';
import {
  compareScannableSafetyNumbers,
  computeSafetyNumber,
  SAFETY_NUMBER_ITERATIONS,
  SCANNABLE_SAFETY_NUMBER_BYTES,
  safetyNumberFromSerializedKeys,
} from './safety-number';

beforeAll(initProtocol);

function identities(seed: string) {
  const random = deterministicRandom(seed);
  return {
    alice: generateIdentityKeyPair(random),
    bob: generateIdentityKeyPair(random),
    mallory: generateIdentityKeyPair(random),
  };
}

describe('safety number core against libsignal', () => {
  // libsignal rust/protocol/src/fingerprint.rs, test fingerprint_test_v1 (same values as
  // testVectorsVersion1 in libsignal's Java tests): 33-byte keys with the 0x05 type byte.
  const LIBSIGNAL = {
    aliceKey: '0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868',
    bobKey: '05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b',
    aliceId: '+14152222222',
    bobId: '+14153333333',
    display: '300354477692869396892869876765458257569162576843440918079131',
    aliceScannableV1:
      '080112220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df1a220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d',
    bobScannableV1:
      '080112220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d1a220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df',
  };

  it("reproduces libsignal's committed v1 vector (digits and both scannable forms)", () => {
    const alice = {
      serializedKey: fromHex(LIBSIGNAL.aliceKey),
      stableId: utf8.encode(LIBSIGNAL.aliceId),
    };
    const bob = {
      serializedKey: fromHex(LIBSIGNAL.bobKey),
      stableId: utf8.encode(LIBSIGNAL.bobId),
    };
    const a = safetyNumberFromSerializedKeys(alice, bob, 5200, 1);
    const b = safetyNumberFromSerializedKeys(bob, alice, 5200, 1);
    expect(a.digits).toBe(LIBSIGNAL.display);
    expect(b.digits).toBe(LIBSIGNAL.display);
    expect(toHex(a.scannable)).toBe(LIBSIGNAL.aliceScannableV1);
    expect(toHex(b.scannable)).toBe(LIBSIGNAL.bobScannableV1);
    expect(compareScannableSafetyNumbers(a.scannable, b.scannable)).toBe(true);
  });

  it('matches @signalapp/libsignal-client Fingerprint on the same inputs (our keys in their 0x05 X25519 form)', () => {
    const random = deterministicRandom('libsignal-cross-check');
    const cases = Array.from({ length: 4 }, (_, i) => {
      const a = generateIdentityKeyPair(random).publicKey;
      const b = generateIdentityKeyPair(random).publicKey;
      return {
        localKey: toHex(concatBytes(new Uint8Array([5]), ed25519PublicToX25519(a))),
        remoteKey: toHex(concatBytes(new Uint8Array([5]), ed25519PublicToX25519(b))),
        localId: `user-${i}@parley.example`,
        remoteId: `peer ${i} ✓`,
        version: 1 + (i % 2),
      };
    });
    // libsignal-client is an ES module with a native addon: run it in a plain node process.
    const url = pathToFileURL(require.resolve('@signalapp/libsignal-client')).href;
    const script = `
      import { Fingerprint, PublicKey } from ${JSON.stringify(url)};
      const cases = JSON.parse(process.argv[1]);
      const hex = (b) => Buffer.from(b).toString('hex');
      const key = (h) => PublicKey.deserialize(Buffer.from(h, 'hex'));
      const out = cases.map((c) => {
        const f = Fingerprint.new(${SAFETY_NUMBER_ITERATIONS}, c.version, Buffer.from(c.localId), key(c.localKey), Buffer.from(c.remoteId), key(c.remoteKey));
        return { digits: f.displayableFingerprint().toString(), scannable: hex(f.scannableFingerprint().toBuffer()) };
      });
      process.stdout.write(JSON.stringify(out));`;
    const theirs = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(cases)], {
        encoding: 'utf8',
      }),
    ) as Array<{ digits: string; scannable: string }>;
    cases.forEach((c, i) => {
      const ours = safetyNumberFromSerializedKeys(
        { serializedKey: fromHex(c.localKey), stableId: utf8.encode(c.localId) },
        { serializedKey: fromHex(c.remoteKey), stableId: utf8.encode(c.remoteId) },
        SAFETY_NUMBER_ITERATIONS,
        c.version,
      );
      expect(ours.digits).toBe(theirs[i]!.digits);
      expect(toHex(ours.scannable)).toBe(theirs[i]!.scannable);
    });
  });
});

describe('computeSafetyNumber', () => {
  it('gives both sides the same 60 digits and scannable forms that match each other only', () => {
    const { alice, bob } = identities('sn');
    const a = computeSafetyNumber(
      { identityKey: alice.publicKey, stableId: 'alice' },
      { identityKey: bob.publicKey, stableId: 'bob' },
    );
    const b = computeSafetyNumber(
      { identityKey: bob.publicKey, stableId: 'bob' },
      { identityKey: alice.publicKey, stableId: 'alice' },
    );
    expect(a.digits).toMatch(/^\d{60}$/);
    expect(b.digits).toBe(a.digits);
    expect(a.scannable.length).toBe(SCANNABLE_SAFETY_NUMBER_BYTES);
    expect(compareScannableSafetyNumbers(a.scannable, b.scannable)).toBe(true);
    expect(compareScannableSafetyNumbers(b.scannable, a.scannable)).toBe(true);
    // Scanning your own screen is not a match.
    expect(compareScannableSafetyNumbers(a.scannable, a.scannable)).toBe(false);
  });

  it('differs when a man in the middle substitutes a key, or the stable ids differ', () => {
    const { alice, bob, mallory } = identities('mitm');
    const aliceSees = computeSafetyNumber(
      { identityKey: alice.publicKey, stableId: 'alice' },
      { identityKey: mallory.publicKey, stableId: 'bob' },
    );
    const bobSees = computeSafetyNumber(
      { identityKey: bob.publicKey, stableId: 'bob' },
      { identityKey: alice.publicKey, stableId: 'alice' },
    );
    expect(aliceSees.digits).not.toBe(bobSees.digits);
    expect(compareScannableSafetyNumbers(aliceSees.scannable, bobSees.scannable)).toBe(false);
    const otherId = computeSafetyNumber(
      { identityKey: bob.publicKey, stableId: 'bob' },
      { identityKey: alice.publicKey, stableId: 'alice2' },
    );
    expect(otherId.digits).not.toBe(bobSees.digits);
  });

  it('fingerprints the Ed25519 key itself: a key and its negation (same X25519 image) differ', () => {
    const { alice, bob } = identities('sign-bit');
    const negated = alice.publicKey.slice();
    negated[31]! ^= 0x80; // flips the sign of x: -A, which maps to the same X25519 key
    expect(toHex(ed25519PublicToX25519(negated))).toBe(
      toHex(ed25519PublicToX25519(alice.publicKey)),
    );
    const real = computeSafetyNumber(
      { identityKey: alice.publicKey, stableId: 'a' },
      { identityKey: bob.publicKey, stableId: 'b' },
    );
    const fake = computeSafetyNumber(
      { identityKey: negated, stableId: 'a' },
      { identityKey: bob.publicKey, stableId: 'b' },
    );
    expect(fake.digits).not.toBe(real.digits);
  });

  it('matches a vector computed independently with Python hashlib', () => {
    // digits(k, id) = six 5-byte big-endian chunks mod 1e5 of h, h0 = sha512(b'\0\0' + k + id + k),
    // h = sha512(h + k) 5199 more times, k = b'\xed' + key; halves joined smaller first.
    const n = computeSafetyNumber(
      { identityKey: new Uint8Array(32).fill(0x01), stableId: 'alice' },
      { identityKey: new Uint8Array(32).fill(0x02), stableId: 'bob' },
    );
    expect(n.digits).toBe(PINNED_DIGITS);
  });

  it('refuses bad input, malformed scans and another scannable version', () => {
    const { alice, bob } = identities('bad');
    expect(() =>
      computeSafetyNumber(
        { identityKey: new Uint8Array(31), stableId: 'a' },
        { identityKey: bob.publicKey, stableId: 'b' },
      ),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      computeSafetyNumber(
        { identityKey: alice.publicKey, stableId: '' },
        { identityKey: bob.publicKey, stableId: 'b' },
      ),
    ).toThrow(InvalidArgumentError);
    const a = computeSafetyNumber(
      { identityKey: alice.publicKey, stableId: 'a' },
      { identityKey: bob.publicKey, stableId: 'b' },
    );
    expect(() => compareScannableSafetyNumbers(a.scannable, a.scannable.subarray(1))).toThrow(
      DecodeError,
    );
    const garbled = a.scannable.slice();
    garbled[2] = 0;
    expect(() => compareScannableSafetyNumbers(a.scannable, garbled)).toThrow(DecodeError);
    const v2 = a.scannable.slice();
    v2[1] = 2;
    expect(() => compareScannableSafetyNumbers(a.scannable, v2)).toThrow(DecodeError);
  });
});

const PINNED_DIGITS = '515644756743374204849354129139548720291216646595544673100220';
