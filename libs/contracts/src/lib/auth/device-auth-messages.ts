/**
 * The exact bytes a device signs with its identity key to authenticate. Each message
 * starts with its own context string, so a login signature can never be replayed as a
 * registration, a signed prekey or any other Parley signature; every variable-length
 * field is length-prefixed and integers are big-endian, so one message has one reading.
 * The gateway checks these bytes and clients (the SDK) sign them: one definition for both.
 */
import type { OneTimePreKey, SignedPreKey } from '../primitives/keys';

export const AUTH_NONCE_BYTES = 32;
const LOGIN_CONTEXT = 'ParleyAuth/v1';
const REGISTER_CONTEXT = 'ParleyRegister/v1';

class ByteWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  bytes(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  /** A UTF-8 string with a 1-byte length prefix (ids are at most 64 ASCII characters). */
  shortText(text: string): this {
    const b = new TextEncoder().encode(text);
    if (b.length > 0xff) throw new RangeError('text too long for a 1-byte length prefix');
    return this.bytes(Uint8Array.of(b.length)).bytes(b);
  }

  uint32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, false);
    return this.bytes(b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** "ParleyAuth/v1" || nonce || len || userId || deviceId: what a login signs. */
export function loginMessage(nonce: Uint8Array, userId: string, deviceId: number): Uint8Array {
  return new ByteWriter()
    .shortText(LOGIN_CONTEXT)
    .bytes(nonce)
    .shortText(userId)
    .uint32(deviceId)
    .finish();
}

export interface RegistrationPayload {
  readonly userId: string;
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
  readonly signedPreKey: SignedPreKey;
  readonly oneTimePreKeys?: readonly OneTimePreKey[] | undefined;
}

/**
 * What a registration signs: a fresh server nonce (no replay of an old registration) and
 * every field of the payload (nothing can be swapped in transit), under the key it
 * registers (proof of possession).
 */
export function registrationMessage(nonce: Uint8Array, p: RegistrationPayload): Uint8Array {
  const w = new ByteWriter()
    .shortText(REGISTER_CONTEXT)
    .bytes(nonce)
    .shortText(p.userId)
    .uint32(p.deviceId)
    .bytes(p.identityKey)
    .uint32(p.signedPreKey.id)
    .bytes(p.signedPreKey.publicKey)
    .bytes(p.signedPreKey.signature);
  const otks = p.oneTimePreKeys ?? [];
  w.uint32(otks.length);
  for (const k of otks) w.uint32(k.id).bytes(k.publicKey);
  return w.finish();
}
