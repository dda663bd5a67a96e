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

/** X25519 public key for DH with a peer's identity. */
export function identityDhPublicKey(identityPublicKey: Uint8Array): Uint8Array {
  return ed25519PublicToX25519(identityPublicKey);
}
