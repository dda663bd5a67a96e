/**
 * Request and reply bodies of the HTTP API. They reuse the contracts' schemas (ids, keys,
 * base64 codec, batch limits), so the edge refuses exactly what the services would.
 */
import {
  AUTH_NONCE_BYTES,
  DeviceAddressSchema,
  DeviceIdSchema,
  fixedBytes,
  RegisterDeviceReplySchema,
  RegisterDeviceRequestSchema,
  RotateSignedPreKeyRequestSchema,
  SignatureSchema,
  TimestampMsSchema,
  UploadOneTimePreKeysRequestSchema,
  UserIdSchema,
} from '@parley/contracts';
import { z } from 'zod';

const NonceSchema = fixedBytes(AUTH_NONCE_BYTES);

/** A device id in a URL path: decimal digits only (no signs, exponents or spaces). */
export const DeviceIdParamSchema = z
  .string()
  .regex(/^[0-9]{1,10}$/, { message: 'device id must be a decimal number' })
  .transform(Number)
  .pipe(DeviceIdSchema);
export const UserIdParamSchema = UserIdSchema;

export const ChallengeRequestSchema = DeviceAddressSchema;
export const ChallengeReplySchema = z.object({
  nonce: NonceSchema,
  expiresAt: TimestampMsSchema,
});

export const TokenRequestSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  nonce: NonceSchema,
  /** Ed25519 by the identity key over loginMessage(nonce, userId, deviceId). */
  signature: SignatureSchema,
});
export const TokenReplySchema = z.object({
  token: z.string(),
  expiresAt: TimestampMsSchema,
});

export const RegisterRequestSchema = RegisterDeviceRequestSchema.extend({
  nonce: NonceSchema,
  /** Ed25519 by `identityKey` over registrationMessage(nonce, payload). */
  signature: SignatureSchema,
});
export const RegisterReplySchema = RegisterDeviceReplySchema.extend({
  token: z.string(),
  tokenExpiresAt: TimestampMsSchema,
});

export const UploadPreKeysBodySchema = UploadOneTimePreKeysRequestSchema.pick({ preKeys: true });
export const RotateSignedPreKeyBodySchema = RotateSignedPreKeyRequestSchema.pick({
  signedPreKey: true,
});
