/**
 * Node-only backend: libsodium compiled natively (sodium-native, prebuilt binaries in its
 * npm package). Same library as the WASM default, so outputs and edge cases (low-order
 * points, non-canonical signatures, invalid points) are the same; 2-2.5x faster for
 * X25519 and Ed25519 here (tools/bench/protocol/backends.ts). Node's own crypto lost on
 * every primitive: raw 32-byte keys must be imported as KeyObjects on each call.
 *
 * Only `src/node.ts` imports this file, so bundling `@parley/protocol` for a browser never
 * reaches sodium-native. It is loaded lazily so a platform without a prebuild falls back.
 */
import type sodiumNative from 'sodium-native';
import type { CryptoBackend } from './backend';

type SodiumNative = typeof sodiumNative;

/**
 * Outputs of 64 bytes or less are written to these buffers and copied out. V8 keeps such
 * small typed arrays on its heap and must move one to its own allocation the first time
 * native code touches it (~0.7 us here, as much as a 32-byte hash); these two moved once.
 * A copy of 32/64 bytes costs ~50 ns. Secret outputs are wiped from the buffer at once.
 */
const out32 = new Uint8Array(32);
const out64 = new Uint8Array(64);

/** A copy of a public output. */
const copyOut = (buffer: Uint8Array): Uint8Array => buffer.slice();

/** A copy of a secret output; the buffer is zeroed even when the call threw. */
function takeSecret(buffer: Uint8Array, write: () => void): Uint8Array {
  try {
    write();
    return buffer.slice();
  } finally {
    buffer.fill(0);
  }
}

function build(sn: SodiumNative): CryptoBackend {
  return {
    name: 'sodium-native',
    x25519(privateKey, publicKey) {
      return takeSecret(out32, () => {
        sn.crypto_scalarmult(out32, privateKey, publicKey);
      });
    },
    x25519Base(privateKey) {
      sn.crypto_scalarmult_base(out32, privateKey);
      return copyOut(out32);
    },
    ed25519SeedKeyPair(seed) {
      const publicKey = new Uint8Array(32);
      const privateKey = new Uint8Array(64);
      sn.crypto_sign_seed_keypair(publicKey, privateKey, seed);
      return { publicKey, privateKey };
    },
    ed25519Sign(secretKey, message) {
      sn.crypto_sign_detached(out64, message, secretKey);
      return copyOut(out64);
    },
    ed25519Verify: (publicKey, message, signature) =>
      sn.crypto_sign_verify_detached(signature, message, publicKey),
    ed25519PublicToX25519(publicKey) {
      sn.crypto_sign_ed25519_pk_to_curve25519(out32, publicKey);
      return copyOut(out32);
    },
    ed25519SecretToX25519(secretKey) {
      return takeSecret(out32, () => {
        sn.crypto_sign_ed25519_sk_to_curve25519(out32, secretKey);
      });
    },
    aeadEncrypt(key, nonce, plaintext, ad) {
      const out = new Uint8Array(plaintext.length + 16);
      sn.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, ad, null, nonce, key);
      return out;
    },
    aeadDecrypt(key, nonce, ciphertext, ad) {
      if (ciphertext.length < 16) throw new Error('ciphertext shorter than its tag');
      const out = new Uint8Array(ciphertext.length - 16);
      sn.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, ciphertext, ad, nonce, key);
      return out;
    },
  };
}

let loaded: CryptoBackend | null | undefined;

/** The native backend, or undefined when sodium-native cannot load on this platform. */
export function loadNativeBackend(): CryptoBackend | undefined {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, optional native addon
      loaded = build(require('sodium-native') as SodiumNative);
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
