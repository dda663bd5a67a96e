/**
 * One sender-key message's encryption: HKDF-SHA256 expands the 32-byte message key seed
 * into a ChaCha20-Poly1305 key and nonce. Each seed encrypts exactly one message, so a
 * derived nonce never repeats under a key.
 */
import { utf8 } from '../bytes';
import {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  aeadDecrypt,
  aeadEncrypt,
  hkdfSha256Into,
  wipe,
} from '../crypto/primitives';

const MESSAGE_KEY_INFO = utf8.encode('Parley_SenderKey_Message_v1');

// One key and nonce buffer for every message: filled by HKDF, used by one AEAD call, wiped.
// (JS is single-threaded and the AEAD call does not re-enter.)
const aeadKey = new Uint8Array(AEAD_KEY_BYTES);
const aeadNonce = new Uint8Array(AEAD_NONCE_BYTES);

export function sealWithSeed(
  seed: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  hkdfSha256Into(seed, undefined, MESSAGE_KEY_INFO, aeadKey, aeadNonce);
  try {
    return aeadEncrypt(aeadKey, aeadNonce, plaintext, associatedData);
  } finally {
    wipe(aeadKey);
    wipe(aeadNonce);
  }
}

/** Throws DecryptionError when the tag does not verify. */
export function openWithSeed(
  seed: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  hkdfSha256Into(seed, undefined, MESSAGE_KEY_INFO, aeadKey, aeadNonce);
  try {
    return aeadDecrypt(aeadKey, aeadNonce, ciphertext, associatedData);
  } finally {
    wipe(aeadKey);
    wipe(aeadNonce);
  }
}
