/**
 * X3DH key agreement (Marlinspike & Perrin, "The X3DH Key Agreement Protocol", 2016),
 * curve X25519, hash SHA-256. This layer only produces the shared secret SK and the
 * associated data AD; the session layer hands them to the Double Ratchet.
 *
 *   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK_A, IK_B)  DH3 = DH(EK_A, SPK_B)  DH4 = DH(EK_A, OPK_B)
 *   SK  = HKDF(F || DH1 || DH2 || DH3 [|| DH4]),  F = 32 bytes of 0xFF, salt = 32 zero bytes
 *   AD  = IK_A || IK_B  (the Ed25519 identity keys as published)
 */
import { assertBytes, concatBytes, utf8 } from '../bytes';
import type { KeyPair } from '../crypto/primitives';
import { hkdfSha256, KEY_BYTES, wipe, x25519, x25519KeyPair } from '../crypto/primitives';
import { identityDhPrivateKey, identityDhPublicKey } from '../identity/identity-key';
import type { IdentityKeyPair } from '../identity/identity-key';
import type { PreKeyBundle } from '../identity/prekey-bundle';
import { verifyPreKeyBundle } from '../identity/prekey-bundle';
import type { RandomSource } from '../random';

const X3DH_INFO = utf8.encode('Parley_X3DH_X25519_SHA256_v1');
const F = new Uint8Array(32).fill(0xff);
export const SHARED_SECRET_BYTES = 32;

export interface X3dhSecret {
  /** SK: 32 bytes, secret. The caller wipes it once the ratchet is initialised. */
  readonly sharedSecret: Uint8Array;
  /** AD = IK_A || IK_B. */
  readonly associatedData: Uint8Array;
}

export interface X3dhInitiation extends X3dhSecret {
  /** EK_A public key, sent in the first message. */
  readonly baseKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | undefined;
  /** SPK_B: becomes the responder's first ratchet public key. */
  readonly theirSignedPreKey: Uint8Array;
}

function deriveSharedSecret(dhs: Uint8Array[]): Uint8Array {
  const ikm = concatBytes(F, ...dhs);
  const sk = hkdfSha256(ikm, undefined, X3DH_INFO, SHARED_SECRET_BYTES);
  wipe(ikm);
  for (const dh of dhs) wipe(dh);
  return sk;
}

/** Alice's side: verifies the bundle (refusing a bad signature), then derives SK. */
export function x3dhInitiate(
  ourIdentity: IdentityKeyPair,
  bundle: PreKeyBundle,
  random: RandomSource,
): X3dhInitiation {
  verifyPreKeyBundle(bundle);
  const theirIdentityDh = identityDhPublicKey(bundle.identityKey);
  const ephemeral = x25519KeyPair(random);
  const ourIdentityDh = identityDhPrivateKey(ourIdentity);
  try {
    const dhs = [
      x25519(ourIdentityDh, bundle.signedPreKey.publicKey),
      x25519(ephemeral.privateKey, theirIdentityDh),
      x25519(ephemeral.privateKey, bundle.signedPreKey.publicKey),
    ];
    if (bundle.oneTimePreKey) dhs.push(x25519(ephemeral.privateKey, bundle.oneTimePreKey.publicKey));
    return {
      sharedSecret: deriveSharedSecret(dhs),
      associatedData: concatBytes(ourIdentity.publicKey, bundle.identityKey),
      baseKey: ephemeral.publicKey,
      signedPreKeyId: bundle.signedPreKey.id,
      oneTimePreKeyId: bundle.oneTimePreKey?.id,
      theirSignedPreKey: bundle.signedPreKey.publicKey,
    };
  } finally {
    wipe(ourIdentityDh);
    wipe(ephemeral.privateKey);
  }
}

/** Bob's side, from the initiator's identity and base keys and his own prekeys. */
export function x3dhRespond(
  ourIdentity: IdentityKeyPair,
  ourSignedPreKey: KeyPair,
  ourOneTimePreKey: KeyPair | undefined,
  theirIdentityKey: Uint8Array,
  theirBaseKey: Uint8Array,
): X3dhSecret {
  assertBytes(theirIdentityKey, 'initiator identity key', KEY_BYTES);
  assertBytes(theirBaseKey, 'initiator base key', KEY_BYTES);
  const theirIdentityDh = identityDhPublicKey(theirIdentityKey);
  const ourIdentityDh = identityDhPrivateKey(ourIdentity);
  try {
    const dhs = [
      x25519(ourSignedPreKey.privateKey, theirIdentityDh),
      x25519(ourIdentityDh, theirBaseKey),
      x25519(ourSignedPreKey.privateKey, theirBaseKey),
    ];
    if (ourOneTimePreKey) dhs.push(x25519(ourOneTimePreKey.privateKey, theirBaseKey));
    return {
      sharedSecret: deriveSharedSecret(dhs),
      associatedData: concatBytes(theirIdentityKey, ourIdentity.publicKey),
    };
  } finally {
    wipe(ourIdentityDh);
  }
}
