import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { toHex } from '../bytes';
import { encodeFlat } from './fields';
import {
  SenderKeyMessageBodySchema,
  SenderKeyMessageSchema,
} from './generated/parley/wire/v1/wire_pb';

const uint32 = fc.oneof(
  fc.constantFrom(0, 1, 127, 128, 16383, 16384, 0x7fffffff, 0xffffffff),
  fc.nat({ max: 0xffffffff }),
);
const bytes = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 }));

describe('encodeFlat', () => {
  it('matches protobuf-es toBinary for SenderKeyMessageBody, zero and empty fields included', () => {
    fc.assert(
      fc.property(
        bytes,
        uint32,
        uint32,
        bytes,
        (distributionId, chainId, iteration, ciphertext) => {
          const expected = toBinary(
            SenderKeyMessageBodySchema,
            create(SenderKeyMessageBodySchema, { distributionId, chainId, iteration, ciphertext }),
          );
          const got = encodeFlat([
            { no: 1, bytes: distributionId },
            { no: 2, uint32: chainId },
            { no: 3, uint32: iteration },
            { no: 4, bytes: ciphertext },
          ]);
          expect(toHex(got)).toBe(toHex(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches toBinary for SenderKeyMessage behind a version byte', () => {
    fc.assert(
      fc.property(bytes, bytes, (body, signature) => {
        const expected = toBinary(
          SenderKeyMessageSchema,
          create(SenderKeyMessageSchema, { body, signature }),
        );
        const got = encodeFlat(
          [
            { no: 1, bytes: body },
            { no: 2, bytes: signature },
          ],
          1,
        );
        expect(got[0]).toBe(1);
        expect(toHex(got.subarray(1))).toBe(toHex(expected));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses out-of-order fields, field numbers past 15 and non-uint32 values', () => {
    expect(() =>
      encodeFlat([
        { no: 2, uint32: 1 },
        { no: 1, uint32: 1 },
      ]),
    ).toThrow(RangeError);
    expect(() => encodeFlat([{ no: 16, uint32: 1 }])).toThrow(RangeError);
    expect(() => encodeFlat([{ no: 1, uint32: 2 ** 32 }])).toThrow(RangeError);
    expect(() => encodeFlat([{ no: 1, uint32: -1 }])).toThrow(RangeError);
    expect(() => encodeFlat([{ no: 1, uint32: 1.5 }])).toThrow(RangeError);
  });
});
