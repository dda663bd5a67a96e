import {
  generateIdentityKeyPair,
  generateSignedPreKey,
  initProtocol,
  secureRandom,
} from '@parley/protocol';
import { createPrivateKey, sign } from 'node:crypto';
import { verifyEd25519 } from './ed25519';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

beforeAll(() => initProtocol());

describe('verifyEd25519 (Node crypto)', () => {
  it('accepts a libsodium signature made by the protocol library (cross-implementation)', () => {
    const identity = generateIdentityKeyPair(secureRandom);
    const spk = generateSignedPreKey(identity, 0x0a0b0c0d, secureRandom, 0);
    // The protocol signs "ParleySignedPreKey" || uint32le(id) || public key.
    const id = Buffer.alloc(4);
    id.writeUInt32LE(0x0a0b0c0d);
    const message = Buffer.concat([Buffer.from('ParleySignedPreKey'), id, spk.keyPair.publicKey]);
    expect(verifyEd25519(identity.publicKey, message, spk.signature)).toBe(true);
    message[message.length - 1]! ^= 1;
    expect(verifyEd25519(identity.publicKey, message, spk.signature)).toBe(false);
  });

  it('refuses another key, a changed signature, wrong sizes and invalid points without throwing', () => {
    const a = generateIdentityKeyPair(secureRandom);
    const b = generateIdentityKeyPair(secureRandom);
    const key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, a.secretKey.subarray(0, 32)]),
      format: 'der',
      type: 'pkcs8',
    });
    const msg = new TextEncoder().encode('hello');
    const sig = new Uint8Array(sign(null, msg, key));
    expect(verifyEd25519(a.publicKey, msg, sig)).toBe(true);
    expect(verifyEd25519(b.publicKey, msg, sig)).toBe(false);
    const bent = sig.slice();
    bent[0]! ^= 1;
    expect(verifyEd25519(a.publicKey, msg, bent)).toBe(false);
    expect(verifyEd25519(a.publicKey.subarray(0, 31), msg, sig)).toBe(false);
    expect(verifyEd25519(a.publicKey, msg, sig.subarray(0, 63))).toBe(false);
    expect(verifyEd25519(new Uint8Array(32).fill(0xff), msg, sig)).toBe(false);
  });
});
