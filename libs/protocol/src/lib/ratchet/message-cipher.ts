/**
 * ENCRYPT / DECRYPT of the Double Ratchet (spec section 5.2, recommended construction):
 * HKDF expands the one-time message key into an AEAD key and nonce; the associated data
 * is AD || header. Each message key is used once, so a derived nonce is safe.
 */
import { concatBytes, utf8 } from '../bytes';
import {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  aeadDecrypt,
  aeadEncrypt,
  hkdfSha256,
  wipe,
} from '../crypto/primitives';

const MESSAGE_INFO = utf8.encode('Parley_Ratchet_Message_v1');

function expand(messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdfSha256(messageKey, undefined, MESSAGE_INFO, AEAD_KEY_BYTES + AEAD_NONCE_BYTES);
  return { key: okm.subarray(0, AEAD_KEY_BYTES), nonce: okm.subarray(AEAD_KEY_BYTES) };
}

export function encryptWithMessageKey(
  messageKey: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
  header: Uint8Array,
): Uint8Array {
  const { key, nonce } = expand(messageKey);
  try {
    return aeadEncrypt(key, nonce, plaintext, concatBytes(associatedData, header));
  } finally {
    wipe(key);
  }
}

/** Throws DecryptionError when the tag does not verify. */
export function decryptWithMessageKey(
  messageKey: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
  header: Uint8Array,
): Uint8Array {
  const { key, nonce } = expand(messageKey);
  try {
    return aeadDecrypt(key, nonce, ciphertext, concatBytes(associatedData, header));
  } finally {
    wipe(key);
  }
}
