import { bytesToBase64 } from './base64-bytes';
import { isCanonicalX25519, OneTimePreKeySchema, PreKeyPublicKeySchema } from './keys';

/** A 32-byte little-endian key: `low` as byte 0, `middle` as bytes 1-30, `top` as byte 31. */
function key(low: number, middle: number, top: number): Uint8Array {
  const k = new Uint8Array(32).fill(middle);
  k[0] = low;
  k[31] = top;
  return k;
}

describe('X25519 prekey public keys', () => {
  it('are canonical below p = 2^255 - 19 only', () => {
    expect(isCanonicalX25519(key(9, 0, 0))).toBe(true);
    expect(isCanonicalX25519(key(0xec, 0xff, 0x7f))).toBe(true);
    expect(isCanonicalX25519(key(9, 0, 0x80))).toBe(false);
    expect(isCanonicalX25519(key(0xed, 0xff, 0x7f))).toBe(false);
    expect(isCanonicalX25519(key(0xff, 0xff, 0x7f))).toBe(false);
  });

  it('an upload with the top bit set is refused by the schema', () => {
    const good = key(9, 1, 0x12);
    expect(PreKeyPublicKeySchema.safeParse(bytesToBase64(good)).success).toBe(true);
    const flipped = good.slice();
    flipped[31]! ^= 0x80;
    const refused = OneTimePreKeySchema.safeParse({ id: 1, publicKey: bytesToBase64(flipped) });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toMatch(/canonical X25519/);
  });
});
