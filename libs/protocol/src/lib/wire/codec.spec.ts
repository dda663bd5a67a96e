import { DecodeError } from '../errors';
import { requireX25519PublicKey } from './codec';

/** A 32-byte little-endian key with `low` as byte 0, `middle` as bytes 1-30, `top` as byte 31. */
function key(low: number, middle: number, top: number): Uint8Array {
  const k = new Uint8Array(32).fill(middle);
  k[0] = low;
  k[31] = top;
  return k;
}

describe('requireX25519PublicKey', () => {
  it('accepts every u below p = 2^255 - 19', () => {
    for (const k of [key(9, 0, 0), key(0xec, 0xff, 0x7f), key(0xff, 0xfe, 0x7f), key(0xff, 0xff, 0x7e)]) {
      expect(requireX25519PublicKey(k, 'M', 'k')).toBe(k);
    }
  });

  it('refuses the top bit set and the values p .. 2^255 - 1, with a typed error', () => {
    for (const k of [key(9, 0, 0x80), key(9, 0, 0xff), key(0xed, 0xff, 0x7f), key(0xff, 0xff, 0x7f)]) {
      expect(() => requireX25519PublicKey(k, 'M', 'k')).toThrow(DecodeError);
    }
  });

  it('refuses a key of the wrong length', () => {
    expect(() => requireX25519PublicKey(new Uint8Array(31), 'M', 'k')).toThrow(DecodeError);
    expect(() => requireX25519PublicKey(new Uint8Array(33), 'M', 'k')).toThrow(DecodeError);
  });
});
