/**
 * Ed25519 signature checks with Node's own crypto (OpenSSL): the gateway verifies
 * signatures only, so it needs neither libsodium nor any private key code.
 */
import { createPublicKey, verify } from 'node:crypto';

// DER SubjectPublicKeyInfo header for a raw 32-byte Ed25519 key (RFC 8410).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function verifyEd25519(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, message, key, signature);
  } catch {
    // A point that is not on the curve: no valid signature exists for it.
    return false;
  }
}
