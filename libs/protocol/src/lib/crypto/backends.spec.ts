// The same vectors through every crypto backend: outputs must be byte-identical.
// Vectors: RFC 7748 (X25519, sections 5.2 and 6.1), RFC 8032 section 7.1 (Ed25519 tests
// 1-3), RFC 4231 (HMAC-SHA256 test cases 1 and 2), RFC 8439 section 2.8.2 (AEAD), and the
// committed 1:1 session transcript (sender-keys.vectors.spec.ts runs its vectors on both too).
import { fromHex, toHex, utf8 } from '../bytes';
import { DecryptionError, InvalidKeyError } from '../errors';
import { deterministicRandom } from '../random';
import { makeTranscript } from '../../test/transcript';
import committed from '../../test/vectors/session-transcript.json';
import type { CryptoBackend } from './backend';
import { cryptoBackend, setCryptoBackend } from './backend';
import { loadNativeBackend } from './native-backend';
import {
  aeadDecrypt,
  aeadEncrypt,
  constantTimeEqual,
  ed25519KeyPair,
  ed25519PublicToX25519,
  ed25519SecretToX25519,
  ed25519Sign,
  ed25519Verify,
  hmacSha256,
  wipe,
  x25519,
  x25519KeyPair,
  x25519PublicFromPrivate,
} from './primitives';
import { initProtocol } from './sodium';
import { wasmBackend } from './wasm-backend';
import { activeCryptoBackend, usePortableCrypto, useNativeCrypto } from '../../node';

const native = loadNativeBackend();
const fixed = (hex: string) => ({ bytes: (n: number) => fromHex(hex).subarray(0, n) });

beforeAll(initProtocol);
afterAll(() => {
  setCryptoBackend(wasmBackend);
});

it('loads the native backend on this platform (linux-x64 prebuild)', () => {
  expect(native?.name).toBe('sodium-native');
});

describe.each([
  ['libsodium-wasm', wasmBackend],
  ['sodium-native', native as CryptoBackend],
])('backend %s', (_name, backend) => {
  beforeEach(() => {
    setCryptoBackend(backend);
  });

  it('X25519 matches RFC 7748 section 5.2 and the section 6.1 key exchange', () => {
    expect(
      toHex(
        x25519(
          fromHex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
          fromHex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
        ),
      ),
    ).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    const alice = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bob = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const alicePub = x25519PublicFromPrivate(alice);
    const bobPub = x25519KeyPair(fixed(toHex(bob))).publicKey;
    expect(toHex(alicePub)).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    );
    expect(toHex(bobPub)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(x25519(alice, bobPub))).toBe(shared);
    expect(toHex(x25519(bob, alicePub))).toBe(shared);
  });

  it('X25519 refuses low-order points (all-zero result)', () => {
    const priv = x25519KeyPair(deterministicRandom('low-order')).privateKey;
    expect(() => x25519(priv, new Uint8Array(32))).toThrow(InvalidKeyError);
    const one = new Uint8Array(32);
    one[0] = 1;
    expect(() => x25519(priv, one)).toThrow(InvalidKeyError);
  });

  it.each([
    [
      '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      '',
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    ],
    [
      '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      '72',
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    ],
    [
      'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
      'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
      'af82',
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
    ],
  ])('Ed25519 matches RFC 8032 (secret %s)', (seed, publicKey, message, signature) => {
    const kp = ed25519KeyPair(fixed(seed));
    expect(toHex(kp.publicKey)).toBe(publicKey);
    expect(toHex(kp.privateKey)).toBe(seed + publicKey);
    expect(toHex(ed25519Sign(kp.privateKey, fromHex(message)))).toBe(signature);
    expect(ed25519Verify(kp.publicKey, fromHex(message), fromHex(signature))).toBe(true);
    const bad = fromHex(signature);
    bad[5]! ^= 1;
    expect(ed25519Verify(kp.publicKey, fromHex(message), bad)).toBe(false);
    // S + L (non-canonical S) must not verify: libsodium checks S < L on both backends.
    const sPlusL = fromHex(signature);
    const L = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
    let carry = 0;
    for (let i = 0; i < 32; i++) {
      const v = sPlusL[32 + i]! + L[i]! + carry;
      sPlusL[32 + i] = v & 0xff;
      carry = v >> 8;
    }
    expect(ed25519Verify(kp.publicKey, fromHex(message), sPlusL)).toBe(false);
  });

  it('Ed25519 refuses a small-order public key and keeps the libsodium key conversion', () => {
    // The identity point (small order): libsodium refuses it for verify and conversion.
    const identityPoint = fromHex(
      '0100000000000000000000000000000000000000000000000000000000000000',
    );
    expect(ed25519Verify(identityPoint, new Uint8Array(0), new Uint8Array(64))).toBe(false);
    expect(() => ed25519PublicToX25519(identityPoint)).toThrow(InvalidKeyError);
    const kp = ed25519KeyPair(
      fixed('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
    );
    const xPub = ed25519PublicToX25519(kp.publicKey);
    const xPriv = ed25519SecretToX25519(kp.privateKey);
    expect(toHex(x25519PublicFromPrivate(xPriv))).toBe(toHex(xPub));
  });

  it('HMAC-SHA256 matches RFC 4231 test cases 1 and 2', () => {
    expect(toHex(hmacSha256(fromHex('0b'.repeat(20)), utf8.encode('Hi There')))).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    );
    expect(
      toHex(hmacSha256(utf8.encode('Jefe'), utf8.encode('what do ya want for nothing?'))),
    ).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('ChaCha20-Poly1305 matches RFC 8439 section 2.8.2 and refuses tampering', () => {
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('070000004041424344454647');
    const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = utf8.encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const expected =
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
      '1ae10b594f09e26a7e902ecbd0600691';
    const ct = aeadEncrypt(key, nonce, plaintext, ad);
    expect(toHex(ct)).toBe(expected);
    expect(toHex(aeadDecrypt(key, nonce, ct, ad))).toBe(toHex(plaintext));
    const bad = ct.slice();
    bad[bad.length - 1]! ^= 1;
    expect(() => aeadDecrypt(key, nonce, bad, ad)).toThrow(DecryptionError);
    expect(() => aeadDecrypt(key, nonce, ct, new Uint8Array(0))).toThrow(DecryptionError);
    expect(() => aeadDecrypt(key, nonce, ct.subarray(0, 15), ad)).toThrow(DecryptionError);
    expect(toHex(aeadEncrypt(key, nonce, new Uint8Array(0), new Uint8Array(0)))).toHaveLength(32);
  });

  it('reproduces the committed 1:1 session transcript byte for byte', () => {
    expect(makeTranscript()).toEqual(committed);
  });

  it('returns plain Uint8Arrays the caller owns (wipe leaves other outputs alone)', () => {
    const kp = x25519KeyPair(deterministicRandom('owned'));
    const a = x25519(kp.privateKey, kp.publicKey);
    const b = x25519(kp.privateKey, kp.publicKey);
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    wipe(a);
    expect(constantTimeEqual(a, new Uint8Array(32))).toBe(true);
    expect(constantTimeEqual(b, new Uint8Array(32))).toBe(false);
    // The native backend writes small outputs to a reused buffer and hands out copies: a
    // later call must not change an earlier output.
    const ed = ed25519KeyPair(deterministicRandom('owned ed'));
    const first = [
      ed25519Sign(ed.privateKey, utf8.encode('one')),
      ed25519PublicToX25519(ed.publicKey),
      ed25519SecretToX25519(ed.privateKey),
      x25519PublicFromPrivate(kp.privateKey),
    ];
    const before = first.map(toHex);
    ed25519Sign(ed.privateKey, utf8.encode('two'));
    const other = ed25519KeyPair(deterministicRandom('owned ed 2'));
    ed25519PublicToX25519(other.publicKey);
    x25519PublicFromPrivate(ed25519SecretToX25519(other.privateKey));
    x25519(kp.privateKey, other.publicKey.slice());
    expect(first.map(toHex)).toEqual(before);
    expect(ed25519Verify(ed.publicKey, utf8.encode('one'), first[0] as Uint8Array)).toBe(true);
  });
});

it('gives identical outputs on both backends for random keys and messages', () => {
  const random = deterministicRandom('cross-backend');
  for (let i = 0; i < 40; i++) {
    const seed = random.bytes(32);
    const priv = random.bytes(32);
    const peer = random.bytes(32);
    const message = random.bytes(i * 7);
    const key = random.bytes(32);
    const nonce = random.bytes(12);
    const run = (b: CryptoBackend) => {
      const ed = b.ed25519SeedKeyPair(seed);
      const sig = b.ed25519Sign(ed.privateKey, message);
      const ct = b.aeadEncrypt(key, nonce, message, seed);
      return [
        b.x25519Base(priv),
        b.x25519(priv, b.x25519Base(peer)),
        ed.publicKey,
        ed.privateKey,
        sig,
        b.ed25519PublicToX25519(ed.publicKey),
        b.ed25519SecretToX25519(ed.privateKey),
        ct,
        b.aeadDecrypt(key, nonce, ct, seed),
        new Uint8Array([b.ed25519Verify(ed.publicKey, message, sig) ? 1 : 0]),
      ].map(toHex);
    };
    expect(run(native as CryptoBackend)).toEqual(run(wasmBackend));
  }
});

it('switches backends through the Node entry point', () => {
  usePortableCrypto();
  expect(activeCryptoBackend()).toBe('libsodium-wasm');
  expect(useNativeCrypto()).toBe(true);
  expect(activeCryptoBackend()).toBe('sodium-native');
  expect(cryptoBackend()).toBe(native);
  usePortableCrypto();
  expect(cryptoBackend()).toBe(wasmBackend);
});
