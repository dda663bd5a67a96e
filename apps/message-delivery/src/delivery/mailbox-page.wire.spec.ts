import { Rpc } from '@parley/contracts';
import { encodeReply, WireReply } from '@parley/server-kit';
import { z } from 'zod';
import { storedMessageWire } from './mailbox-page.wire';
import type { MailboxRow } from './mailbox.repository';

const row = (
  type: MailboxRow['type'],
  groupId: string | null,
  content: Uint8Array,
): MailboxRow => ({
  seq: 9_007_199_254_740_993n,
  type,
  content,
  storedAt: new Date(1_700_000_000_123),
  senderUserId: 'alice',
  senderDeviceId: 4_294_967_295,
  clientMessageId: 'c-1',
  groupId,
});

describe('storedMessageWire', () => {
  it.each([
    ['message', null],
    ['prekey', null],
    ['sender_key', 'g'.repeat(64)],
    ['message', 'pairwise-group'],
  ] as const)('is exactly what the contract schema encodes (%s, group %s)', (type, groupId) => {
    // A view into a larger buffer: only its own bytes count.
    const content = new Uint8Array([7, 0, 1, 2, 250, 251, 255, 7]).subarray(1, 7);
    const r = row(type, groupId, content);
    const decoded = {
      messageId: r.seq.toString(),
      sender: { userId: r.senderUserId, deviceId: r.senderDeviceId },
      type: type === 'sender_key' ? ('sender-key' as const) : type,
      ...(groupId === null ? {} : { groupId }),
      clientMessageId: r.clientMessageId,
      content: new Uint8Array(content),
      storedAt: r.storedAt.getTime(),
    };
    const reply = Rpc.delivery.fetchMailbox.reply;
    const wire = { messages: [storedMessageWire(r)], more: false };
    expect(JSON.stringify(wire)).toBe(
      JSON.stringify(z.encode(reply, { messages: [decoded], more: false })),
    );
    // And it is valid as the contract's wire form.
    expect(reply.safeParse(wire).success).toBe(true);
  });

  it('goes out as built: the handler wrapper does not encode a WireReply again', () => {
    const wire = { messages: [], more: true };
    expect(encodeReply(Rpc.delivery.fetchMailbox, new WireReply(wire))).toBe(wire);
  });
});
