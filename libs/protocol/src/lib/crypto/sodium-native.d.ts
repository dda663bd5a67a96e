// The slice of sodium-native (libsodium's native Node binding) that native-backend.ts uses.
// The package ships no types and @types/sodium-native describes an older, Buffer-only API.
declare module 'sodium-native' {
  type Bytes = Uint8Array;
  const sodiumNative: {
    crypto_scalarmult(q: Bytes, n: Bytes, p: Bytes): void;
    crypto_scalarmult_base(q: Bytes, n: Bytes): void;
    crypto_sign_seed_keypair(pk: Bytes, sk: Bytes, seed: Bytes): void;
    crypto_sign_detached(sig: Bytes, m: Bytes, sk: Bytes): void;
    crypto_sign_verify_detached(sig: Bytes, m: Bytes, pk: Bytes): boolean;
    crypto_sign_ed25519_pk_to_curve25519(x25519pk: Bytes, ed25519pk: Bytes): void;
    crypto_sign_ed25519_sk_to_curve25519(x25519sk: Bytes, ed25519sk: Bytes): void;
    crypto_aead_chacha20poly1305_ietf_encrypt(
      c: Bytes,
      m: Bytes,
      ad: Bytes | null,
      nsec: null,
      npub: Bytes,
      k: Bytes,
    ): number;
    crypto_aead_chacha20poly1305_ietf_decrypt(
      m: Bytes,
      nsec: null,
      c: Bytes,
      ad: Bytes | null,
      npub: Bytes,
      k: Bytes,
    ): number;
    crypto_hash_sha256(out: Bytes, input: Bytes): void;
    sodium_memcmp(a: Bytes, b: Bytes): boolean;
    sodium_memzero(buf: Bytes): void;
  };
  export default sodiumNative;
}
