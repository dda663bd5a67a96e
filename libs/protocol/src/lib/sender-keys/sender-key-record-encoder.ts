/**
 * A direct encoder for parley.storage.v1.SenderKeyRecordMessage (with the version byte).
 * The SDK serializes a sender-key state after every message, and protobuf-es's generic
 * create + toBinary (message objects, a growing writer, a copy per nested chain) was most
 * of that cost. Sizes are computed first, then one buffer is written. Output is the one
 * canonical proto3 encoding, exactly what toBinary gives: fields in number order, implicit
 * zero/empty values omitted, the optional signing secret written whenever it is set,
 * repeated messages always written, minimal varints (sender-key-record-encoder.spec.ts
 * checks every byte against protobuf-es). Decoding stays with protobuf-es and its strict
 * canonical re-encode check.
 */
import { varintLength, writeVarint } from '../wire/fields';

export interface ChainRecordFields {
  readonly chainId: number;
  readonly iteration: number;
  readonly chainKey: Uint8Array;
  readonly signingPublicKey: Uint8Array;
  readonly signingSecretKey?: Uint8Array | undefined;
  /** (iteration, seed) pairs in the order to store them: a Map keeps insertion order. */
  readonly skipped: Iterable<readonly [number, Uint8Array]>;
  /** A non-negative safe integer (uint64 on the wire). */
  readonly createdAtMs: number;
}

export interface RecordFields {
  readonly groupId: Uint8Array;
  readonly distributionId: Uint8Array;
  readonly chains: readonly ChainRecordFields[];
}

// Tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const RECORD_GROUP_ID = 0x0a;
const RECORD_DISTRIBUTION_ID = 0x12;
const RECORD_CHAIN = 0x1a;
const CHAIN_ID = 0x08;
const CHAIN_ITERATION = 0x10;
const CHAIN_KEY = 0x1a;
const CHAIN_SIGNING_PUBLIC = 0x22;
const CHAIN_SIGNING_SECRET = 0x2a;
const CHAIN_SKIPPED = 0x32;
const CHAIN_CREATED_AT = 0x38;
const SKIPPED_ITERATION = 0x08;
const SKIPPED_SEED = 0x12;

function assertUint(n: number, max: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new RangeError('not an unsigned integer in range');
}

const uintSize = (n: number): number => (n === 0 ? 0 : 1 + varintLength(n));
const bytesSize = (b: Uint8Array): number =>
  b.length === 0 ? 0 : 1 + varintLength(b.length) + b.length;
const nestedSize = (bodySize: number): number => 1 + varintLength(bodySize) + bodySize;

function writeUint(out: Uint8Array, pos: number, tag: number, n: number): number {
  if (n === 0) return pos;
  out[pos++] = tag;
  return writeVarint(out, pos, n);
}

function writeBytes(
  out: Uint8Array,
  pos: number,
  tag: number,
  b: Uint8Array,
  always = false,
): number {
  if (b.length === 0 && !always) return pos;
  out[pos++] = tag;
  pos = writeVarint(out, pos, b.length);
  out.set(b, pos);
  return pos + b.length;
}

function skippedSize(iteration: number, seed: Uint8Array): number {
  return uintSize(iteration) + bytesSize(seed);
}

function chainSize(c: ChainRecordFields): number {
  assertUint(c.chainId, 0xffff_ffff);
  assertUint(c.iteration, 0xffff_ffff);
  assertUint(c.createdAtMs, Number.MAX_SAFE_INTEGER);
  let size =
    uintSize(c.chainId) +
    uintSize(c.iteration) +
    bytesSize(c.chainKey) +
    bytesSize(c.signingPublicKey) +
    uintSize(c.createdAtMs);
  const secret = c.signingSecretKey;
  if (secret !== undefined) size += 1 + varintLength(secret.length) + secret.length;
  for (const [iteration, seed] of c.skipped) {
    assertUint(iteration, 0xffff_ffff);
    size += nestedSize(skippedSize(iteration, seed));
  }
  return size;
}

function writeChain(out: Uint8Array, pos: number, c: ChainRecordFields): number {
  pos = writeUint(out, pos, CHAIN_ID, c.chainId);
  pos = writeUint(out, pos, CHAIN_ITERATION, c.iteration);
  pos = writeBytes(out, pos, CHAIN_KEY, c.chainKey);
  pos = writeBytes(out, pos, CHAIN_SIGNING_PUBLIC, c.signingPublicKey);
  if (c.signingSecretKey !== undefined)
    pos = writeBytes(out, pos, CHAIN_SIGNING_SECRET, c.signingSecretKey, true);
  for (const [iteration, seed] of c.skipped) {
    out[pos++] = CHAIN_SKIPPED;
    pos = writeVarint(out, pos, skippedSize(iteration, seed));
    pos = writeUint(out, pos, SKIPPED_ITERATION, iteration);
    pos = writeBytes(out, pos, SKIPPED_SEED, seed);
  }
  return writeUint(out, pos, CHAIN_CREATED_AT, c.createdAtMs);
}

/** [version byte][SenderKeyRecordMessage], byte-identical to encodeVersioned(...). */
export function encodeSenderKeyRecord(r: RecordFields, versionByte: number): Uint8Array {
  // Plain loops: this runs after every message, and the usual record has one chain.
  const chains = r.chains;
  const chainSizes: number[] = [];
  let size = 1 + bytesSize(r.groupId) + bytesSize(r.distributionId);
  for (let i = 0; i < chains.length; i++) {
    const s = chainSize(chains[i] as ChainRecordFields);
    chainSizes.push(s);
    size += nestedSize(s);
  }
  const out = new Uint8Array(size);
  out[0] = versionByte;
  let pos = writeBytes(out, 1, RECORD_GROUP_ID, r.groupId);
  pos = writeBytes(out, pos, RECORD_DISTRIBUTION_ID, r.distributionId);
  for (let i = 0; i < chains.length; i++) {
    out[pos++] = RECORD_CHAIN;
    pos = writeVarint(out, pos, chainSizes[i] as number);
    pos = writeChain(out, pos, chains[i] as ChainRecordFields);
  }
  if (pos !== size) throw new Error('sender key record: size mismatch');
  return out;
}
