/**
 * push-notification: push registrations per device. Pushes carry no content; the device
 * wakes and fetches its mailbox.
 */
import { z } from 'zod';
import { defineRpc } from '../contract';
import { MAX_PUSH_ENDPOINT_LENGTH, MAX_PUSH_TOKEN_LENGTH } from '../limits';
import { DeviceAddressSchema, TimestampMsSchema } from '../primitives/ids';
import { SERVICES, SUBJECTS } from '../subjects';

/** RFC 8291 subscription keys are base64url (unpadded): p256dh 65 bytes, auth 16 bytes. */
const base64UrlOfLength = (bytes: number) => z.base64url().length(Math.ceil((bytes * 4) / 3));

export const WebPushEndpointSchema = z.object({
  provider: z.literal('webpush'),
  endpoint: z.url({ protocol: /^https$/ }).max(MAX_PUSH_ENDPOINT_LENGTH),
  keys: z.object({ p256dh: base64UrlOfLength(65), auth: base64UrlOfLength(16) }),
});

export const ApnsEndpointSchema = z.object({
  provider: z.literal('apns'),
  /** APNs device tokens are hex; 32 bytes today, Apple says the length may grow. */
  token: z.string().regex(/^[0-9a-fA-F]{64,200}$/),
  /** The app's bundle id (the apns-topic header). */
  topic: z.string().regex(/^[A-Za-z0-9.-]{1,155}$/),
  environment: z.enum(['production', 'sandbox']),
});

export const FcmEndpointSchema = z.object({
  provider: z.literal('fcm'),
  token: z
    .string()
    .min(1)
    .max(MAX_PUSH_TOKEN_LENGTH)
    .regex(/^[A-Za-z0-9_:.-]+$/),
});

export const PushEndpointSchema = z.discriminatedUnion('provider', [
  WebPushEndpointSchema,
  ApnsEndpointSchema,
  FcmEndpointSchema,
]);
export type PushEndpoint = z.output<typeof PushEndpointSchema>;
export const PushProviderSchema = z.enum(['webpush', 'apns', 'fcm']);

export const RegisterPushRequestSchema = z.object({
  device: DeviceAddressSchema,
  endpoint: PushEndpointSchema,
});
export const RegisterPushReplySchema = z.object({
  registeredAt: TimestampMsSchema,
});

export const UnregisterPushRequestSchema = z.object({
  device: DeviceAddressSchema,
  /** Only this provider's registration; all of the device's when absent. */
  provider: PushProviderSchema.optional(),
});
export const UnregisterPushReplySchema = z.object({
  removed: z.number().int().nonnegative(),
});

const service = SERVICES.pushNotification;

export const PushRpc = {
  register: defineRpc({
    subject: SUBJECTS.push.register,
    service,
    request: RegisterPushRequestSchema,
    reply: RegisterPushReplySchema,
  }),
  unregister: defineRpc({
    subject: SUBJECTS.push.unregister,
    service,
    request: UnregisterPushRequestSchema,
    reply: UnregisterPushReplySchema,
  }),
} as const;
