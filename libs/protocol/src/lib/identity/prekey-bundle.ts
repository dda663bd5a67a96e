/**
 * Prekey bundles (X3DH section 3.2): what a directory serves for one device, its wire
 * encoding and its verification. A bundle whose signature fails is refused.
 */
import { DecodeError } from '../errors';
import { KEY_BYTES, SIGNATURE_BYTES } from '../crypto/primitives';
import { decodeVersioned, encodeVersioned, requireLength, requireX25519PublicKey } from '../wire/codec';
import { PreKeyBundleSchema } from '../wire/generated/parley/wire/v1/wire_pb';
import type { OneTimePreKeyPublic, SignedPreKeyPublic } from './prekeys';
import { verifySignedPreKey } from './prekeys';

export interface PreKeyBundle {
  readonly identityKey: Uint8Array;
  readonly signedPreKey: SignedPreKeyPublic;
  readonly oneTimePreKey?: OneTimePreKeyPublic;
}

const WHAT = 'PreKeyBundle';

/** Throws InvalidSignatureError (or InvalidArgumentError for malformed keys). */
export function verifyPreKeyBundle(bundle: PreKeyBundle): void {
  verifySignedPreKey(bundle.identityKey, bundle.signedPreKey);
}

export function encodePreKeyBundle(bundle: PreKeyBundle): Uint8Array {
  return encodeVersioned(PreKeyBundleSchema, {
    identityKey: bundle.identityKey,
    signedPreKey: bundle.signedPreKey,
    oneTimePreKey: bundle.oneTimePreKey,
  });
}

export function decodePreKeyBundle(bytes: Uint8Array): PreKeyBundle {
  const m = decodeVersioned(PreKeyBundleSchema, bytes, WHAT, 1024);
  if (!m.signedPreKey) throw new DecodeError('MALFORMED', WHAT, 'missing signed prekey');
  const bundle: PreKeyBundle = {
    identityKey: requireLength(m.identityKey, KEY_BYTES, WHAT, 'identity key'),
    signedPreKey: {
      id: m.signedPreKey.id,
      publicKey: requireX25519PublicKey(m.signedPreKey.publicKey, WHAT, 'signed prekey'),
      signature: requireLength(m.signedPreKey.signature, SIGNATURE_BYTES, WHAT, 'signature'),
    },
    ...(m.oneTimePreKey
      ? {
          oneTimePreKey: {
            id: m.oneTimePreKey.id,
            publicKey: requireX25519PublicKey(m.oneTimePreKey.publicKey, WHAT, 'one-time prekey'),
          },
        }
      : {}),
  };
  return bundle;
}
