/**
 * Identifiers. User, group, gateway and message ids are 1..64 characters of
 * `[A-Za-z0-9_-]`: they appear as NATS subject tokens (per-device live delivery
 * subjects), where `.` separates tokens and `*`/`>` are wildcards, so those are excluded;
 * the set is also URL- and log-safe. Device ids are the protocol's uint32 device numbers,
 * from 1 (0 means "no device").
 */
import { z } from 'zod';
import { DEVICE_ID_MAX, ID_MAX_LENGTH, PREKEY_ID_MAX } from '../limits';

export const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

function tokenId(what: string) {
  return z
    .string()
    .min(1, { message: `${what} must not be empty` })
    .max(ID_MAX_LENGTH, { message: `${what} is longer than ${ID_MAX_LENGTH} characters` })
    .regex(ID_PATTERN, { message: `${what} may only contain A-Z a-z 0-9 _ -` });
}

export const UserIdSchema = tokenId('user id');
export const GroupIdSchema = tokenId('group id');
/** The instance id of a gateway (which gateway holds a device). */
export const GatewayIdSchema = tokenId('gateway id');
/** The server's id of a stored message. */
export const MessageIdSchema = tokenId('message id');
/** The sender's id of a message, the key of idempotent sends (a UUID fits). */
export const ClientMessageIdSchema = tokenId('client message id');

export const DeviceIdSchema = z.number().int().min(1).max(DEVICE_ID_MAX);
export const PreKeyIdSchema = z.number().int().min(0).max(PREKEY_ID_MAX);

/** One device of one user: the unit that owns keys and a mailbox. */
export const DeviceAddressSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
});
export type DeviceAddress = z.infer<typeof DeviceAddressSchema>;

/** Milliseconds since the Unix epoch, as set by the server. */
export const TimestampMsSchema = z.number().int().nonnegative();

export type UserId = z.infer<typeof UserIdSchema>;
export type GroupId = z.infer<typeof GroupIdSchema>;
export type DeviceId = z.infer<typeof DeviceIdSchema>;
