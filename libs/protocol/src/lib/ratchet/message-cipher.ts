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
  hkdfSha256Into,
  wipe,
} from '../crypto/primitives';

const MESSAGE_INFO = utf8.encode('Parley_Ratchet_Message_v1');

// One key and nonce buffer for every message: filled by HKDF, used by one AEAD call, wiped.
// (JS is single-threaded and the AEAD call does not re-enter.)
const key = new Uint8Array(AEAD_KEY_BYTES);
const nonce = new Uint8Array(AEAD_NONCE_BYTES);

function expand(messageKey: Uint8Array): void {
  hkdfSha256Into(messageKey, undefined, MESSAGE_INFO, key, nonce);
}

export function encryptWithMessageKey(
  messageKey: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
  header: Uint8Array,
): Uint8Array {
  expand(messageKey);
  try {
    return aeadEncrypt(key, nonce, plaintext, concatBytes(associatedData, header));
  } finally {
    wipe(key);
    wipe(nonce);
  }
}

/** Throws DecryptionError when the tag does not verify. */
export function decryptWithMessageKey(
  messageKey: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
  header: Uint8Array,
): Uint8Array {
  expand(messageKey);
  try {
    return aeadDecrypt(key, nonce, ciphertext, concatBytes(associatedData, header));
  } finally {
    wipe(key);
    wipe(nonce);
  }
}
