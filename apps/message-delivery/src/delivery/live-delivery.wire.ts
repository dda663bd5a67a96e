/**
 * The `data` of a live-delivery request as JSON, written directly: the same bytes
 * `z.encode(LiveDeliveryRequestSchema, …)` gives (a test holds them equal), without a
 * schema walk per recipient. A ciphertext shared by many recipients (a sender-key group
 * send) is base64-encoded once.
 */
import type { LiveDelivery } from './live-delivery.dispatcher';

export type Base64Memo = WeakMap<Uint8Array, string>;

export function liveDeliveryJson(d: LiveDelivery, memo: Base64Memo): string {
  const m = d.message;
  let content = memo.get(m.content);
  if (content === undefined) {
    content = Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength).toString(
      'base64',
    );
    memo.set(m.content, content);
  }
  return JSON.stringify({
    recipient: { userId: d.recipient.userId, deviceId: d.recipient.deviceId },
    message: {
      messageId: m.messageId,
      sender: { userId: m.sender.userId, deviceId: m.sender.deviceId },
      type: m.type,
      ...(m.groupId === undefined ? {} : { groupId: m.groupId }),
      clientMessageId: m.clientMessageId,
      content,
      storedAt: m.storedAt,
    },
  });
}
