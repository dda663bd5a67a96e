/**
 * Bodies of the gateway's public HTTP API (docs/gateway-api.md), shared by the gateway and
 * the client SDK. They reuse the services' schemas, so the edge refuses exactly what the
 * services would; the sending device never appears in a body (the gateway takes it from the
 * bearer token). Browser-safe: zod and the contracts only.
 */
import { z } from 'zod';
import { SerializedParleyErrorSchema } from '../errors/error-wire';
import {
  MAX_CHAIN_PAGE,
  MAX_DEVICES_PER_USER,
  MAX_ENVELOPES_PER_SEND,
  MAX_MAILBOX_PAGE,
} from '../limits';
import {
  ClientMessageIdSchema,
  DeviceAddressSchema,
  DeviceIdSchema,
  MessageIdSchema,
  TimestampMsSchema,
  UserIdSchema,
} from '../primitives/ids';
import { IdentityKeySchema } from '../primitives/keys';
import {
  AckReplySchema,
  AckRequestSchema,
  checkEnvelopeSet,
  EnvelopeSchema,
  FetchMailboxReplySchema,
  GroupRefSchema,
  SendGroupRequestSchema,
  SendReplySchema,
} from '../services/delivery.contract';
import {
  ChangeMembersReplySchema,
  ChangeMembersRequestSchema,
  CreateGroupReplySchema,
  CreateGroupRequestSchema,
  GetChainReplySchema,
  ListMembersReplySchema,
} from '../services/groups.contract';

/** Every error answer: `{ error: { code, message, details? } }` with the code's HTTP status. */
export const ApiErrorBodySchema = z.object({ error: SerializedParleyErrorSchema });
export type ApiErrorBody = z.input<typeof ApiErrorBodySchema>;

/** Details of a 409 MISMATCHED_DEVICES: what to add and what to drop before re-encrypting. */
export const MismatchedDevicesDetailsSchema = z.object({
  missing: z.array(DeviceAddressSchema).max(MAX_ENVELOPES_PER_SEND),
  stale: z.array(DeviceAddressSchema).max(MAX_ENVELOPES_PER_SEND),
});

// ---- GET /v1/users/:userId/devices

export const PublicDeviceSchema = z.object({
  deviceId: DeviceIdSchema,
  identityKey: IdentityKeySchema,
  registeredAt: TimestampMsSchema,
});
export const UserDevicesReplySchema = z.object({
  userId: UserIdSchema,
  devices: z.array(PublicDeviceSchema).max(MAX_DEVICES_PER_USER),
});

// ---- POST /v1/messages

export const SendMessageBodySchema = z
  .object({
    clientMessageId: ClientMessageIdSchema,
    envelopes: z.array(EnvelopeSchema).min(1).max(MAX_ENVELOPES_PER_SEND),
    group: GroupRefSchema.optional(),
  })
  .superRefine((body, ctx) => {
    checkEnvelopeSet(body.envelopes, ctx);
  });
/** Reply of both sends: `{clientMessageId, storedAt, recipients, deduplicated}`. */
export const SendMessageReplySchema = SendReplySchema;

// ---- POST /v1/groups/:groupId/messages (sender key; the service fans out)

export const SendGroupMessageBodySchema = SendGroupRequestSchema.pick({
  clientMessageId: true,
  epoch: true,
  ciphertext: true,
});

// ---- GET /v1/mailbox?limit=&after=  and  POST /v1/mailbox/ack

/** A non-negative decimal integer in a query string (no signs, exponents or spaces). */
function queryInt(min: number, max: number) {
  return z.codec(
    z.string().regex(/^[0-9]{1,10}$/, { message: 'expected a decimal number' }),
    z.number().int().min(min).max(max),
    {
      decode: (text) => Number(text),
      encode: (n) => String(n),
    },
  );
}

export const MailboxQuerySchema = z.object({
  limit: queryInt(1, MAX_MAILBOX_PAGE).optional(),
  /** Continue after this message id (paging without acking). */
  after: MessageIdSchema.optional(),
});
/** `{messages: StoredMessage[], more}`, oldest first. */
export const MailboxReplySchema = FetchMailboxReplySchema;

export const AckBodySchema = AckRequestSchema.pick({ messageIds: true });
export const AckReplyBodySchema = AckReplySchema;

// ---- Groups

/** POST /v1/groups: the signed genesis change; `members` includes the creator. */
export const CreateGroupBodySchema = CreateGroupRequestSchema.omit({ actor: true });
export const CreateGroupReplyBodySchema = CreateGroupReplySchema;

/** POST /v1/groups/:groupId/members and /members/remove. */
export const ChangeMembersBodySchema = ChangeMembersRequestSchema.omit({
  groupId: true,
  actor: true,
});
export const ChangeMembersReplyBodySchema = ChangeMembersReplySchema;

/** GET /v1/groups/:groupId/members */
export const GroupMembersReplySchema = ListMembersReplySchema;

/** GET /v1/groups/:groupId/chain?fromEpoch=&limit= */
export const ChainQuerySchema = z.object({
  fromEpoch: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: queryInt(1, MAX_CHAIN_PAGE).optional(),
});
export const GroupChainReplySchema = GetChainReplySchema;
