/**
 * Binary fields travel in JSON as standard base64 (RFC 4648 section 4, padded). This
 * codec decodes them into Uint8Array on parse and encodes them back on `z.encode`, with a
 * size bound checked before anything is decoded. Only the canonical spelling of a byte
 * string is accepted, so one value has exactly one wire form (no smuggling through
 * non-zero padding bits, no missing padding, no whitespace, no URL-safe alphabet).
 */
import { z } from 'zod';

export interface Base64BytesBounds {
  /** Largest accepted decoded size in bytes. */
  readonly max: number;
  /** Smallest accepted decoded size in bytes (default 1: empty fields are refused). */
  readonly min?: number;
}

// Linear-time pattern (no repeated groups: those backtrack through the stack on long input).
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// With padding, the last data character carries unused low bits that must be zero:
// 4 bits before "==" (characters with index % 16 == 0), 2 bits before "=" (index % 4 == 0).
const ZERO_LOW_4_BITS = 'AQgw';
const ZERO_LOW_2_BITS = 'AEIMQUYcgkosw048';

/** Length of the base64 text of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

export function isCanonicalBase64(text: string): boolean {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return false;
  if (text.endsWith('==')) return ZERO_LOW_4_BITS.includes(text.charAt(text.length - 3));
  if (text.endsWith('=')) return ZERO_LOW_2_BITS.includes(text.charAt(text.length - 2));
  return true;
}

/*
 * Where Node's Buffer exists it does the coding: several times faster than zod's portable
 * atob/btoa over strings, which were ~6% of message-delivery's CPU while it served mailbox
 * pages (bench:e2e drain profile). Browsers keep the portable path. Decoded bytes are copied
 * out of Buffer's shared pool so every result owns its ArrayBuffer, as zod's does.
 */
interface NodeBufferLike {
  from(
    data: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): { toString(encoding: 'base64'): string };
  from(data: string, encoding: 'base64'): Uint8Array;
}
const NodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer;

/** Standard padded base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  if (NodeBuffer)
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return z.util.uint8ArrayToBase64(bytes);
}

/** The bytes of base64 text already checked to be canonical (isCanonicalBase64). */
export function decodeCanonicalBase64(text: string): Uint8Array<ArrayBuffer> {
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(text, 'base64'));
  return z.util.base64ToUint8Array(text);
}

export function bytesToBase64(bytes: Uint8Array): string {
  return encodeBase64(bytes);
}

export function base64ToBytes(text: string): Uint8Array {
  if (!isCanonicalBase64(text)) throw new TypeError('not canonical base64');
  return decodeCanonicalBase64(text);
}

/** A base64 string on the wire, a Uint8Array of `min`..`max` bytes in code. */
export function base64Bytes(bounds: Base64BytesBounds) {
  const min = bounds.min ?? 1;
  const { max } = bounds;
  const size = min === max ? `${max} bytes` : `${min}..${max} bytes`;
  const wire = z
    .string()
    // abort: nothing else looks at an oversized string.
    .max(base64Length(max), { message: `too large: at most ${max} bytes`, abort: true })
    .refine(isCanonicalBase64, { message: 'expected canonical padded base64' });
  const bytes = z
    .custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected Uint8Array' })
    .refine((b) => b.length >= min && b.length <= max, { message: `expected ${size}` });
  return z.codec(wire, bytes, {
    decode: (text) => decodeCanonicalBase64(text),
    encode: (b) => encodeBase64(b),
  });
}

/** Exactly `length` bytes (keys, signatures). */
export function fixedBytes(length: number) {
  return base64Bytes({ min: length, max: length });
}
