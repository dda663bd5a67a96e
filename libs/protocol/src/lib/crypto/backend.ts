/**
 * The curve and AEAD operations primitives.ts delegates, so one set of code runs on
 * libsodium WASM everywhere (the default) or on native libsodium in Node
 * (`useNativeCrypto()` from `@parley/protocol/node`). Every backend must give byte-identical
 * outputs; backends.spec.ts runs the same vectors through each. Failures are plain throws:
 * primitives.ts maps them to typed protocol errors. HMAC, SHA-2, memcmp and memzero are not
 * here: libsodium WASM measured fastest for them (tools/bench/protocol/backends.ts).
 */
import { wasmBackend } from './wasm-backend';

export interface CryptoBackend {
  readonly name: 'libsodium-wasm' | 'sodium-native';
  /** Throws when the result is all zeros (a low-order public key). */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  x25519Base(privateKey: Uint8Array): Uint8Array;
  /** Returns the 32-byte public key and the 64-byte secret key (seed || public). */
  ed25519SeedKeyPair(seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array };
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** Lengths already checked by the caller. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Throws for an invalid point. */
  ed25519PublicToX25519(publicKey: Uint8Array): Uint8Array;
  ed25519SecretToX25519(secretKey: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 (IETF): ciphertext || tag. */
  aeadEncrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    ad: Uint8Array,
  ): Uint8Array;
  /** Throws when the tag does not verify. */
  aeadDecrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    ciphertext: Uint8Array,
    ad: Uint8Array,
  ): Uint8Array;
}

let active: CryptoBackend = wasmBackend;

export function cryptoBackend(): CryptoBackend {
  return active;
}

export function setCryptoBackend(backend: CryptoBackend): void {
  active = backend;
}
