/** Public key material as it travels: fixed sizes, checked before anything else sees it. */
import { z } from 'zod';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../limits';
import { fixedBytes } from './base64-bytes';
import { PreKeyIdSchema } from './ids';

/** A device's Ed25519 identity public key. */
export const IdentityKeySchema = fixedBytes(PUBLIC_KEY_BYTES);
/**
 * An X25519 prekey public key, in its one canonical encoding (u < 2^255 - 19, so the top bit
 * clear, RFC 7748 section 5). X25519 ignores the top bit and reduces u mod p, so other byte
 * strings would act as the same key; the protocol's decoders refuse them (libs/protocol
 * wire/codec.ts), so a device that uploaded one would be unreachable: refused at upload instead.
 */
export const PreKeyPublicKeySchema = fixedBytes(PUBLIC_KEY_BYTES).refine(isCanonicalX25519, {
  message: 'expected a canonical X25519 public key (u < 2^255 - 19)',
});

/** u < 2^255 - 19 in little-endian: the top byte at most 0x7f, not one of p .. 2^255 - 1. */
export function isCanonicalX25519(key: Uint8Array): boolean {
  const last = key.length - 1;
  const top = key[last] ?? 0;
  if (top > 0x7f) return false;
  if (top < 0x7f) return true;
  for (let i = last - 1; i >= 1; i--) if (key[i] !== 0xff) return true;
  return (key[0] ?? 0) < 0xed;
}
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
