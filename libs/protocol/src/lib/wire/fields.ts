/**
 * A direct encoder for flat proto3 messages made of `bytes` and `uint32` fields (implicit
 * presence), for the few hot wire messages where protobuf-es's generic toBinary (a writer,
 * a 128-byte buffer and a copy per call) was a fifth of a sender-key send. It produces the
 * one canonical encoding: fields in ascending number order, zero and empty values omitted,
 * minimal varints. fields.spec.ts checks it against toBinary; decoding stays with
 * protobuf-es and its strict canonical check.
 */
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
