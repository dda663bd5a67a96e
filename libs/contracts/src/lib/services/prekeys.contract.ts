/**
 * prekey-directory: accounts, devices, identity keys, signed and one-time prekeys.
 * The directory hands out each one-time prekey at most once.
 */
import { z } from 'zod';
import { defineEvent, defineRpc } from '../contract';
import {
  MAX_DEVICES_PER_USER,
  MAX_GROUP_MEMBERS,
  MAX_ONE_TIME_PREKEY_STOCK,
  MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
} from '../limits';
import { DeviceIdSchema, TimestampMsSchema, UserIdSchema } from '../primitives/ids';
import { IdentityKeySchema, OneTimePreKeySchema, SignedPreKeySchema } from '../primitives/keys';
import { SERVICES, SUBJECTS } from '../subjects';

const OneTimePreKeyBatch = z
  .array(OneTimePreKeySchema)
  .min(1)
  .max(MAX_ONE_TIME_PREKEYS_PER_UPLOAD)
  .refine((keys) => new Set(keys.map((k) => k.id)).size === keys.length, {
    message: 'one-time prekey ids must be unique within a batch',
  });

export const RegisterDeviceRequestSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  identityKey: IdentityKeySchema,
  signedPreKey: SignedPreKeySchema,
  /** An initial batch, so a new device is reachable at once. */
  oneTimePreKeys: OneTimePreKeyBatch.optional(),
});
export const RegisterDeviceReplySchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  registeredAt: TimestampMsSchema,
  oneTimePreKeyCount: z.number().int().nonnegative(),
});

export const UploadOneTimePreKeysRequestSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  preKeys: OneTimePreKeyBatch,
});
export const UploadOneTimePreKeysReplySchema = z.object({
  stored: z.number().int().nonnegative(),
  /** Stock after the upload. */
  total: z.number().int().nonnegative().max(MAX_ONE_TIME_PREKEY_STOCK),
});

export const FetchBundlesRequestSchema = z.object({
  userId: UserIdSchema,
  /** One device only; all of the user's devices when absent. */
  deviceId: DeviceIdSchema.optional(),
});
export const PreKeyBundleSchema = z.object({
  deviceId: DeviceIdSchema,
  identityKey: IdentityKeySchema,
  signedPreKey: SignedPreKeySchema,
  /** Absent when the device's stock is empty (X3DH then runs without DH4). */
  oneTimePreKey: OneTimePreKeySchema.optional(),
});
export type PreKeyBundleRecord = z.output<typeof PreKeyBundleSchema>;
export const FetchBundlesReplySchema = z.object({
  userId: UserIdSchema,
  bundles: z.array(PreKeyBundleSchema).max(MAX_DEVICES_PER_USER),
});

export const RotateSignedPreKeyRequestSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  signedPreKey: SignedPreKeySchema,
});
export const RotateSignedPreKeyReplySchema = z.object({
  signedPreKeyId: z.number().int().nonnegative(),
  rotatedAt: TimestampMsSchema,
});

export const GetPreKeyStockRequestSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
});
export const GetPreKeyStockReplySchema = z.object({
  oneTimePreKeys: z.number().int().nonnegative(),
  signedPreKeyId: z.number().int().nonnegative(),
  signedPreKeyCreatedAt: TimestampMsSchema,
  lowThreshold: z.number().int().nonnegative(),
});

/**
 * A device's identity key without touching its prekeys: the gateway checks login
 * signatures with it (a bundle fetch would consume a one-time prekey per login).
 */
export const GetDeviceRequestSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
});
export const GetDeviceReplySchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  identityKey: IdentityKeySchema,
  registeredAt: TimestampMsSchema,
});

/**
 * The current devices of several users without touching prekeys: message-delivery checks a
 * send's recipients against it, the gateway lists a user's devices. One entry per asked user,
 * in the asked order; an unknown user has no devices.
 */
export const ListDevicesRequestSchema = z.object({
  userIds: z
    .array(UserIdSchema)
    .min(1)
    .max(MAX_GROUP_MEMBERS)
    .refine((ids) => new Set(ids).size === ids.length, { message: 'user ids must be unique' }),
});
export const ListedDeviceSchema = z.object({
  deviceId: DeviceIdSchema,
  identityKey: IdentityKeySchema,
  registeredAt: TimestampMsSchema,
});
export const ListDevicesReplySchema = z.object({
  users: z
    .array(
      z.object({
        userId: UserIdSchema,
        devices: z.array(ListedDeviceSchema).max(MAX_DEVICES_PER_USER),
      }),
    )
    .max(MAX_GROUP_MEMBERS),
});

export const PreKeysLowEventSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  remaining: z.number().int().nonnegative(),
  threshold: z.number().int().nonnegative(),
  at: TimestampMsSchema,
});

/** A device was added to (or, by an operator, removed from) a user's device set. */
export const DevicesChangedEventSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  at: TimestampMsSchema,
});

const service = SERVICES.prekeyDirectory;

export const PrekeyRpc = {
  registerDevice: defineRpc({
    subject: SUBJECTS.prekeys.registerDevice,
    service,
    request: RegisterDeviceRequestSchema,
    reply: RegisterDeviceReplySchema,
  }),
  uploadOneTimePreKeys: defineRpc({
    subject: SUBJECTS.prekeys.uploadOneTimePreKeys,
    service,
    request: UploadOneTimePreKeysRequestSchema,
    reply: UploadOneTimePreKeysReplySchema,
  }),
  fetchBundles: defineRpc({
    subject: SUBJECTS.prekeys.fetchBundles,
    service,
    request: FetchBundlesRequestSchema,
    reply: FetchBundlesReplySchema,
  }),
  rotateSignedPreKey: defineRpc({
    subject: SUBJECTS.prekeys.rotateSignedPreKey,
    service,
    request: RotateSignedPreKeyRequestSchema,
    reply: RotateSignedPreKeyReplySchema,
  }),
  getStock: defineRpc({
    subject: SUBJECTS.prekeys.getStock,
    service,
    request: GetPreKeyStockRequestSchema,
    reply: GetPreKeyStockReplySchema,
  }),
  getDevice: defineRpc({
    subject: SUBJECTS.prekeys.getDevice,
    service,
    request: GetDeviceRequestSchema,
    reply: GetDeviceReplySchema,
  }),
  listDevices: defineRpc({
    subject: SUBJECTS.prekeys.listDevices,
    service,
    request: ListDevicesRequestSchema,
    reply: ListDevicesReplySchema,
  }),
} as const;

export const PrekeyEvents = {
  /** Stock fell under PREKEY_LOW_THRESHOLD: the device should upload more. */
  low: defineEvent({
    subject: SUBJECTS.events.prekeysLow,
    stream: 'events',
    schema: PreKeysLowEventSchema,
  }),
  /**
   * Core NATS, not the stream: it only invalidates caches, and a cache that may have missed
   * one (its connection dropped) empties itself. Published before the registration is
   * answered, so on one NATS server it reaches every subscriber before anything the
   * registration's reply causes (see message-delivery's device-sets.ts).
   */
  devicesChanged: defineEvent({
    subject: SUBJECTS.prekeys.devicesChanged,
    stream: undefined,
    schema: DevicesChangedEventSchema,
  }),
} as const;
