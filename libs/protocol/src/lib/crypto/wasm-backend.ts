/** The portable backend: libsodium-wrappers-sumo (WASM), for browsers and Node alike. */
import type { CryptoBackend } from './backend';
import { sodium } from './sodium';

export const wasmBackend: CryptoBackend = {
  name: 'libsodium-wasm',
  x25519: (privateKey, publicKey) => sodium().crypto_scalarmult(privateKey, publicKey),
  x25519Base: (privateKey) => sodium().crypto_scalarmult_base(privateKey),
  ed25519SeedKeyPair: (seed) => {
    const kp = sodium().crypto_sign_seed_keypair(seed);
    return { publicKey: kp.publicKey, privateKey: kp.privateKey };
  },
  ed25519Sign: (secretKey, message) => sodium().crypto_sign_detached(message, secretKey),
  ed25519Verify: (publicKey, message, signature) =>
    sodium().crypto_sign_verify_detached(signature, message, publicKey),
  ed25519PublicToX25519: (publicKey) => sodium().crypto_sign_ed25519_pk_to_curve25519(publicKey),
  ed25519SecretToX25519: (secretKey) => sodium().crypto_sign_ed25519_sk_to_curve25519(secretKey),
  aeadEncrypt: (key, nonce, plaintext, ad) =>
    sodium().crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key),
  aeadDecrypt: (key, nonce, ciphertext, ad) =>
    sodium().crypto_aead_chacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key),
};
