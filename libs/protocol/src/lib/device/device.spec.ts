import { initProtocol } from '../crypto/sodium';
import { ed25519Verify } from '../crypto/primitives';
import { DecodeError, DecryptionError, InvalidArgumentError } from '../errors';
import { generateIdentityKeyPair } from '../identity/identity-key';
import { deterministicRandom } from '../random';
import { utf8 } from '../bytes';
import { atRestRecordId, openAtRest, sealAtRest, signDeviceAuthMessage } from './index';

beforeAll(initProtocol);

describe('sealAtRest / openAtRest', () => {
  const key = new Uint8Array(32).fill(7);
  const record = utf8.encode('session state');

  it('round-trips and never shows the plaintext', () => {
    const sealed = sealAtRest(key, 'session/alice/1', record);
    expect(Buffer.from(sealed).includes(Buffer.from(record))).toBe(false);
    expect(openAtRest(key, 'session/alice/1', sealed)).toEqual(record);
  });

  it('refuses a wrong key, another record name and tampering', () => {
    const sealed = sealAtRest(key, 'a', record);
    expect(() => openAtRest(new Uint8Array(32).fill(8), 'a', sealed)).toThrow(DecryptionError);
    expect(() => openAtRest(key, 'b', sealed)).toThrow(DecryptionError);
    const tampered = sealed.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(() => openAtRest(key, 'a', tampered)).toThrow(DecryptionError);
  });

  it('refuses truncated and unknown-version records, and short keys', () => {
    const sealed = sealAtRest(key, 'a', record);
    expect(() => openAtRest(key, 'a', sealed.subarray(0, 20))).toThrow(DecodeError);
    const v2 = sealed.slice();
    v2[0] = 2;
    expect(() => openAtRest(key, 'a', v2)).toThrow(DecodeError);
    expect(() => sealAtRest(new Uint8Array(16), 'a', record)).toThrow(InvalidArgumentError);
  });

  it('seals the same record differently each time (fresh salt and nonce)', () => {
    expect(sealAtRest(key, 'a', record)).not.toEqual(sealAtRest(key, 'a', record));
  });

  it('names records opaquely and stably per key', () => {
    const id = atRestRecordId(key, 'session/alice/1');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(atRestRecordId(key, 'session/alice/1')).toBe(id);
    expect(atRestRecordId(new Uint8Array(32).fill(9), 'session/alice/1')).not.toBe(id);
  });
});

describe('signDeviceAuthMessage', () => {
  // The framing of @parley/contracts' loginMessage: [len]"ParleyAuth/v1" || nonce || ...
  const loginMessage = (nonce: Uint8Array): Uint8Array =>
    new Uint8Array([
      13,
      ...utf8.encode('ParleyAuth/v1'),
      ...nonce,
      5,
      ...utf8.encode('alice'),
      0,
      0,
      0,
      1,
    ]);
  let identity: ReturnType<typeof generateIdentityKeyPair>;
  beforeAll(() => {
    identity = generateIdentityKeyPair(deterministicRandom('auth-signature'));
  });

  it('signs a gateway login message verifiably', () => {
    const message = loginMessage(new Uint8Array(32).fill(1));
    const signature = signDeviceAuthMessage(identity, message);
    expect(ed25519Verify(identity.publicKey, message, signature)).toBe(true);
  });

  it('refuses anything that is not framed as a login or registration', () => {
    expect(() => signDeviceAuthMessage(identity, utf8.encode('ParleySignedPreKey....'))).toThrow(
      InvalidArgumentError,
    );
    expect(() => signDeviceAuthMessage(identity, new Uint8Array(0))).toThrow(InvalidArgumentError);
    const fake = new Uint8Array([11, ...utf8.encode('ParleyAuth/')]);
    expect(() => signDeviceAuthMessage(identity, fake)).toThrow(InvalidArgumentError);
  });
});
