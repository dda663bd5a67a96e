import fc from 'fast-check';
import { z } from 'zod';
import {
  base64Bytes,
  base64ToBytes,
  bytesToBase64,
  decodeCanonicalBase64,
  encodeBase64,
  fixedBytes,
  isCanonicalBase64,
} from './base64-bytes';

const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');

describe('base64Bytes', () => {
  const schema = base64Bytes({ max: 8 });

  it('decodes canonical base64 into a Uint8Array', () => {
    const out = schema.parse('AQID');
    expect(out).toBeInstanceOf(Uint8Array);
    expect([...out]).toEqual([1, 2, 3]);
    expect([...schema.parse('QQ==')]).toEqual([65]);
    expect([...schema.parse('QUI=')]).toEqual([65, 66]);
  });

  it('encodes a Uint8Array back to the same text', () => {
    expect(z.encode(schema, new Uint8Array([1, 2, 3]))).toBe('AQID');
    expect(z.encode(schema, Buffer.from([65]))).toBe('QQ==');
  });

  it.each([
    ['non-zero bits before ==', 'QR=='],
    ['non-zero bits before =', 'QUJ='],
    ['missing padding', 'QQ'],
    ['missing one padding char', 'QUI'],
    ['url-safe alphabet', '-_-_'],
    ['whitespace', 'AQ ID'],
    ['trailing newline', 'AQID\n'],
    ['padding in the middle', 'QQ==AQID'],
    ['too much padding', 'Q==='],
    ['not a string', 42],
  ])('refuses %s', (_why, input) => {
    expect(schema.safeParse(input).success).toBe(false);
  });

  it('refuses an empty field unless min is 0', () => {
    expect(schema.safeParse('').success).toBe(false);
    expect([...base64Bytes({ min: 0, max: 4 }).parse('')]).toEqual([]);
  });

  it('refuses more than max bytes, by text length before decoding', () => {
    expect(schema.safeParse(b64([1, 2, 3, 4, 5, 6, 7, 8])).success).toBe(true);
    const nine = schema.safeParse(b64([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(nine.success).toBe(false);
    // 9 bytes still fit the 12 characters allowed for 8 bytes: the byte check refuses them.
    expect(nine.error?.issues[0]?.message).toMatch(/1\.\.8 bytes/);
    const huge = schema.safeParse('A'.repeat(10_000_000));
    expect(huge.error?.issues[0]?.message).toMatch(/too large/);
  });

  it('fixedBytes accepts exactly its length', () => {
    const key = fixedBytes(32);
    expect(key.safeParse(b64(new Array<number>(32).fill(7))).success).toBe(true);
    expect(key.safeParse(b64(new Array<number>(31).fill(7))).success).toBe(false);
    expect(key.safeParse(b64(new Array<number>(33).fill(7))).success).toBe(false);
    expect(() => z.encode(key, new Uint8Array(31))).toThrow();
  });

  it('round-trips any bytes, and only Node-canonical text is accepted', () => {
    const any = base64Bytes({ min: 0, max: 64 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = z.encode(any, bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect([...any.parse(text)]).toEqual([...bytes]);
      }),
    );
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('A', 'Q', 'g', 'w', 'B', '+', '/', '=', 'x'),
          maxLength: 12,
        }),
        (text) => {
          const canonical =
            /^[A-Za-z0-9+/=]*$/.test(text) &&
            Buffer.from(text, 'base64').toString('base64') === text;
          expect(isCanonicalBase64(text)).toBe(canonical);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('codes exactly as the portable (browser) path does, and decodes into bytes of their own', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (bytes, offset) => {
        // A view that does not start at its buffer's first byte, as a subarray.
        const padded = new Uint8Array(offset + bytes.length);
        padded.set(bytes, offset);
        const view = padded.subarray(offset);
        const text = encodeBase64(view);
        expect(text).toBe(z.util.uint8ArrayToBase64(bytes));
        const decoded = decodeCanonicalBase64(text);
        expect([...decoded]).toEqual([...z.util.base64ToUint8Array(text)]);
        expect(decoded.byteOffset).toBe(0);
        expect(decoded.buffer.byteLength).toBe(decoded.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('plain helpers agree with the codec', () => {
    expect(bytesToBase64(new Uint8Array([255, 254]))).toBe('//4=');
    expect([...base64ToBytes('//4=')]).toEqual([255, 254]);
    expect(() => base64ToBytes('//5=')).toThrow(TypeError);
  });
});
