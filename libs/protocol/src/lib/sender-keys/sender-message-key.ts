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
  hkdfSha256,
  wipe,
} from '../crypto/primitives';

const MESSAGE_KEY_INFO = utf8.encode('Parley_SenderKey_Message_v1');

function expand(seed: Uint8Array): { okm: Uint8Array; key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdfSha256(seed, undefined, MESSAGE_KEY_INFO, AEAD_KEY_BYTES + AEAD_NONCE_BYTES);
  return { okm, key: okm.subarray(0, AEAD_KEY_BYTES), nonce: okm.subarray(AEAD_KEY_BYTES) };
}

export function sealWithSeed(
  seed: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  const { okm, key, nonce } = expand(seed);
  try {
    return aeadEncrypt(key, nonce, plaintext, associatedData);
  } finally {
    wipe(okm);
  }
}

/** Throws DecryptionError when the tag does not verify. */
export function openWithSeed(
  seed: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  const { okm, key, nonce } = expand(seed);
  try {
    return aeadDecrypt(key, nonce, ciphertext, associatedData);
  } finally {
    wipe(okm);
  }
}
