// HMAC-SHA256 / HKDF-SHA256 on libsodium's WASM module without the wrapper (hmac-sha256.ts).
// Vectors: RFC 4231 test cases 1-4, 6 and 7 (HMAC-SHA256; 6 and 7 have 131-byte keys) and
// RFC 5869 appendix A test cases 1-3 (HKDF-SHA256). Random inputs are checked against
// libsodium-wrappers' own HMAC and a plain RFC 5869 HKDF over it (the previous code).
import sodiumModule from 'libsodium-wrappers-sumo';
import { fromHex, toHex, utf8 } from '../bytes';
import { deterministicRandom } from '../random';
import { hkdfSha256, hkdfSha256Into, hmacSha256, hmacSha256Pair } from './hmac-sha256';
import { initProtocol } from './sodium';

beforeAll(initProtocol);

/** HMAC-SHA256 through libsodium-wrappers (any key length). */
function referenceHmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  const state = sodiumModule.crypto_auth_hmacsha256_init(key);
  sodiumModule.crypto_auth_hmacsha256_update(state, data);
  return sodiumModule.crypto_auth_hmacsha256_final(state);
}

/** RFC 5869 written out over referenceHmac, one HMAC per block. */
function referenceHkdf(
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const prk = referenceHmac(salt && salt.length > 0 ? salt : new Uint8Array(32), ikm);
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let counter = 1, offset = 0; offset < length; counter++, offset += 32) {
    const input = new Uint8Array(previous.length + info.length + 1);
    input.set(previous, 0);
    input.set(info, previous.length);
    input[input.length - 1] = counter;
    previous = referenceHmac(prk, input);
    out.set(previous.subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}

const range = (from: number, to: number) =>
  Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** True when `needle` occurs anywhere in the WASM module's memory. */
function inWasmMemory(needle: Uint8Array): boolean {
  const heap = (sodiumModule as unknown as { libsodium: { HEAPU8: Uint8Array } }).libsodium.HEAPU8;
  const first = needle[0];
  for (let i = heap.indexOf(first as number); i !== -1; i = heap.indexOf(first as number, i + 1)) {
    let j = 1;
    while (j < needle.length && heap[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}

describe('hmacSha256', () => {
  it.each([
    [
      '0b'.repeat(20),
      toHex(utf8.encode('Hi There')),
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    ],
    [
      toHex(utf8.encode('Jefe')),
      toHex(utf8.encode('what do ya want for nothing?')),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    [
      'aa'.repeat(20),
      'dd'.repeat(50),
      '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    ],
    [
      toHex(range(1, 25)),
      'cd'.repeat(50),
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    ],
    [
      'aa'.repeat(131),
      toHex(utf8.encode('Test Using Larger Than Block-Size Key - Hash Key First')),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      'aa'.repeat(131),
      toHex(
        utf8.encode(
          'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
        ),
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ])('matches RFC 4231 (key %s)', (key, data, mac) => {
    expect(toHex(hmacSha256(fromHex(key), fromHex(data)))).toBe(mac);
  });

  it('matches libsodium-wrappers for keys and data of every size class, chunked data included', () => {
    const r = deterministicRandom('hmac sizes');
    for (const keyLength of [0, 1, 31, 32, 33, 64, 65, 1024, 1025, 5000]) {
      for (const dataLength of [0, 1, 55, 56, 64, 4095, 4096, 4097, 10_000]) {
        const key = r.bytes(keyLength);
        const data = r.bytes(dataLength);
        expect(toHex(hmacSha256(key, data))).toBe(toHex(referenceHmac(key, data)));
      }
    }
  });

  it('gives two MACs under one key equal to two separate HMACs', () => {
    const r = deterministicRandom('hmac pair');
    for (let i = 0; i < 50; i++) {
      const key = r.bytes(i % 3 === 0 ? 32 : i * 7);
      const a = r.bytes(i % 5 === 0 ? 1 : i * 13);
      const b = r.bytes(i % 4 === 0 ? 1 : i * 29);
      const [macA, macB] = hmacSha256Pair(key, a, b);
      expect(toHex(macA)).toBe(toHex(referenceHmac(key, a)));
      expect(toHex(macB)).toBe(toHex(referenceHmac(key, b)));
    }
  });

  it('returns fresh arrays and leaves no key, MAC or keyed input behind in WASM memory', () => {
    // From Web Crypto, not deterministicRandom: the wrapper's generator leaves its output in WASM memory.
    const key = globalThis.crypto.getRandomValues(new Uint8Array(32));
    const data = globalThis.crypto.getRandomValues(new Uint8Array(48));
    const mac = hmacSha256(key, data);
    const [m1, m2] = hmacSha256Pair(key, data, utf8.encode('second'));
    const okm = hkdfSha256(data, key, utf8.encode('info'), 64);
    for (const secret of [key, data, mac, m1, m2, okm.subarray(0, 32), okm.subarray(32)]) {
      expect(inWasmMemory(secret)).toBe(false);
    }
    const again = hmacSha256(key, data);
    again.fill(0);
    expect(toHex(hmacSha256(key, data))).toBe(toHex(mac));
    expect(m1.buffer).not.toBe(m2.buffer);
  });
});

describe('hkdfSha256', () => {
  it('matches RFC 5869 test case 1', () => {
    expect(
      toHex(
        hkdfSha256(
          fromHex('0b'.repeat(22)),
          fromHex('000102030405060708090a0b0c'),
          fromHex('f0f1f2f3f4f5f6f7f8f9'),
          42,
        ),
      ),
    ).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('matches RFC 5869 test case 2 (80-byte inputs, three blocks)', () => {
    expect(toHex(hkdfSha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82))).toBe(
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
        '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
        'cc30c58179ec3e87c14c01d5c1f3434f1d87',
    );
  });

  it('matches RFC 5869 test case 3 (no salt, no info); an empty salt is the same', () => {
    const expected =
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8';
    expect(toHex(hkdfSha256(fromHex('0b'.repeat(22)), undefined, new Uint8Array(0), 42))).toBe(
      expected,
    );
    expect(
      toHex(hkdfSha256(fromHex('0b'.repeat(22)), new Uint8Array(0), new Uint8Array(0), 42)),
    ).toBe(expected);
  });

  it('matches a plain RFC 5869 HKDF for random inputs and lengths', () => {
    const r = deterministicRandom('hkdf random');
    for (let i = 0; i < 60; i++) {
      const ikm = r.bytes((i * 37) % 300);
      const salt = i % 3 === 0 ? undefined : r.bytes((i * 11) % 100);
      const info = r.bytes((i * 5) % 90);
      const length = 1 + ((i * 53) % 300);
      expect(toHex(hkdfSha256(ikm, salt, info, length))).toBe(
        toHex(referenceHkdf(ikm, salt, info, length)),
      );
    }
    const longIkm = r.bytes(9000);
    expect(toHex(hkdfSha256(longIkm, undefined, new Uint8Array(0), 255 * 32))).toBe(
      toHex(referenceHkdf(longIkm, undefined, new Uint8Array(0), 255 * 32)),
    );
  });

  it('fills split outputs with exactly the contiguous output', () => {
    const r = deterministicRandom('hkdf into');
    const ikm = r.bytes(32);
    const info = utf8.encode('Parley_SenderKey_Message_v1');
    const whole = hkdfSha256(ikm, undefined, info, 44);
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    hkdfSha256Into(ikm, undefined, info, key, nonce);
    expect(toHex(key) + toHex(nonce)).toBe(toHex(whole));
    const parts = [new Uint8Array(5), new Uint8Array(40), new Uint8Array(1), new Uint8Array(33)];
    hkdfSha256Into(ikm, r.bytes(32), info, ...parts);
    const expected = referenceHkdf(ikm, undefined, info, 79);
    expect(parts.map(toHex).join('')).not.toBe(toHex(expected)); // another salt
    hkdfSha256Into(ikm, undefined, info, ...parts);
    expect(parts.map(toHex).join('')).toBe(toHex(expected));
  });

  it('takes info longer than its scratch chunk', () => {
    const r = deterministicRandom('hkdf long info');
    for (const infoLength of [4094, 4095, 4096, 5000, 9000]) {
      const ikm = r.bytes(32);
      const info = r.bytes(infoLength);
      expect(toHex(hkdfSha256(ikm, undefined, info, 100))).toBe(
        toHex(referenceHkdf(ikm, undefined, info, 100)),
      );
    }
  });

  it('refuses lengths outside 1..255*32', () => {
    expect(() => hkdfSha256(new Uint8Array(32), undefined, new Uint8Array(0), 0)).toThrow(
      RangeError,
    );
    expect(() =>
      hkdfSha256(new Uint8Array(32), undefined, new Uint8Array(0), 255 * 32 + 1),
    ).toThrow(RangeError);
    expect(() => {
      hkdfSha256Into(new Uint8Array(32), undefined, new Uint8Array(0));
    }).toThrow(RangeError);
  });
});
