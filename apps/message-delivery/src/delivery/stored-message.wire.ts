/**
 * A stored message in its wire form, written directly: the same value
 * `z.encode(StoredMessageSchema, …)` gives (a test holds them equal), without a schema walk.
 * Used for live deliveries (mailbox pages are written by PostgreSQL, see pageJson in
 * mailbox.repository.ts). `content` may come base64-encoded already (a sender-key
 * ciphertext shared by many recipients).
 */
import type { StoredMessage, StoredMessageSchema } from '@parley/contracts';
import { bytesToBase64 } from '@parley/contracts';
import type { z } from 'zod';

export type StoredMessageWire = z.input<typeof StoredMessageSchema>;

export function storedMessageWire(
  m: StoredMessage,
  content: string = bytesToBase64(m.content),
): StoredMessageWire {
  return {
    messageId: m.messageId,
    sender: { userId: m.sender.userId, deviceId: m.sender.deviceId },
    type: m.type,
    ...(m.groupId === undefined ? {} : { groupId: m.groupId }),
    clientMessageId: m.clientMessageId,
    content,
    storedAt: m.storedAt,
  };
}
