/**
 * message-delivery: per-device mailboxes. A send is stored before it is acknowledged and
 * is idempotent on (sender device, clientMessageId); a message leaves a mailbox only on
 * the recipient's ack. Live delivery goes to the gateway holding the recipient's socket.
 */
import { z } from 'zod';
import type { RpcContract } from '../contract';
import { defineEvent, defineRpc } from '../contract';
import {
  DEFAULT_MAILBOX_PAGE,
  MAX_ENVELOPES_PER_SEND,
  MAX_MAILBOX_PAGE,
  MAX_MAILBOX_PAGE_CONTENT_BYTES,
  MAX_MESSAGE_CONTENT_BYTES,
  MAX_SEND_CONTENT_TOTAL_BYTES,
} from '../limits';
import { SerializedParleyErrorSchema } from '../errors/error-wire';
import { base64Bytes } from '../primitives/base64-bytes';
import {
  ClientMessageIdSchema,
  DeviceAddressSchema,
  GatewayIdSchema,
  GroupIdSchema,
  MessageIdSchema,
  TimestampMsSchema,
} from '../primitives/ids';
import { createSubjects, SERVICES, SUBJECTS } from '../subjects';
import { EpochSchema } from './groups.contract';

export { DEFAULT_MAILBOX_PAGE };

export const MessageContentSchema = base64Bytes({ max: MAX_MESSAGE_CONTENT_BYTES });

/** `prekey`: an X3DH initial message; `message`: a Double Ratchet message. */
export const EnvelopeTypeSchema = z.enum(['prekey', 'message']);
/** What a recipient gets: a pairwise envelope type, or `sender-key` for a group ciphertext. */
export const StoredMessageTypeSchema = z.enum(['prekey', 'message', 'sender-key']);

export const EnvelopeSchema = z.object({
  recipient: DeviceAddressSchema,
  type: EnvelopeTypeSchema,
  content: MessageContentSchema,
});

const addressKey = (a: { userId: string; deviceId: number }) => `${a.userId}/${a.deviceId}`;

/** A pairwise send that is a group message names the group and the epoch it was built for. */
export const GroupRefSchema = z.object({ groupId: GroupIdSchema, epoch: EpochSchema });

/**
 * The rules of one send's envelope set, shared by the service contract and the gateway's
 * public body: one envelope per recipient device, none to the sending device (when known),
 * and at most MAX_SEND_CONTENT_TOTAL_BYTES of content in all.
 */
export function checkEnvelopeSet(
  envelopes: readonly z.output<typeof EnvelopeSchema>[],
  ctx: z.RefinementCtx,
  sender?: { userId: string; deviceId: number },
): void {
  const seen = new Set<string>();
  const senderKey = sender === undefined ? undefined : addressKey(sender);
  let total = 0;
  envelopes.forEach((e, i) => {
    const key = addressKey(e.recipient);
    if (seen.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: ['envelopes', i, 'recipient'],
        message: 'duplicate recipient device',
      });
    }
    if (key === senderKey) {
      ctx.addIssue({
        code: 'custom',
        path: ['envelopes', i, 'recipient'],
        message: 'envelope to the sending device',
      });
    }
    seen.add(key);
    total += e.content.length;
  });
  if (total > MAX_SEND_CONTENT_TOTAL_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['envelopes'],
      message: `envelopes total more than ${MAX_SEND_CONTENT_TOTAL_BYTES} bytes`,
    });
  }
}

export const SendPairwiseRequestSchema = z
  .object({
    sender: DeviceAddressSchema,
    clientMessageId: ClientMessageIdSchema,
    envelopes: z.array(EnvelopeSchema).min(1).max(MAX_ENVELOPES_PER_SEND),
    /**
     * A pairwise-encrypted group message: the sender must be a member, `epoch` the group's
     * current one, and the envelopes must cover every device of every member but the sender's.
     */
    group: GroupRefSchema.optional(),
  })
  .superRefine((req, ctx) => {
    checkEnvelopeSet(req.envelopes, ctx, req.sender);
  });

export const SendReplySchema = z.object({
  clientMessageId: ClientMessageIdSchema,
  storedAt: TimestampMsSchema,
  /** Mailboxes the message went into. */
  recipients: z.number().int().nonnegative(),
  /** True when this was a resend of an already stored clientMessageId (nothing new stored). */
  deduplicated: z.boolean(),
});

export const SendGroupRequestSchema = z.object({
  sender: DeviceAddressSchema,
  clientMessageId: ClientMessageIdSchema,
  groupId: GroupIdSchema,
  /** Membership epoch the sender's sender key was distributed for: stale -> EPOCH_CONFLICT. */
  epoch: EpochSchema,
  /** One sender-key ciphertext; the service fans it out to every other member device. */
  ciphertext: MessageContentSchema,
});

export const StoredMessageSchema = z.object({
  messageId: MessageIdSchema,
  sender: DeviceAddressSchema,
  type: StoredMessageTypeSchema,
  /** Set for sender-key group messages. */
  groupId: GroupIdSchema.optional(),
  clientMessageId: ClientMessageIdSchema,
  content: MessageContentSchema,
  storedAt: TimestampMsSchema,
});
export type StoredMessage = z.output<typeof StoredMessageSchema>;

export const FetchMailboxRequestSchema = z.object({
  device: DeviceAddressSchema,
  limit: z.number().int().min(1).max(MAX_MAILBOX_PAGE).optional(),
  /** Continue after this message (paging without acking); from the oldest when absent. */
  after: MessageIdSchema.optional(),
});
export const FetchMailboxReplySchema = z.object({
  messages: z
    .array(StoredMessageSchema)
    .max(MAX_MAILBOX_PAGE)
    .refine(
      (ms) => ms.reduce((n, m) => n + m.content.length, 0) <= MAX_MAILBOX_PAGE_CONTENT_BYTES,
      { message: `page content larger than ${MAX_MAILBOX_PAGE_CONTENT_BYTES} bytes` },
    ),
  /** More messages wait after this page. */
  more: z.boolean(),
});

export const AckRequestSchema = z.object({
  device: DeviceAddressSchema,
  messageIds: z
    .array(MessageIdSchema)
    .min(1)
    .max(MAX_MAILBOX_PAGE)
    .refine((ids) => new Set(ids).size === ids.length, { message: 'message ids must be unique' }),
});
export const AckReplySchema = z.object({
  /** Messages removed; ids already gone (or not this device's) are ignored. */
  deleted: z.number().int().nonnegative(),
});

export const LiveDeliveryRequestSchema = z.object({
  recipient: DeviceAddressSchema,
  message: StoredMessageSchema,
});
export const LiveDeliveryReplySchema = z.object({
  /** Written to the device's socket (the message stays in the mailbox until acked). */
  delivered: z.boolean(),
  /**
   * The gateway that delivered it: message-delivery sends that device's next deliveries in
   * the gateway's live batch (it learns the same from presence, but only for devices that
   * connected while it was running).
   */
  gatewayId: GatewayIdSchema.optional(),
});

export const StoredForOfflineDeviceEventSchema = z.object({
  recipient: DeviceAddressSchema,
  messageId: MessageIdSchema,
  at: TimestampMsSchema,
});

export const MailboxResyncEventSchema = z.object({
  /** The message-delivery instance that started. */
  instanceId: z.string().min(1).max(128),
  at: TimestampMsSchema,
});

/** Operations per `delivery.batch` request. */
export const MAX_DELIVERY_BATCH_ITEMS = 256;

/**
 * One operation of a batch: exactly the request of the single-operation RPC it stands for,
 * answered as that RPC would answer it (a reply or a typed error of its own).
 */
export const DeliveryBatchItemSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('send-pairwise'), request: SendPairwiseRequestSchema }),
  z.object({ op: z.literal('send-group'), request: SendGroupRequestSchema }),
  z.object({ op: z.literal('ack'), request: AckRequestSchema }),
]);
export type DeliveryBatchOp = z.output<typeof DeliveryBatchItemSchema>['op'];

export const DeliveryBatchRequestSchema = z.object({
  items: z.array(DeliveryBatchItemSchema).min(1).max(MAX_DELIVERY_BATCH_ITEMS),
});

/** Per item, in request order: its reply, or the error the single RPC would have raised. */
export const DeliveryBatchResultSchema = z.union([
  z.object({ ok: z.union([SendReplySchema, AckReplySchema]) }),
  z.object({ err: SerializedParleyErrorSchema }),
]);
export const DeliveryBatchReplySchema = z.object({
  results: z.array(DeliveryBatchResultSchema).max(MAX_DELIVERY_BATCH_ITEMS),
});

const service = SERVICES.messageDelivery;

export const DeliveryRpc = {
  sendPairwise: defineRpc({
    subject: SUBJECTS.delivery.sendPairwise,
    service,
    request: SendPairwiseRequestSchema,
    reply: SendReplySchema,
  }),
  sendGroup: defineRpc({
    subject: SUBJECTS.delivery.sendGroup,
    service,
    request: SendGroupRequestSchema,
    reply: SendReplySchema,
  }),
  fetchMailbox: defineRpc({
    subject: SUBJECTS.delivery.fetchMailbox,
    service,
    request: FetchMailboxRequestSchema,
    reply: FetchMailboxReplySchema,
  }),
  ack: defineRpc({
    subject: SUBJECTS.delivery.ack,
    service,
    request: AckRequestSchema,
    reply: AckReplySchema,
  }),
  /**
   * Sends and acks that arrived together at a gateway, in one request: one NATS round trip
   * and one handler dispatch for all of them, each item still checked, stored and answered
   * on its own.
   */
  batch: defineRpc({
    subject: SUBJECTS.delivery.batch,
    service,
    request: DeliveryBatchRequestSchema,
    reply: DeliveryBatchReplySchema,
  }),
} as const;

export type LiveDeliveryContract = RpcContract<
  typeof LiveDeliveryRequestSchema,
  typeof LiveDeliveryReplySchema
>;

/**
 * Live delivery to one device: message-delivery sends it, the gateway holding the device
 * answers. "No responders" (UNAVAILABLE) means the device is offline.
 */
export function liveDeliveryRpc(userId: string, deviceId: number): LiveDeliveryContract {
  return defineRpc({
    subject: createSubjects().live.device(userId, deviceId),
    service: undefined,
    request: LiveDeliveryRequestSchema,
    reply: LiveDeliveryReplySchema,
  });
}

export const DeliveryEvents = {
  /** For push-notification: wake the device (the event carries no content). */
  storedForOfflineDevice: defineEvent({
    subject: SUBJECTS.events.storedForOfflineDevice,
    stream: 'events',
    schema: StoredForOfflineDeviceEventSchema,
  }),
  /**
   * Core NATS, published by every message-delivery instance when it starts: the live
   * deliveries a dead instance had not sent yet are only in the mailboxes, so gateways send
   * their sockets a `sync` frame (the client drains its mailbox).
   */
  mailboxResync: defineEvent({
    subject: SUBJECTS.mailbox.resync,
    stream: undefined,
    schema: MailboxResyncEventSchema,
  }),
} as const;
