/**
 * Every cryptographic primitive the protocol uses, in one small module. Curve and AEAD
 * operations go to the active backend (backend.ts: libsodium WASM by default, native
 * libsodium on Node after `useNativeCrypto()`); hashing and hygiene stay on libsodium
 * WASM, which measured fastest for them. Higher layers never touch libsodium. Keys are raw bytes: X25519 and Ed25519 public keys 32 bytes, Ed25519
 * secret keys 64 bytes (seed || public), X25519 private keys 32 bytes.
 */
import { assertBytes } from '../bytes';
import { DecryptionError, InvalidKeyError, InvalidSignatureError } from '../errors';
import type { RandomSource } from '../random';
import { cryptoBackend } from './backend';
import { sodium } from './sodium';

export const KEY_BYTES = 32;
export const ED25519_SECRET_BYTES = 64;
export const SIGNATURE_BYTES = 64;
export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

// --- X25519 ------------------------------------------------------------------------

export function x25519KeyPair(random: RandomSource): KeyPair {
  const privateKey = random.bytes(KEY_BYTES);
  return { publicKey: cryptoBackend().x25519Base(privateKey), privateKey };
}

export function x25519PublicFromPrivate(privateKey: Uint8Array): Uint8Array {
  assertBytes(privateKey, 'X25519 private key', KEY_BYTES);
  return cryptoBackend().x25519Base(privateKey);
}

/** X25519; refuses a low-order peer key (libsodium returns an error on an all-zero result). */
export function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertBytes(privateKey, 'X25519 private key', KEY_BYTES);
  assertBytes(publicKey, 'X25519 public key', KEY_BYTES);
  try {
    return cryptoBackend().x25519(privateKey, publicKey);
  } catch {
    throw new InvalidKeyError('Diffie-Hellman with a low-order public key');
  }
}

// --- Ed25519 -----------------------------------------------------------------------

export function ed25519KeyPair(random: RandomSource): KeyPair {
  const seed = random.bytes(KEY_BYTES);
  const kp = cryptoBackend().ed25519SeedKeyPair(seed);
  wipe(seed);
  return kp;
}

export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'Ed25519 secret key', ED25519_SECRET_BYTES);
  return cryptoBackend().ed25519Sign(secretKey, message);
}

export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return cryptoBackend().ed25519Verify(publicKey, message, signature);
  } catch {
    return false;
  }
}

/** Throws InvalidSignatureError unless the signature verifies. */
export function ed25519VerifyOrThrow(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  what: string,
): void {
  if (!ed25519Verify(publicKey, message, signature)) {
    throw new InvalidSignatureError(`${what}: signature does not verify`);
  }
}

/** The X25519 form of an Ed25519 public key (birational map; refuses invalid points). */
export function ed25519PublicToX25519(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'Ed25519 public key', KEY_BYTES);
  try {
    return cryptoBackend().ed25519PublicToX25519(publicKey);
  } catch {
    throw new InvalidKeyError('not a valid Ed25519 public key');
  }
}

export function ed25519SecretToX25519(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'Ed25519 secret key', ED25519_SECRET_BYTES);
  return cryptoBackend().ed25519SecretToX25519(secretKey);
}

// --- Hashing and key derivation ------------------------------------------------------

/**
 * HMAC-SHA256, HMAC-SHA256 twice under one key, and HKDF-SHA256 (RFC 5869): libsodium's
 * HMAC on the WASM module without the wrapper around each call (hmac-sha256.ts).
 */
export { hkdfSha256, hkdfSha256Into, hmacSha256, hmacSha256Pair } from './hmac-sha256';

export function sha512(data: Uint8Array): Uint8Array {
  return sodium().crypto_hash_sha512(data);
}

export function sha256(data: Uint8Array): Uint8Array {
  return sodium().crypto_hash_sha256(data);
}

// --- AEAD ------------------------------------------------------------------------------

/** ChaCha20-Poly1305 (IETF). Returns ciphertext || tag. */
export function aeadEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  return cryptoBackend().aeadEncrypt(key, nonce, plaintext, associatedData);
}

export function aeadDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  if (ciphertext.length < AEAD_TAG_BYTES) throw new DecryptionError('ciphertext shorter than its tag');
  try {
    return cryptoBackend().aeadDecrypt(key, nonce, ciphertext, associatedData);
  } catch {
    throw new DecryptionError('authentication failed');
  }
}

// --- Hygiene ---------------------------------------------------------------------------

/** Constant-time equality for keys and MACs (lengths are not secret). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length === 0) return true;
  return sodium().memcmp(a, b);
}

/** Overwrites a secret with zeros. JS may still hold copies; this wipes what we own. */
export function wipe(secret: Uint8Array | undefined): void {
  if (secret && secret.length > 0) sodium().memzero(secret);
}

/** Web Crypto's CSPRNG caps one call at this many bytes. */
const MAX_RANDOM_CALL_BYTES = 65536;

/**
 * The platform CSPRNG through Web Crypto (browsers and Node alike): about 13x faster per
 * call than libsodium's WASM randombytes_buf, which bounded key generation.
 */
export function secureRandomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += MAX_RANDOM_CALL_BYTES) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + MAX_RANDOM_CALL_BYTES)));
  }
  return out;
}
