import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { toHex } from '../bytes';
import { SenderKeyRecordMessageSchema } from '../wire/generated/parley/storage/v1/sender_key_pb';
import type { ChainRecordFields, RecordFields } from './sender-key-record-encoder';
import { encodeSenderKeyRecord } from './sender-key-record-encoder';

const uint32 = fc.oneof(
  fc.constantFrom(0, 1, 127, 128, 16383, 16384, 0x7fffffff, 0xffffffff),
  fc.nat({ max: 0xffffffff }),
);
const uint53 = fc.oneof(
  fc.constantFrom(0, 1, 127, 128, 2 ** 31, 2 ** 32, 2 ** 35, Number.MAX_SAFE_INTEGER),
  fc.maxSafeNat(),
);
const bytes = (maxLength: number) =>
  fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength }));

const chain: fc.Arbitrary<ChainRecordFields> = fc.record({
  chainId: uint32,
  iteration: uint32,
  chainKey: bytes(40),
  signingPublicKey: bytes(40),
  // Present-but-empty must still be written (explicit presence).
  signingSecretKey: fc.option(bytes(70), { nil: undefined }),
  skipped: fc.array(fc.tuple(uint32, bytes(40)), { maxLength: 6 }),
  createdAtMs: uint53,
});

const record: fc.Arbitrary<RecordFields> = fc.record({
  groupId: bytes(200),
  distributionId: bytes(20),
  chains: fc.array(chain, { maxLength: 5 }),
});

function viaProtobufEs(r: RecordFields): Uint8Array {
  const body = toBinary(
    SenderKeyRecordMessageSchema,
    create(SenderKeyRecordMessageSchema, {
      groupId: r.groupId,
      distributionId: r.distributionId,
      chains: r.chains.map((c) => ({
        chainId: c.chainId,
        iteration: c.iteration,
        chainKey: c.chainKey,
        signingPublicKey: c.signingPublicKey,
        signingSecretKey: c.signingSecretKey,
        skipped: [...c.skipped].map(([iteration, seed]) => ({ iteration, seed })),
        createdAtMs: BigInt(c.createdAtMs),
      })),
    }),
  );
  const out = new Uint8Array(body.length + 1);
  out[0] = 1;
  out.set(body, 1);
  return out;
}

describe('encodeSenderKeyRecord', () => {
  it('matches protobuf-es toBinary byte for byte, zero, empty and large values included', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(toHex(encodeSenderKeyRecord(r, 1))).toBe(toHex(viaProtobufEs(r)));
      }),
      { numRuns: 400 },
    );
  });

  it('accepts a Map of skipped seeds and keeps its insertion order', () => {
    const skipped = new Map([
      [3, new Uint8Array(32).fill(3)],
      [200, new Uint8Array(32).fill(200)],
    ]);
    const r: RecordFields = {
      groupId: new Uint8Array(32).fill(1),
      distributionId: new Uint8Array(16).fill(2),
      chains: [
        {
          chainId: 7,
          iteration: 300,
          chainKey: new Uint8Array(32).fill(4),
          signingPublicKey: new Uint8Array(32).fill(5),
          skipped,
          createdAtMs: 1_700_000_000_000,
        },
      ],
    };
    expect(toHex(encodeSenderKeyRecord(r, 1))).toBe(toHex(viaProtobufEs(r)));
  });

  it('refuses values the wire types cannot hold', () => {
    const base: ChainRecordFields = {
      chainId: 1,
      iteration: 1,
      chainKey: new Uint8Array(32),
      signingPublicKey: new Uint8Array(32),
      skipped: [],
      createdAtMs: 0,
    };
    const enc = (c: Partial<ChainRecordFields>) => () =>
      encodeSenderKeyRecord(
        {
          groupId: new Uint8Array(1),
          distributionId: new Uint8Array(16),
          chains: [{ ...base, ...c }],
        },
        1,
      );
    expect(enc({})).not.toThrow();
    expect(enc({ chainId: 2 ** 32 })).toThrow(RangeError);
    expect(enc({ iteration: -1 })).toThrow(RangeError);
    expect(enc({ createdAtMs: 1.5 })).toThrow(RangeError);
    expect(enc({ createdAtMs: 2 ** 53 })).toThrow(RangeError);
    expect(enc({ skipped: [[2 ** 32, new Uint8Array(32)]] })).toThrow(RangeError);
  });
});
