/**
 * Cross-implementation vectors: vectors/sender-key-vectors.json was produced by
 * vectors/sender-key-vectors.py with Python's `cryptography` (HMAC, HKDF,
 * ChaCha20-Poly1305, Ed25519) and hand-written protobuf fields, not by this code. Runs on
 * every crypto backend: their outputs must be byte-identical.
 */
import { fromHex, toHex } from '../bytes';
import { ed25519KeyPair } from '../crypto/primitives';
import type { CryptoBackend } from '../crypto/backend';
import { setCryptoBackend } from '../crypto/backend';
import { loadNativeBackend } from '../crypto/native-backend';
import { initProtocol } from '../crypto/sodium';
import { wasmBackend } from '../crypto/wasm-backend';
import { decryptSenderKeyMessage, encryptSenderKeyMessage } from './group-cipher';
import { SenderChain } from './sender-chain';
import {
  createSenderKeyDistribution,
  processSenderKeyDistribution,
} from './sender-key-distribution';
import { SenderKeyState } from './sender-key-state';
import vector from './vectors/sender-key-vectors.json';

beforeAll(initProtocol);
afterAll(() => {
  setCryptoBackend(wasmBackend);
});

describe.each([
  ['libsodium-wasm', wasmBackend],
  ['sodium-native', loadNativeBackend() as CryptoBackend],
])('Sender Keys reference vectors (%s backend)', (_name, backend) => {
  beforeEach(() => {
    setCryptoBackend(backend);
  });

  it('produces the distribution and the third message byte for byte, and decrypts the reference', () => {
    const fixedSeed = { bytes: (n: number) => fromHex(vector.signingSeed).subarray(0, n) };
    const signing = ed25519KeyPair(fixedSeed);
    const own = new SenderKeyState(new Uint8Array(32).fill(9), fromHex(vector.distributionId), [
      new SenderChain({
        chainId: vector.chainId,
        iteration: vector.startIteration,
        chainKey: fromHex(vector.chainKey),
        signingPublicKey: signing.publicKey,
        signingSecretKey: signing.privateKey,
        createdAtMs: 0,
      }),
    ]);
    expect(toHex(createSenderKeyDistribution(own))).toBe(vector.distribution);
    const plaintext = fromHex(vector.plaintext);
    encryptSenderKeyMessage(own, plaintext);
    encryptSenderKeyMessage(own, plaintext);
    expect(toHex(encryptSenderKeyMessage(own, plaintext))).toBe(vector.message);

    const receiver = processSenderKeyDistribution(
      undefined,
      new Uint8Array(32).fill(9),
      fromHex(vector.distribution),
      0,
    );
    expect(toHex(decryptSenderKeyMessage(receiver, fromHex(vector.message)))).toBe(
      vector.plaintext,
    );
  });
});
