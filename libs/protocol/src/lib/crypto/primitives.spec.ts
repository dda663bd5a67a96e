// Vectors: RFC 5869 appendix A (HKDF-SHA256 test cases 1 and 3) and RFC 4231 test case 2
// (HMAC-SHA256).
import { fromHex, toHex, utf8 } from '../bytes';
import { InvalidKeyError, DecryptionError } from '../errors';
import { deterministicRandom } from '../random';
import {
  aeadDecrypt,
  aeadEncrypt,
  constantTimeEqual,
  hkdfSha256,
  hmacSha256,
  secureRandomBytes,
  wipe,
  x25519,
  x25519KeyPair,
} from './primitives';
import { initProtocol } from './sodium';

beforeAll(initProtocol);

describe('primitives', () => {
  it('HKDF-SHA256 matches RFC 5869 test case 1', () => {
    const okm = hkdfSha256(
      fromHex('0b'.repeat(22)),
      fromHex('000102030405060708090a0b0c'),
      fromHex('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(toHex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('HKDF-SHA256 matches RFC 5869 test case 3 (no salt, no info)', () => {
    const okm = hkdfSha256(fromHex('0b'.repeat(22)), undefined, new Uint8Array(0), 42);
    expect(toHex(okm)).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('HMAC-SHA256 matches RFC 4231 test case 2', () => {
    const mac = hmacSha256(utf8.encode('Jefe'), utf8.encode('what do ya want for nothing?'));
    expect(toHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('X25519 agrees and refuses a low-order point', () => {
    const r = deterministicRandom('x25519');
    const a = x25519KeyPair(r);
    const b = x25519KeyPair(r);
    expect(toHex(x25519(a.privateKey, b.publicKey))).toBe(toHex(x25519(b.privateKey, a.publicKey)));
    expect(() => x25519(a.privateKey, new Uint8Array(32))).toThrow(InvalidKeyError);
  });

  it('AEAD refuses a changed ciphertext or associated data', () => {
    const key = new Uint8Array(32).fill(1);
    const nonce = new Uint8Array(12).fill(2);
    const ct = aeadEncrypt(key, nonce, utf8.encode('hello'), utf8.encode('ad'));
    expect(utf8.decode(aeadDecrypt(key, nonce, ct, utf8.encode('ad')))).toBe('hello');
    expect(() => aeadDecrypt(key, nonce, ct, utf8.encode('ae'))).toThrow(DecryptionError);
    const bad = ct.slice();
    bad[0]! ^= 1;
    expect(() => aeadDecrypt(key, nonce, bad, utf8.encode('ad'))).toThrow(DecryptionError);
    expect(() => aeadDecrypt(key, nonce, ct.subarray(0, 10), utf8.encode('ad'))).toThrow(DecryptionError);
  });

  it('compares in constant time and wipes', () => {
    expect(constantTimeEqual(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(constantTimeEqual(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(constantTimeEqual(fromHex('0102'), fromHex('010203'))).toBe(false);
    const secret = fromHex('ffff');
    wipe(secret);
    expect(toHex(secret)).toBe('0000');
  });

  it('draws secure random bytes of any length, including past one Web Crypto call', () => {
    const big = secureRandomBytes(65536 * 2 + 7);
    expect(big.length).toBe(65536 * 2 + 7);
    // The tail (third call) is filled too: 7 zero bytes by chance is 2^-56.
    expect(big.subarray(-7).some((b) => b !== 0)).toBe(true);
    expect(toHex(secureRandomBytes(32))).not.toBe(toHex(secureRandomBytes(32)));
  });
});
