import { AUTH_NONCE_BYTES, loginMessage, registrationMessage } from './device-auth-messages';
import type { RegistrationPayload } from './device-auth-messages';

const nonce = new Uint8Array(AUTH_NONCE_BYTES).fill(7);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const payload: RegistrationPayload = {
  userId: 'alice',
  deviceId: 3,
  identityKey: new Uint8Array(32).fill(1),
  signedPreKey: {
    id: 9,
    publicKey: new Uint8Array(32).fill(2),
    signature: new Uint8Array(64).fill(3),
  },
  oneTimePreKeys: [{ id: 1, publicKey: new Uint8Array(32).fill(4) }],
};

describe('loginMessage', () => {
  it('frames context, nonce, user id and device id without ambiguity', () => {
    const m = loginMessage(nonce, 'alice', 0x01020304);
    const context = Buffer.from('ParleyAuth/v1');
    expect(m[0]).toBe(context.length);
    expect(Buffer.from(m.subarray(1, 1 + context.length)).toString()).toBe('ParleyAuth/v1');
    expect(hex(m.subarray(-4))).toBe('01020304');
    expect(m.length).toBe(1 + context.length + AUTH_NONCE_BYTES + 1 + 5 + 4);
  });

  it('binds every field: another nonce, user or device gives other bytes', () => {
    const base = hex(loginMessage(nonce, 'ab', 1));
    expect(hex(loginMessage(new Uint8Array(32).fill(8), 'ab', 1))).not.toBe(base);
    expect(hex(loginMessage(nonce, 'a', 1))).not.toBe(base);
    expect(hex(loginMessage(nonce, 'ab', 2))).not.toBe(base);
  });
});

describe('registrationMessage', () => {
  it('is domain-separated from a login', () => {
    const reg = registrationMessage(nonce, payload);
    const login = loginMessage(nonce, payload.userId, payload.deviceId);
    expect(hex(reg.subarray(0, 16))).not.toBe(hex(login.subarray(0, 16)));
  });

  it('changes when any field changes', () => {
    const base = hex(registrationMessage(nonce, payload));
    const variants: RegistrationPayload[] = [
      { ...payload, userId: 'alicf' },
      { ...payload, deviceId: 4 },
      { ...payload, identityKey: new Uint8Array(32).fill(9) },
      { ...payload, signedPreKey: { ...payload.signedPreKey, id: 10 } },
      {
        ...payload,
        signedPreKey: { ...payload.signedPreKey, publicKey: new Uint8Array(32).fill(5) },
      },
      {
        ...payload,
        signedPreKey: { ...payload.signedPreKey, signature: new Uint8Array(64).fill(6) },
      },
      { ...payload, oneTimePreKeys: [] },
      { ...payload, oneTimePreKeys: [{ id: 2, publicKey: new Uint8Array(32).fill(4) }] },
    ];
    for (const v of variants) expect(hex(registrationMessage(nonce, v))).not.toBe(base);
    // No prekeys and an empty list sign the same bytes (the count is 0 either way).
    expect(hex(registrationMessage(nonce, { ...payload, oneTimePreKeys: undefined }))).toBe(
      hex(registrationMessage(nonce, { ...payload, oneTimePreKeys: [] })),
    );
  });
});
