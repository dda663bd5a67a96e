/**
 * A direct encoder for flat proto3 messages made of `bytes` and `uint32` fields (implicit
 * presence), for the few hot wire messages where protobuf-es's generic toBinary (a writer,
 * a 128-byte buffer and a copy per call) was a fifth of a sender-key send. It produces the
 * one canonical encoding: fields in ascending number order, zero and empty values omitted,
 * minimal varints. fields.spec.ts checks it against toBinary. decodeFlat below is its
 * strict inverse, for the same hot messages.
 */
import { DecodeError } from '../errors';

export type FlatField =
  | { readonly no: number; readonly bytes: Uint8Array }
  | { readonly no: number; readonly uint32: number };

/** Bytes of `n` (a non-negative safe integer) as a minimal varint. */
export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Writes `n` (a non-negative safe integer) as a minimal varint at `pos`; returns the end. */
export function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

/**
 * Encodes `fields` (ascending field numbers, each below 16 so its tag is one byte) after
 * an optional prefix byte, e.g. the wire version.
 */
export function encodeFlat(fields: readonly FlatField[], prefixByte?: number): Uint8Array {
  let size = prefixByte === undefined ? 0 : 1;
  for (const f of fields) {
    if (f.no < 1 || f.no > 15) throw new RangeError('field numbers 1-15 only');
    if ('bytes' in f) {
      if (f.bytes.length > 0) size += 1 + varintLength(f.bytes.length) + f.bytes.length;
    } else if (f.uint32 !== 0) {
      if (!Number.isInteger(f.uint32) || f.uint32 < 0 || f.uint32 > 0xffffffff)
        throw new RangeError('not a uint32');
      size += 1 + varintLength(f.uint32);
    }
  }
  const out = new Uint8Array(size);
  let pos = 0;
  if (prefixByte !== undefined) out[pos++] = prefixByte;
  let last = 0;
  for (const f of fields) {
    if (f.no <= last) throw new RangeError('fields must be in ascending number order');
    last = f.no;
    if ('bytes' in f) {
      if (f.bytes.length === 0) continue;
      out[pos++] = (f.no << 3) | 2;
      pos = writeVarint(out, pos, f.bytes.length);
      out.set(f.bytes, pos);
      pos += f.bytes.length;
    } else if (f.uint32 !== 0) {
      out[pos++] = f.no << 3;
      pos = writeVarint(out, pos, f.uint32);
    }
  }
  return out;
}

export type FlatKind = 'bytes' | 'uint32';

/** A decoded flat message: values by field number - 1 (empty bytes / 0 when absent). */
export type FlatValues = Array<Uint8Array | number>;

const EMPTY = new Uint8Array(0);

/**
 * Reads a minimal varint of at most 5 bytes (values below 2^35; callers bound them further)
 * at `at.pos`, advancing it.
 */
function readVarint(bytes: Uint8Array, at: { pos: number }, what: string): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (at.pos >= bytes.length) throw new DecodeError('MALFORMED', what, 'truncated varint');
    const b = bytes[at.pos++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (b === 0 && i > 0) throw new DecodeError('NON_CANONICAL', what, 'varint not minimal');
      return value;
    }
    scale *= 128;
  }
  throw new DecodeError('MALFORMED', what, 'varint too long');
}

/**
 * Strict decoder for the messages encodeFlat writes: field i + 1 has kind `kinds[i]`
 * (at most 15 fields). It accepts exactly the canonical encodings, the ones encodeFlat
 * produces: ascending field numbers, no unknown or repeated field, no zero uint32 and no
 * empty bytes, minimal varints, uint32 values below 2^32, nothing trailing. That is the
 * same set protobuf-es fromBinary plus codec.ts's re-encode check accepts
 * (fields.spec.ts compares the two on fuzzed input), without building message objects
 * or encoding the message again. Bytes values are views into `bytes`.
 */
export function decodeFlat(
  bytes: Uint8Array,
  kinds: readonly FlatKind[],
  what: string,
): FlatValues {
  const values: FlatValues = [];
  for (const k of kinds) values.push(k === 'bytes' ? EMPTY : 0);
  const end = bytes.length;
  const at = { pos: 0 };
  let last = 0;
  while (at.pos < end) {
    const tag = bytes[at.pos++] as number;
    const no = tag >> 3;
    // Tags of fields 1-15 are one byte; anything else is an unknown field (or a non-minimal tag).
    if (tag >= 0x80 || no < 1 || no > kinds.length)
      throw new DecodeError('NON_CANONICAL', what, 'unknown field');
    if (no <= last) throw new DecodeError('NON_CANONICAL', what, 'field order');
    last = no;
    const kind = kinds[no - 1];
    if (kind === 'uint32') {
      if ((tag & 7) !== 0) throw new DecodeError('MALFORMED', what, 'wire type');
      const v = readVarint(bytes, at, what);
      if (v > 0xffffffff) throw new DecodeError('MALFORMED', what, 'not a uint32');
      if (v === 0) throw new DecodeError('NON_CANONICAL', what, 'zero value written');
      values[no - 1] = v;
    } else {
      if ((tag & 7) !== 2) throw new DecodeError('MALFORMED', what, 'wire type');
      const length = readVarint(bytes, at, what);
      if (length > end - at.pos) throw new DecodeError('MALFORMED', what, 'truncated bytes');
      if (length === 0) throw new DecodeError('NON_CANONICAL', what, 'empty value written');
      values[no - 1] = bytes.subarray(at.pos, at.pos + length);
      at.pos += length;
    }
  }
  return values;
}
