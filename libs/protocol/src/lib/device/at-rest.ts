/**
 * Sealing a device's local records at rest (the SDK's encrypted store). The app supplies
 * one 32-byte storage key; every record gets a fresh random 32-byte salt, from which
 * HKDF-SHA256 derives a one-record key, and ChaCha20-Poly1305 seals the record under it
 * with a random nonce. A per-record key (not just a random 96-bit nonce under the app's
 * key) keeps nonce reuse out of reach however many records a store ever writes. The
 * associated data names the record, so a sealed record moved to another name (or an old
 * copy of another record) fails to open instead of being read as something else.
 *
 * Format: [version 0x01][salt 32][nonce 12][ciphertext || tag 16].
 */
import { assertBytes, concatBytes, toHex, utf8 } from '../bytes';
import {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  aeadDecrypt,
  aeadEncrypt,
  hkdfSha256,
  hmacSha256,
  wipe,
} from '../crypto/primitives';
import { DecodeError, InvalidArgumentError } from '../errors';
import type { RandomSource } from '../random';
import { secureRandom } from '../random';

export const AT_REST_KEY_BYTES = AEAD_KEY_BYTES;
const VERSION = 0x01;
const SALT_BYTES = 32;
const HEADER_BYTES = 1 + SALT_BYTES + AEAD_NONCE_BYTES;
const RECORD_KEY_INFO = utf8.encode('ParleyAtRest/v1/record-key');
const NAME_KEY_INFO = utf8.encode('ParleyAtRest/v1/record-name');
const AD_CONTEXT = utf8.encode('ParleyAtRest/v1/');

function checkKeyAndName(storageKey: Uint8Array, recordName: string): Uint8Array {
  assertBytes(storageKey, 'storage key', AT_REST_KEY_BYTES);
  if (typeof recordName !== 'string' || recordName.length === 0) {
    throw new InvalidArgumentError('record name must be a non-empty string');
  }
  return concatBytes(AD_CONTEXT, utf8.encode(recordName));
}

/** Encrypts and authenticates `plaintext` as the record `recordName`. */
export function sealAtRest(
  storageKey: Uint8Array,
  recordName: string,
  plaintext: Uint8Array,
  random: RandomSource = secureRandom,
): Uint8Array {
  const ad = checkKeyAndName(storageKey, recordName);
  assertBytes(plaintext, 'record');
  const salt = random.bytes(SALT_BYTES);
  const nonce = random.bytes(AEAD_NONCE_BYTES);
  const recordKey = hkdfSha256(storageKey, salt, RECORD_KEY_INFO, AEAD_KEY_BYTES);
  try {
    return concatBytes(
      new Uint8Array([VERSION]),
      salt,
      nonce,
      aeadEncrypt(recordKey, nonce, plaintext, ad),
    );
  } finally {
    wipe(recordKey);
  }
}

/**
 * Opens a record sealed by sealAtRest under the same key and name. Throws DecodeError for
 * a truncated or unknown-version record, DecryptionError for a wrong key, another name or
 * any tampering.
 */
export function openAtRest(
  storageKey: Uint8Array,
  recordName: string,
  sealed: Uint8Array,
): Uint8Array {
  const ad = checkKeyAndName(storageKey, recordName);
  assertBytes(sealed, 'sealed record');
  if (sealed.length < HEADER_BYTES + AEAD_TAG_BYTES)
    throw new DecodeError('MALFORMED', 'sealed record', 'truncated');
  if (sealed[0] !== VERSION) throw new DecodeError('UNSUPPORTED_VERSION', 'sealed record');
  const salt = sealed.subarray(1, 1 + SALT_BYTES);
  const nonce = sealed.subarray(1 + SALT_BYTES, HEADER_BYTES);
  const recordKey = hkdfSha256(storageKey, salt, RECORD_KEY_INFO, AEAD_KEY_BYTES);
  try {
    return aeadDecrypt(recordKey, nonce, sealed.subarray(HEADER_BYTES), ad);
  } finally {
    wipe(recordKey);
  }
}

/**
 * An opaque, stable name for a record (hex HMAC under a key derived from the storage
 * key), so file names on disk do not reveal whom the device talks to.
 */
export function atRestRecordId(storageKey: Uint8Array, recordName: string): string {
  checkKeyAndName(storageKey, recordName);
  const nameKey = hkdfSha256(storageKey, undefined, NAME_KEY_INFO, 32);
  try {
    return toHex(hmacSha256(nameKey, utf8.encode(recordName)));
  } finally {
    wipe(nameKey);
  }
}
