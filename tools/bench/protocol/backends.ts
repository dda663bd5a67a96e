/**
 * Per-primitive speed of the crypto backends libs/protocol can use on Node: libsodium
 * WASM (the portable default), sodium-native (libsodium compiled natively, prebuilt in its
 * npm package) and Node's built-in crypto (OpenSSL). Each primitive is called the way
 * primitives.ts would call it: raw key bytes in, fresh bytes out. The picks in
 * libs/protocol/src/lib/crypto/native-backend.ts follow these numbers.
 *
 *   npx tsx tools/bench/protocol/backends.ts           # CPU time, ~1 min
 *   npx tsx tools/bench/protocol/backends.ts --json
 */
import * as nodeCrypto from 'node:crypto';
import sodiumModule from 'libsodium-wrappers-sumo';
import sn from 'sodium-native';
import { cpuClock, measure } from './harness';

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** The libsodium WASM exports hmac-sha256.ts calls (not in the wrapper's types). */
interface RawHmac {
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _crypto_auth_hmacsha256_init(state: number, key: number, keyLength: number): number;
  _crypto_auth_hmacsha256_update(state: number, input: number, low: number, high: number): number;
  _crypto_auth_hmacsha256_final(state: number, out: number): number;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  await sodiumModule.ready;
  const s = sodiumModule;
  const timing = { warmupMs: 200, measureMs: 900, rounds: 3 };
  const rows: { primitive: string; backend: string; opsPerSec: number }[] = [];
  const bench = async (primitive: string, backend: string, fn: () => unknown) => {
    const m = await measure(
      {
        run: (n) => {
          for (let i = 0; i < n; i++) fn();
        },
      },
      timing,
      cpuClock,
    );
    rows.push({ primitive, backend, opsPerSec: m.opsPerSec });
    process.stderr.write(`${primitive} / ${backend}: ${Math.round(m.opsPerSec)}/s\n`);
  };

  // --- X25519 ---
  const a = s.crypto_box_keypair();
  const b = s.crypto_box_keypair();
  await bench('x25519 DH', 'libsodium wasm', () => s.crypto_scalarmult(a.privateKey, b.publicKey));
  await bench('x25519 DH', 'sodium-native', () => {
    const out = new Uint8Array(32);
    sn.crypto_scalarmult(out, a.privateKey, b.publicKey);
    return out;
  });
  await bench('x25519 DH', 'node crypto (JWK import per call)', () =>
    nodeCrypto.diffieHellman({
      privateKey: nodeCrypto.createPrivateKey({
        key: { kty: 'OKP', crv: 'X25519', d: b64u(a.privateKey), x: b64u(a.publicKey) },
        format: 'jwk',
      }),
      publicKey: nodeCrypto.createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: b64u(b.publicKey) },
        format: 'jwk',
      }),
    }),
  );
  const aKey = nodeCrypto.createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: b64u(a.privateKey), x: b64u(a.publicKey) },
    format: 'jwk',
  });
  const bKey = nodeCrypto.createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: b64u(b.publicKey) },
    format: 'jwk',
  });
  await bench('x25519 DH', 'node crypto (cached KeyObjects)', () =>
    nodeCrypto.diffieHellman({ privateKey: aKey, publicKey: bKey }),
  );
  await bench('x25519 public from private', 'libsodium wasm', () =>
    s.crypto_scalarmult_base(a.privateKey),
  );
  await bench('x25519 public from private', 'sodium-native', () => {
    const out = new Uint8Array(32);
    sn.crypto_scalarmult_base(out, a.privateKey);
    return out;
  });

  // --- Ed25519 ---
  const e = s.crypto_sign_keypair();
  const msg = new Uint8Array(nodeCrypto.randomBytes(300));
  const sig = s.crypto_sign_detached(msg, e.privateKey);
  const edJwk = {
    kty: 'OKP',
    crv: 'Ed25519',
    d: b64u(e.privateKey.subarray(0, 32)),
    x: b64u(e.publicKey),
  };
  await bench('ed25519 sign', 'libsodium wasm', () => s.crypto_sign_detached(msg, e.privateKey));
  await bench('ed25519 sign', 'sodium-native', () => {
    const out = new Uint8Array(64);
    sn.crypto_sign_detached(out, msg, e.privateKey);
    return out;
  });
  await bench('ed25519 sign', 'node crypto (JWK import per call)', () =>
    nodeCrypto.sign(null, msg, nodeCrypto.createPrivateKey({ key: edJwk, format: 'jwk' })),
  );
  // The sender-key state reuses its signature key every message: KeyObjects made once.
  const edPrivate = nodeCrypto.createPrivateKey({ key: edJwk, format: 'jwk' });
  await bench('ed25519 sign', 'node crypto (cached KeyObject)', () =>
    nodeCrypto.sign(null, msg, edPrivate),
  );
  await bench('ed25519 verify', 'libsodium wasm', () =>
    s.crypto_sign_verify_detached(sig, msg, e.publicKey),
  );
  await bench('ed25519 verify', 'sodium-native', () =>
    sn.crypto_sign_verify_detached(sig, msg, e.publicKey),
  );
  await bench('ed25519 verify', 'node crypto (JWK import per call)', () =>
    nodeCrypto.verify(
      null,
      msg,
      nodeCrypto.createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: b64u(e.publicKey) },
        format: 'jwk',
      }),
      sig,
    ),
  );
  const edPublic = nodeCrypto.createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: b64u(e.publicKey) },
    format: 'jwk',
  });
  await bench('ed25519 verify', 'node crypto (cached KeyObject)', () =>
    nodeCrypto.verify(null, msg, edPublic, sig),
  );
  await bench('ed25519 public -> x25519', 'libsodium wasm', () =>
    s.crypto_sign_ed25519_pk_to_curve25519(e.publicKey),
  );
  await bench('ed25519 public -> x25519', 'sodium-native', () => {
    const out = new Uint8Array(32);
    sn.crypto_sign_ed25519_pk_to_curve25519(out, e.publicKey);
    return out;
  });

  // --- HMAC-SHA256 (32-byte key, 1-byte message: the chain-key step) ---
  const key = s.randombytes_buf(32);
  const one = new Uint8Array([1]);
  await bench('hmac-sha256 (1 B)', 'libsodium wasm', () => s.crypto_auth_hmacsha256(one, key));
  // What libs/protocol/src/lib/crypto/hmac-sha256.ts does: libsodium's HMAC on the WASM
  // module itself, the key's state computed once and copied for each MAC.
  const raw = (s as unknown as { libsodium: RawHmac }).libsodium;
  const scratch = raw._malloc(1024);
  const [keyed, work, input, mac] = [scratch, scratch + 208, scratch + 416, scratch + 480];
  raw.HEAPU8.set(key, input);
  raw._crypto_auth_hmacsha256_init(keyed, input, 32);
  await bench('hmac-sha256 (1 B)', 'libsodium wasm module, keyed state copied', () => {
    const heap = raw.HEAPU8;
    heap.copyWithin(work, keyed, keyed + 208);
    heap[input] = 1;
    raw._crypto_auth_hmacsha256_update(work, input, 1, 0);
    raw._crypto_auth_hmacsha256_final(work, mac);
    return raw.HEAPU8.slice(mac, mac + 32);
  });
  await bench('hmac-sha256 (1 B)', 'node crypto createHmac', () =>
    nodeCrypto.createHmac('sha256', key).update(one).digest(),
  );
  const ipad = new Uint8Array(64 + 1);
  const opad = new Uint8Array(64 + 32);
  await bench('hmac-sha256 (1 B)', 'sodium-native (2x crypto_hash_sha256)', () => {
    for (let i = 0; i < 64; i++) {
      const k = i < 32 ? (key[i] ?? 0) : 0;
      ipad[i] = k ^ 0x36;
      opad[i] = k ^ 0x5c;
    }
    ipad[64] = 1;
    const inner = opad.subarray(64);
    sn.crypto_hash_sha256(inner, ipad);
    const out = new Uint8Array(32);
    sn.crypto_hash_sha256(out, opad);
    return out;
  });
  await bench('hkdf-sha256 (44 B out)', 'libsodium wasm HMACs (JS HKDF, 3 HMACs)', () => {
    const prk = s.crypto_auth_hmacsha256(key, new Uint8Array(32));
    const t1 = s.crypto_auth_hmacsha256(new Uint8Array(26), prk);
    return s.crypto_auth_hmacsha256(new Uint8Array(58), prk).length + t1.length;
  });
  await bench('hkdf-sha256 (44 B out)', 'node crypto hkdfSync', () =>
    nodeCrypto.hkdfSync('sha256', key, new Uint8Array(0), 'Parley_Ratchet_Message_v1', 44),
  );

  // --- ChaCha20-Poly1305 (256-byte plaintext, 100-byte associated data) ---
  const ak = s.randombytes_buf(32);
  const nonce = s.randombytes_buf(12);
  const pt = s.randombytes_buf(256);
  const ad = s.randombytes_buf(100);
  const ct = s.crypto_aead_chacha20poly1305_ietf_encrypt(pt, ad, null, nonce, ak);
  await bench('aead encrypt 256 B', 'libsodium wasm', () =>
    s.crypto_aead_chacha20poly1305_ietf_encrypt(pt, ad, null, nonce, ak),
  );
  await bench('aead encrypt 256 B', 'sodium-native', () => {
    const out = new Uint8Array(pt.length + 16);
    sn.crypto_aead_chacha20poly1305_ietf_encrypt(out, pt, ad, null, nonce, ak);
    return out;
  });
  await bench('aead encrypt 256 B', 'node crypto createCipheriv', () => {
    const c = nodeCrypto.createCipheriv('chacha20-poly1305', ak, nonce, { authTagLength: 16 });
    c.setAAD(ad, { plaintextLength: pt.length });
    const body = c.update(pt);
    c.final();
    return Buffer.concat([body, c.getAuthTag()]);
  });
  await bench('aead decrypt 256 B', 'libsodium wasm', () =>
    s.crypto_aead_chacha20poly1305_ietf_decrypt(null, ct, ad, nonce, ak),
  );
  await bench('aead decrypt 256 B', 'sodium-native', () => {
    const out = new Uint8Array(ct.length - 16);
    sn.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, ct, ad, nonce, ak);
    return out;
  });
  await bench('aead decrypt 256 B', 'node crypto createDecipheriv', () => {
    const d = nodeCrypto.createDecipheriv('chacha20-poly1305', ak, nonce, { authTagLength: 16 });
    d.setAAD(ad, { plaintextLength: ct.length - 16 });
    d.setAuthTag(ct.subarray(ct.length - 16));
    const body = d.update(ct.subarray(0, ct.length - 16));
    d.final();
    return body;
  });

  // --- hygiene ---
  const x = s.randombytes_buf(32);
  const y = x.slice();
  await bench('constant-time equal 32 B', 'libsodium wasm memcmp', () => s.memcmp(x, y));
  await bench('constant-time equal 32 B', 'sodium-native sodium_memcmp', () =>
    sn.sodium_memcmp(x, y),
  );
  await bench('constant-time equal 32 B', 'node crypto timingSafeEqual', () =>
    nodeCrypto.timingSafeEqual(x, y),
  );
  await bench('wipe 32 B', 'libsodium wasm memzero', () => {
    s.memzero(y);
  });
  await bench('wipe 32 B', 'sodium-native sodium_memzero', () => {
    sn.sodium_memzero(y);
  });

  if (json) {
    for (const r of rows)
      process.stdout.write(`${JSON.stringify({ ...r, opsPerSec: Math.round(r.opsPerSec) })}\n`);
    return;
  }
  const w1 = Math.max(...rows.map((r) => r.primitive.length));
  const w2 = Math.max(...rows.map((r) => r.backend.length));
  process.stdout.write(
    `${rows
      .map(
        (r) =>
          `${r.primitive.padEnd(w1)}  ${r.backend.padEnd(w2)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(10)}/s`,
      )
      .join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
