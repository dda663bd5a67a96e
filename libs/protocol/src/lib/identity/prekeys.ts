/**
 * Signed prekeys and one-time prekeys (X3DH section 2.2): generation, and the signature
 * that binds a signed prekey to its identity key.
 */
import { assertBytes, assertUint32, concatBytes, uint32le, utf8 } from '../bytes';
import type { KeyPair } from '../crypto/primitives';
import {
  ed25519Sign,
  ed25519VerifyOrThrow,
  KEY_BYTES,
  SIGNATURE_BYTES,
  x25519KeyPair,
} from '../crypto/primitives';
import type { RandomSource } from '../random';
import type { IdentityKeyPair } from './identity-key';

/** Domain separation: this signature can never be mistaken for any other Parley signature. */
const SIGNED_PREKEY_CONTEXT = utf8.encode('ParleySignedPreKey');

export interface SignedPreKeyPair {
  readonly id: number;
  readonly keyPair: KeyPair;
  readonly signature: Uint8Array;
  readonly createdAtMs: number;
}

export interface OneTimePreKeyPair {
  readonly id: number;
  readonly keyPair: KeyPair;
}

/** The public half of a signed prekey, as published. */
export interface SignedPreKeyPublic {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface OneTimePreKeyPublic {
  readonly id: number;
  readonly publicKey: Uint8Array;
}

function signedPreKeyMessage(id: number, publicKey: Uint8Array): Uint8Array {
  return concatBytes(SIGNED_PREKEY_CONTEXT, uint32le(id), publicKey);
}

export function generateSignedPreKey(
  identity: IdentityKeyPair,
  id: number,
  random: RandomSource,
  nowMs: number,
): SignedPreKeyPair {
  assertUint32(id, 'signed prekey id');
  const keyPair = x25519KeyPair(random);
  const signature = ed25519Sign(identity.secretKey, signedPreKeyMessage(id, keyPair.publicKey));
  return { id, keyPair, signature, createdAtMs: nowMs };
}

/** Throws InvalidSignatureError unless `signature` binds `publicKey` and `id` to the identity. */
export function verifySignedPreKey(identityKey: Uint8Array, preKey: SignedPreKeyPublic): void {
  assertBytes(identityKey, 'identity key', KEY_BYTES);
  assertUint32(preKey.id, 'signed prekey id');
  assertBytes(preKey.publicKey, 'signed prekey', KEY_BYTES);
  assertBytes(preKey.signature, 'signed prekey signature', SIGNATURE_BYTES);
  ed25519VerifyOrThrow(identityKey, signedPreKeyMessage(preKey.id, preKey.publicKey), preKey.signature, 'signed prekey');
}

export function generateOneTimePreKeys(
  firstId: number,
  count: number,
  random: RandomSource,
): OneTimePreKeyPair[] {
  assertUint32(firstId, 'first one-time prekey id');
  assertUint32(firstId + count - 1, 'last one-time prekey id');
  const keys: OneTimePreKeyPair[] = [];
  for (let i = 0; i < count; i++) keys.push({ id: firstId + i, keyPair: x25519KeyPair(random) });
  return keys;
}

export function publicSignedPreKey(pair: SignedPreKeyPair): SignedPreKeyPublic {
  return { id: pair.id, publicKey: pair.keyPair.publicKey, signature: pair.signature };
}

export function publicOneTimePreKey(pair: OneTimePreKeyPair): OneTimePreKeyPublic {
  return { id: pair.id, publicKey: pair.keyPair.publicKey };
}
