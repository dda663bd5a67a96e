/**
 * A device's long-term identity: an Ed25519 key pair for signatures, used in its X25519
 * form (birational map) for the X3DH Diffie-Hellmans.
 */
import {
  ed25519KeyPair,
  ed25519PublicToX25519,
  ed25519SecretToX25519,
  KEY_BYTES,
  ED25519_SECRET_BYTES,
} from '../crypto/primitives';
import { assertBytes } from '../bytes';
import type { RandomSource } from '../random';

export interface IdentityKeyPair {
  /** Ed25519 public key, 32 bytes: the device's identity on the wire. */
  readonly publicKey: Uint8Array;
  /** Ed25519 secret key, 64 bytes (seed || public). */
  readonly secretKey: Uint8Array;
}

export function generateIdentityKeyPair(random: RandomSource): IdentityKeyPair {
  const kp = ed25519KeyPair(random);
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

export function identityKeyPairFrom(publicKey: Uint8Array, secretKey: Uint8Array): IdentityKeyPair {
  assertBytes(publicKey, 'identity public key', KEY_BYTES);
  assertBytes(secretKey, 'identity secret key', ED25519_SECRET_BYTES);
  return { publicKey, secretKey };
}

/** X25519 private key for DH; the caller wipes it after use. */
export function identityDhPrivateKey(identity: IdentityKeyPair): Uint8Array {
  return ed25519SecretToX25519(identity.secretKey);
}

/**
 * Peers' identity keys in X25519 form, most recently used last. The map is a pure function
 * of public data, so caching it is safe; it saves one point decompression (~8% of a
 * session setup) whenever a peer comes back. Invalid keys throw and are never cached.
 */
const DH_PUBLIC_CACHE_SIZE = 256;
const dhPublicCache = new Map<string, Uint8Array>();

/** X25519 public key for DH with a peer's identity (a fresh copy the caller may keep). */
export function identityDhPublicKey(identityPublicKey: Uint8Array): Uint8Array {
  assertBytes(identityPublicKey, 'identity public key', KEY_BYTES);
  const id = String.fromCharCode(...identityPublicKey);
  let converted = dhPublicCache.get(id);
  if (converted) {
    dhPublicCache.delete(id);
  } else {
    converted = ed25519PublicToX25519(identityPublicKey);
    if (dhPublicCache.size >= DH_PUBLIC_CACHE_SIZE) {
      const oldest = dhPublicCache.keys().next().value;
      if (oldest !== undefined) dhPublicCache.delete(oldest);
    }
  }
  dhPublicCache.set(id, converted);
  return converted.slice();
}
