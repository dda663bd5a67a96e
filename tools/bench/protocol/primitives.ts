/**
 * Where Parley's time goes, one primitive at a time: libsodium-wrappers-sumo (WASM, what
 * libs/protocol uses today) beside Node's built-in crypto (OpenSSL) and libsignal-client's
 * native keys. Evidence for the optimisation notes of the protocol benchmark.
 *
 *   npx tsx tools/bench/protocol/primitives.ts
 */
import * as nodeCrypto from 'node:crypto';
import sodiumModule from 'libsodium-wrappers-sumo';
import { measure } from './harness';

// DER prefixes that wrap 32 raw key bytes into the SPKI / PKCS#8 forms OpenSSL imports.
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

const pub = (prefix: Buffer, raw: Uint8Array) =>
  nodeCrypto.createPublicKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'spki' });
const priv = (prefix: Buffer, raw: Uint8Array) =>
  nodeCrypto.createPrivateKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'pkcs8' });

async function main(): Promise<void> {
  await sodiumModule.ready;
  const s = sodiumModule;
  const ls = await import('@signalapp/libsignal-client');
  const timing = { warmupMs: 200, measureMs: 600, rounds: 3 };
  const rows: [string, number][] = [];
  const bench = async (name: string, fn: () => unknown) => {
    const m = await measure(
      {
        run: (n) => {
          for (let i = 0; i < n; i++) fn();
        },
      },
      timing,
    );
    rows.push([name, m.opsPerSec]);
    process.stderr.write(`${name}: ${Math.round(m.opsPerSec)}/s\n`);
  };

  const a = s.crypto_box_keypair();
  const b = s.crypto_box_keypair();
  await bench('x25519 shared secret: libsodium wasm', () =>
    s.crypto_scalarmult(a.privateKey, b.publicKey),
  );
  await bench('x25519 shared secret: node crypto (import raw keys each time)', () =>
    nodeCrypto.diffieHellman({
      privateKey: priv(X25519_PKCS8, a.privateKey),
      publicKey: pub(X25519_SPKI, b.publicKey),
    }),
  );
  const lsA = ls.PrivateKey.generate();
  const lsB = ls.PrivateKey.generate().getPublicKey();
  await bench('x25519 shared secret: libsignal native', () => lsA.agree(lsB));
  await bench('x25519 key pair: libsodium wasm (randombytes + scalarmult_base)', () =>
    s.crypto_scalarmult_base(s.randombytes_buf(32)),
  );
  await bench('x25519 key pair: node crypto generateKeyPairSync + raw export', () => {
    const kp = nodeCrypto.generateKeyPairSync('x25519');
    kp.publicKey.export({ format: 'der', type: 'spki' });
    kp.privateKey.export({ format: 'der', type: 'pkcs8' });
  });

  const e = s.crypto_sign_keypair();
  const msg = new Uint8Array(nodeCrypto.randomBytes(300));
  const sig = s.crypto_sign_detached(msg, e.privateKey);
  await bench('ed25519 sign: libsodium wasm', () => s.crypto_sign_detached(msg, e.privateKey));
  await bench('ed25519 verify: libsodium wasm', () =>
    s.crypto_sign_verify_detached(sig, msg, e.publicKey),
  );
  const seed = e.privateKey.subarray(0, 32);
  await bench('ed25519 sign: node crypto (import raw key each time)', () =>
    nodeCrypto.sign(null, msg, priv(ED25519_PKCS8, seed)),
  );
  await bench('ed25519 verify: node crypto (import raw key each time)', () =>
    nodeCrypto.verify(null, msg, pub(ED25519_SPKI, e.publicKey), sig),
  );
  const edPub = pub(ED25519_SPKI, e.publicKey);
  await bench('ed25519 verify: node crypto (cached KeyObject)', () =>
    nodeCrypto.verify(null, msg, edPub, sig),
  );
  const lsSig = lsA.sign(msg);
  const lsPub = lsA.getPublicKey();
  await bench('xeddsa sign: libsignal native', () => lsA.sign(msg));
  await bench('xeddsa verify: libsignal native', () => lsPub.verify(msg, lsSig));

  await bench('32 random bytes: libsodium randombytes_buf', () => s.randombytes_buf(32));
  await bench('32 random bytes: node crypto.randomBytes', () => nodeCrypto.randomBytes(32));
  const key = s.randombytes_buf(32);
  const data = s.randombytes_buf(33);
  await bench('hmac-sha256 (32-byte key): libsodium wasm', () =>
    s.crypto_auth_hmacsha256(data, key),
  );
  await bench('hmac-sha256: node crypto', () =>
    nodeCrypto.createHmac('sha256', key).update(data).digest(),
  );

  const width = Math.max(...rows.map(([n]) => n.length));
  process.stdout.write(
    `${rows.map(([n, r]) => `${n.padEnd(width)}  ${Math.round(r).toLocaleString('en-US').padStart(9)}/s`).join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
