/** Public key material as it travels: fixed sizes, checked before anything else sees it. */
import { z } from 'zod';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../limits';
import { fixedBytes } from './base64-bytes';
import { PreKeyIdSchema } from './ids';

/** A device's Ed25519 identity public key. */
export const IdentityKeySchema = fixedBytes(PUBLIC_KEY_BYTES);
/** An X25519 prekey public key. */
export const PreKeyPublicKeySchema = fixedBytes(PUBLIC_KEY_BYTES);
export const SignatureSchema = fixedBytes(SIGNATURE_BYTES);

/** The signed prekey: its id, public key and the identity key's signature over both. */
export const SignedPreKeySchema = z.object({
  id: PreKeyIdSchema,
  publicKey: PreKeyPublicKeySchema,
  signature: SignatureSchema,
});
export type SignedPreKey = z.output<typeof SignedPreKeySchema>;

export const OneTimePreKeySchema = z.object({
  id: PreKeyIdSchema,
  publicKey: PreKeyPublicKeySchema,
});
export type OneTimePreKey = z.output<typeof OneTimePreKeySchema>;
