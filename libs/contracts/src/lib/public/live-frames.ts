/**
 * JSON frames of the live WebSocket `/v1/ws` (text frames, one object each), shared by the
 * gateway and the client SDK (docs/gateway-api.md). Parse server frames with
 * `ServerFrameSchema` (base64 content decodes to bytes); `ServerFrameWire` is what travels.
 * Browser-safe: zod and the contracts only.
 */
import { z } from 'zod';
import { MAX_MEMBERS_PER_CHANGE } from '../limits';
import { DeviceIdSchema, GroupIdSchema, UserIdSchema } from '../primitives/ids';
import { AckRequestSchema, StoredMessageSchema } from '../services/delivery.contract';
import { EpochSchema, MembershipChangedEventSchema } from '../services/groups.contract';
import {
  SendGroupMessageBodySchema,
  SendMessageBodySchema,
  SendMessageReplySchema,
} from './gateway-http';

/** Client-chosen correlation id echoed in `pong`, `acked`, `sent` and `error`. */
export const FrameIdSchema = z.string().max(64);
/** Bearer tokens are 43 characters of base64url; anything this long is not one. */
export const FRAME_TOKEN_MAX_LENGTH = 128;

export const AuthFrameSchema = z.object({
  type: z.literal('auth'),
  token: z.string().max(FRAME_TOKEN_MAX_LENGTH),
});
export const PingFrameSchema = z.object({ type: z.literal('ping'), id: FrameIdSchema.optional() });
/** Acknowledges delivered messages: they leave the mailbox (answered with `acked`). */
export const AckFrameSchema = z.object({
  type: z.literal('ack'),
  messageIds: AckRequestSchema.shape.messageIds,
  id: FrameIdSchema.optional(),
});

/**
 * POST /v1/messages over the socket: the same body (and rules), plus the frame's `id`, which
 * the `sent` (or `error`) reply echoes. Safe to retry with the same clientMessageId.
 */
export const SendFrameSchema = SendMessageBodySchema.safeExtend({
  type: z.literal('send'),
  id: FrameIdSchema,
});
/** POST /v1/groups/:groupId/messages over the socket: the same body plus `groupId` and `id`. */
export const SendGroupFrameSchema = SendGroupMessageBodySchema.extend({
  type: z.literal('send-group'),
  id: FrameIdSchema,
  groupId: GroupIdSchema,
});
/** Frame types that may be larger than the other frames (up to the message body limit). */
export const SEND_FRAME_TYPES: ReadonlySet<string> = new Set(['send', 'send-group']);

export const ClientFrameSchema = z.discriminatedUnion('type', [
  /** First frame when the token did not come with the upgrade request. */
  AuthFrameSchema,
  PingFrameSchema,
  AckFrameSchema,
  SendFrameSchema,
  SendGroupFrameSchema,
]);
export type ClientFrame = z.output<typeof ClientFrameSchema>;
export type ClientFrameWire = z.input<typeof ClientFrameSchema>;

export const ReadyFrameSchema = z.object({
  type: z.literal('ready'),
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
});
/** A live message; it stays in the mailbox until acked (de-duplicate by `messageId`). */
export const MessageFrameSchema = z.object({
  type: z.literal('message'),
  message: StoredMessageSchema,
});
/** Answers an ack frame that carried an `id` (an ack without one is not answered). */
export const AckedFrameSchema = z.object({
  type: z.literal('acked'),
  id: FrameIdSchema,
  deleted: z.number().int().nonnegative(),
});
/** A group the device's user is (or, for `removed`, was) in changed: fetch the chain. */
export const MembershipFrameSchema = z.object({
  type: z.literal('membership'),
  groupId: GroupIdSchema,
  epoch: EpochSchema,
  kind: MembershipChangedEventSchema.shape.kind,
  userIds: z.array(UserIdSchema).max(MAX_MEMBERS_PER_CHANGE),
});
/** Upload more one-time prekeys. */
export const PreKeysLowFrameSchema = z.object({
  type: z.literal('prekeys-low'),
  remaining: z.number().int().nonnegative(),
  threshold: z.number().int().nonnegative(),
});
/**
 * Messages may wait in the mailbox that were not sent live (a message-delivery instance
 * restarted): drain the mailbox, as after `ready`.
 */
export const SyncFrameSchema = z.object({ type: z.literal('sync') });
export const PongFrameSchema = z.object({ type: z.literal('pong'), id: FrameIdSchema.optional() });
/** A stored `send` or `send-group`: the HTTP send reply plus the frame's `id`. */
export const SentFrameSchema = SendMessageReplySchema.extend({
  type: z.literal('sent'),
  id: FrameIdSchema,
});
/**
 * A refused frame or a failed ack or send; `code` is a PARLEY error code, `id` the frame's id
 * if it could be read. `details` are those the HTTP route's error would carry (e.g.
 * MISMATCHED_DEVICES `{missing, stale}`): rebuild a typed error with `parleyErrorFromJSON`,
 * which checks them against the code's bounded shape.
 */
export const ErrorFrameSchema = z.object({
  type: z.literal('error'),
  code: z.string().max(64),
  message: z.string().max(1024),
  id: FrameIdSchema.optional(),
  details: z.record(z.string().max(64), z.unknown()).optional(),
});

export const ServerFrameSchema = z.discriminatedUnion('type', [
  ReadyFrameSchema,
  MessageFrameSchema,
  AckedFrameSchema,
  MembershipFrameSchema,
  PreKeysLowFrameSchema,
  SyncFrameSchema,
  PongFrameSchema,
  SentFrameSchema,
  ErrorFrameSchema,
]);
/** A server frame as code sees it (message content as bytes). */
export type ServerFrame = z.output<typeof ServerFrameSchema>;
/** A server frame as it travels (message content as base64). */
export type ServerFrameWire = z.input<typeof ServerFrameSchema>;

/** Close codes (4000-4999 are the application's). */
export const CLOSE_UNAUTHENTICATED = 4401;
/** The same device connected again; the newer socket took over. */
export const CLOSE_REPLACED = 4409;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
/** A frame over the size limit (a send over the message body limit; any other over 64 KiB before auth). */
export const CLOSE_TOO_BIG = 1009;
