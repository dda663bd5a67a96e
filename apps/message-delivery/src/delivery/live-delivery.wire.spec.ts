import { LiveDeliveryRequestSchema } from '@parley/contracts';
import { z } from 'zod';
import type { LiveDelivery } from './live-delivery.dispatcher';
import type { Base64Memo } from './live-delivery.wire';
import { liveMessageJson, liveRequestJson } from './live-delivery.wire';

/** A live delivery's request `data`, as the dispatcher writes it. */
const liveDeliveryJson = (d: LiveDelivery, memo: Base64Memo) =>
  liveRequestJson(d.recipient, liveMessageJson(d, memo));

const delivery = (
  groupId?: string,
  content = new Uint8Array([0, 1, 2, 250, 251, 255]),
): LiveDelivery => ({
  recipient: { userId: 'bob', deviceId: 2 },
  message: {
    messageId: '42',
    sender: { userId: 'alice', deviceId: 1 },
    type: groupId ? 'sender-key' : 'message',
    ...(groupId ? { groupId } : {}),
    clientMessageId: 'c-1',
    content,
    storedAt: 1_700_000_000_123,
  },
});

describe('liveRequestJson around liveMessageJson', () => {
  it.each([undefined, 'a'.repeat(64)])(
    'is exactly what the contract schema encodes (group %s)',
    (groupId) => {
      const d = delivery(groupId);
      expect(liveDeliveryJson(d, new WeakMap())).toBe(
        JSON.stringify(z.encode(LiveDeliveryRequestSchema, d)),
      );
    },
  );

  it('encodes a ciphertext shared by many recipients once, and a subarray by its own bytes', () => {
    const memo = new WeakMap<Uint8Array, string>();
    const shared = new Uint8Array([9, 8, 7, 6]);
    liveDeliveryJson(delivery(undefined, shared), memo);
    expect(memo.get(shared)).toBe(Buffer.from(shared).toString('base64'));
    const view = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 3);
    const parsed = JSON.parse(liveDeliveryJson(delivery(undefined, view), memo)) as {
      message: { content: string };
    };
    expect(parsed.message.content).toBe(Buffer.from([2, 3]).toString('base64'));
  });
});
