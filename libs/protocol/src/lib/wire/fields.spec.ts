import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { toHex } from '../bytes';
import { DecodeError } from '../errors';
import { fuzzInput, withoutStackTraces } from '../../test/fuzz-inputs';
import {
  encodeSenderKeyMessageBody,
  encodeSenderKeySignedBody,
  senderKeySignedBytes,
} from '../sender-keys/sender-key-message';
import { decodeBody } from './codec';
import type { FlatKind } from './fields';
import { decodeFlat, encodeFlat } from './fields';
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

/** Both decoders on one input: both refuse with a DecodeError, or both accept the same values. */
function sameVerdict(
  input: Uint8Array,
  kinds: readonly FlatKind[],
  reference: (b: Uint8Array) => Array<Uint8Array | number>,
): void {
  let expected: Array<Uint8Array | number> | undefined;
  try {
    expected = reference(input);
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
  }
  let got: Array<Uint8Array | number> | undefined;
  try {
    got = decodeFlat(input, kinds, 'test');
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
  }
  const show = (v: Array<Uint8Array | number> | undefined) =>
    v?.map((x) => (typeof x === 'number' ? x : toHex(x)));
  expect(show(got)).toEqual(show(expected));
}

describe('decodeFlat', () => {
  withoutStackTraces();

  const bodySeeds = [
    encodeFlat([
      { no: 1, bytes: new Uint8Array(16).fill(7) },
      { no: 2, uint32: 0xdeadbeef },
      { no: 3, uint32: 300 },
      { no: 4, bytes: new Uint8Array(40).fill(9) },
    ]),
    encodeFlat([
      { no: 1, bytes: new Uint8Array(16).fill(1) },
      { no: 3, uint32: 1 },
      { no: 4, bytes: new Uint8Array(200).fill(2) },
    ]),
    encodeFlat([{ no: 2, uint32: 127 }]),
  ];
  const outerSeeds = [
    encodeFlat([
      { no: 1, bytes: bodySeeds[0]! },
      { no: 2, bytes: new Uint8Array(64).fill(5) },
    ]),
    encodeFlat([{ no: 2, bytes: new Uint8Array(64).fill(5) }]),
  ];
  const BODY: readonly FlatKind[] = ['bytes', 'uint32', 'uint32', 'bytes'];
  const OUTER: readonly FlatKind[] = ['bytes', 'bytes'];
  const body = (b: Uint8Array) => {
    const m = decodeBody(SenderKeyMessageBodySchema, b, 'test');
    return [m.distributionId, m.chainId, m.iteration, m.ciphertext];
  };
  const outer = (b: Uint8Array) => {
    const m = decodeBody(SenderKeyMessageSchema, b, 'test');
    return [m.body, m.signature];
  };

  it('accepts and refuses exactly what protobuf-es plus the canonical check does (SenderKeyMessageBody)', () => {
    fc.assert(
      fc.property(fuzzInput(bodySeeds, 80), (input) => {
        sameVerdict(input, BODY, body);
      }),
      { numRuns: 20_000 },
    );
  });

  it('same for SenderKeyMessage', () => {
    fc.assert(
      fc.property(fuzzInput(outerSeeds, 80), (input) => {
        sameVerdict(input, OUTER, outer);
      }),
      { numRuns: 20_000 },
    );
  });

  it('round-trips every encodeFlat output', () => {
    fc.assert(
      fc.property(
        bytes,
        uint32,
        uint32,
        bytes,
        (distributionId, chainId, iteration, ciphertext) => {
          const encoded = encodeFlat([
            { no: 1, bytes: distributionId },
            { no: 2, uint32: chainId },
            { no: 3, uint32: iteration },
            { no: 4, bytes: ciphertext },
          ]);
          sameVerdict(encoded, BODY, body);
          const [d, c, i, x] = decodeFlat(encoded, BODY, 'test');
          expect([toHex(d as Uint8Array), c, i, toHex(x as Uint8Array)]).toEqual([
            toHex(distributionId),
            chainId,
            iteration,
            toHex(ciphertext),
          ]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses hand-made non-canonical forms', () => {
    const refuse = (hex: number[]) => {
      expect(() => decodeFlat(new Uint8Array(hex), BODY, 'test')).toThrow(DecodeError);
    };
    refuse([0x10, 0x00]); // zero uint32 written
    refuse([0x10, 0x81, 0x00]); // non-minimal varint
    refuse([0x0a, 0x00]); // empty bytes written
    refuse([0x18, 0x01, 0x10, 0x01]); // out of order
    refuse([0x10, 0x01, 0x10, 0x02]); // repeated
    refuse([0x28, 0x01]); // unknown field 5
    refuse([0x10, 0xff, 0xff, 0xff, 0xff, 0x1f]); // 2^36 - 1: not a uint32
    refuse([0x0a, 0x05, 0x01]); // truncated
    refuse([0x12, 0x01, 0x01]); // uint32 field as bytes
  });
});

describe('encodeSenderKeySignedBody', () => {
  it('is the version byte followed by encodeSenderKeyMessageBody', () => {
    fc.assert(
      fc.property(
        bytes,
        uint32,
        uint32,
        bytes,
        (distributionId, chainId, iteration, ciphertext) => {
          const header = { distributionId, chainId, iteration };
          const signed = encodeSenderKeySignedBody(header, ciphertext);
          expect(toHex(signed)).toBe(
            toHex(senderKeySignedBytes(encodeSenderKeyMessageBody(header, ciphertext))),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
