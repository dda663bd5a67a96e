import { randomUUID } from 'node:crypto';
import { createSubjects, LiveDeliveryRequestSchema, ServerFrameSchema } from '@parley/contracts';
import { z } from 'zod';
import { messageFrame } from './live-delivery.router';

const delivery = {
  recipient: { userId: 'bob_1-x', deviceId: 7 },
  message: {
    messageId: 'msg-1',
    sender: { userId: 'alice', deviceId: 1 },
    type: 'sender-key' as const,
    groupId: 'g-1',
    clientMessageId: 'c-1',
    content: new Uint8Array([0, 1, 2, 250, 251, 252]),
    storedAt: 1_700_000_000_000,
  },
};
const wire = z.encode(LiveDeliveryRequestSchema, delivery);
const subject = createSubjects().live.device('bob_1-x', 7);

describe('messageFrame', () => {
  it("builds the frame from the RPC client's packet bytes (the fast path)", () => {
    // The packet exactly as server-kit's request() encodes it.
    const packet = JSON.stringify({ pattern: subject, data: wire, id: randomUUID() });
    const frame = messageFrame(Buffer.from(packet));
    expect(frame).toBeDefined();
    const text = frame!.toString('utf8');
    expect(text.startsWith('{"type":"message","message":{"messageId":')).toBe(true);
    expect(JSON.parse(text)).toEqual({ type: 'message', message: wire.message });
    // What the SDK parses: the content decodes to the original bytes.
    expect(ServerFrameSchema.parse(JSON.parse(text))).toEqual({
      type: 'message',
      message: delivery.message,
    });
  });

  it('falls back to parsing a packet of another shape, and refuses one without a message', () => {
    const reordered = JSON.stringify({
      id: 'x',
      data: { message: wire.message, recipient: wire.recipient },
      pattern: subject,
    });
    expect(JSON.parse(messageFrame(Buffer.from(reordered))!.toString('utf8'))).toEqual({
      type: 'message',
      message: wire.message,
    });
    expect(
      messageFrame(Buffer.from('{"pattern":"p","data":{"recipient":{}},"id":"x"}')),
    ).toBeUndefined();
    expect(messageFrame(Buffer.from('not json'))).toBeUndefined();
  });

  it('reads a packet inside a larger buffer (NATS hands out views)', () => {
    const packet = Buffer.from(JSON.stringify({ pattern: subject, data: wire, id: 'r1' }));
    const backing = Buffer.concat([Buffer.from('garbage'), packet, Buffer.from('tail}')]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 7, packet.length);
    const frame = JSON.parse(messageFrame(view)!.toString('utf8')) as { message: unknown };
    expect(frame.message).toEqual(wire.message);
  });
});
