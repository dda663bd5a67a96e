/**
 * Versioned binary framing for every wire message: [version byte][protobuf].
 * Decoding is strict: empty, oversized, unknown-version, malformed, unknown-field and
 * non-canonical input (which includes trailing garbage) all fail with a DecodeError.
 * Requiring the canonical encoding also makes every message non-malleable: one
 * meaning has exactly one byte string.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { KEY_BYTES } from '../crypto/primitives';
import { DecodeError } from '../errors';

export const WIRE_VERSION = 1;

/** Largest encoded message any decoder accepts (a 64 KiB body plus framing and keys). */
export const MAX_WIRE_BYTES = 96 * 1024;

const READ = { readUnknownFields: false } as const;
const WRITE = { writeUnknownFields: false } as const;

/** Encodes an already-built message without the version byte (for nested byte fields). */
export function encodeBody<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Uint8Array {
  return toBinary(schema, create(schema, init), WRITE);
}

/** Encodes with the version byte. */
export function encodeVersioned<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Uint8Array {
  const body = encodeBody(schema, init);
  const out = new Uint8Array(body.length + 1);
  out[0] = WIRE_VERSION;
  out.set(body, 1);
  return out;
}

/** Decodes a nested body (no version byte), strictly. */
export function decodeBody<D extends DescMessage>(
  schema: D,
  bytes: Uint8Array,
  what: string,
  maxBytes = MAX_WIRE_BYTES,
): MessageShape<D> {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('MALFORMED', what, 'not bytes');
  if (bytes.length > maxBytes) throw new DecodeError('TOO_LARGE', what, `${bytes.length} > ${maxBytes}`);
  let message: MessageShape<D>;
  try {
    message = fromBinary(schema, bytes, READ);
  } catch {
    throw new DecodeError('MALFORMED', what);
  }
  const again = toBinary(schema, message, WRITE);
  if (!sameBytes(again, bytes)) throw new DecodeError('NON_CANONICAL', what);
  return message;
}

/** Decodes [version][body], strictly. */
export function decodeVersioned<D extends DescMessage>(
  schema: D,
  bytes: Uint8Array,
  what: string,
  maxBytes = MAX_WIRE_BYTES,
): MessageShape<D> {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('MALFORMED', what, 'not bytes');
  if (bytes.length === 0) throw new DecodeError('EMPTY', what);
  if (bytes.length > maxBytes) throw new DecodeError('TOO_LARGE', what, `${bytes.length} > ${maxBytes}`);
  if (bytes[0] !== WIRE_VERSION) throw new DecodeError('UNSUPPORTED_VERSION', what, `version ${bytes[0]}`);
  return decodeBody(schema, bytes.subarray(1), what, maxBytes);
}

/** Field-level checks after a structural decode. */
export function requireLength(value: Uint8Array, length: number, what: string, field: string): Uint8Array {
  if (value.length !== length) {
    throw new DecodeError('MALFORMED', what, `${field} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

/**
 * An X25519 public key in its one canonical encoding: 32 bytes, little-endian u below
 * p = 2^255 - 19, so the top bit clear (RFC 7748 section 5). X25519 itself ignores the top bit
 * and reduces u mod p, which lets 2^255 - p + 1 other byte strings act as the same key. A
 * PreKeyMessage whose base key had its top bit flipped decrypted again as a new session: it
 * no longer matched the stored base key that marks a repeated PreKeyMessage (found by
 * session.property.spec.ts).
 */
export function requireX25519PublicKey(value: Uint8Array, what: string, field: string): Uint8Array {
  requireLength(value, KEY_BYTES, what, field);
  if (!isCanonicalX25519(value)) {
    throw new DecodeError('MALFORMED', what, `${field} is not a canonical X25519 public key`);
  }
  return value;
}

/** u < 2^255 - 19: the top byte at most 0x7f, and not the 19 values p .. 2^255 - 1. */
function isCanonicalX25519(key: Uint8Array): boolean {
  const top = key[KEY_BYTES - 1] ?? 0;
  if (top > 0x7f) return false;
  if (top < 0x7f) return true;
  for (let i = KEY_BYTES - 2; i >= 1; i--) if (key[i] !== 0xff) return true;
  return (key[0] ?? 0) < 0xed;
}

// Not secret: comparing public wire bytes, so no constant-time requirement.
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
