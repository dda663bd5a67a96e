/**
 * The `data` of a live-delivery request as JSON, written directly: the same bytes
 * `z.encode(LiveDeliveryRequestSchema, …)` gives (a test holds them equal), without a
 * schema walk per recipient. A ciphertext shared by many recipients (a sender-key group
 * send) is base64-encoded once.
 */
import { bytesToBase64 } from '@parley/contracts';
import type { LiveDelivery } from './live-delivery.dispatcher';
import { storedMessageWire } from './stored-message.wire';

export type Base64Memo = WeakMap<Uint8Array, string>;

/** The request's `data` around a message already in wire JSON (what JSON.stringify writes). */
export function liveRequestJson(recipient: LiveDelivery['recipient'], messageJson: string): string {
  const address = JSON.stringify({ userId: recipient.userId, deviceId: recipient.deviceId });
  return `{"recipient":${address},"message":${messageJson}}`;
}

/** The StoredMessage of a delivery in wire JSON (also a live-batch line's message). */
export function liveMessageJson(d: LiveDelivery, memo: Base64Memo): string {
  const m = d.message;
  let content = memo.get(m.content);
  if (content === undefined) {
    content = bytesToBase64(m.content);
    memo.set(m.content, content);
  }
  return JSON.stringify(storedMessageWire(m, content));
}
