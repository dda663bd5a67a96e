import type { StoredMessage } from '@parley/contracts';
import { StoredMessageSchema } from '@parley/contracts';
import { z } from 'zod';
import { storedMessageWire } from './stored-message.wire';

const message = (type: StoredMessage['type'], groupId?: string): StoredMessage => ({
  messageId: '9007199254740993',
  sender: { userId: 'alice', deviceId: 4_294_967_295 },
  type,
  ...(groupId === undefined ? {} : { groupId }),
  clientMessageId: 'c-1',
  // A view into a larger buffer: only its own bytes count.
  content: new Uint8Array([7, 0, 1, 2, 250, 251, 255, 7]).subarray(1, 7),
  storedAt: 1_700_000_000_123,
});

describe('storedMessageWire', () => {
  it.each([
    ['message', undefined],
    ['prekey', undefined],
    ['sender-key', 'g'.repeat(64)],
    ['message', 'pairwise-group'],
  ] as const)('is exactly what the contract schema encodes (%s, group %s)', (type, groupId) => {
    const m = message(type, groupId);
    const decoded = { ...m, content: new Uint8Array(m.content) };
    expect(JSON.stringify(storedMessageWire(m))).toBe(
      JSON.stringify(z.encode(StoredMessageSchema, decoded)),
    );
  });

  it('takes content already encoded as it is', () => {
    expect(storedMessageWire(message('message'), 'AAAA').content).toBe('AAAA');
  });
});
