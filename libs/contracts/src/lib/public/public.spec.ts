import { bytesToBase64 } from '../primitives/base64-bytes';
import {
  AckBodySchema,
  ApiErrorBodySchema,
  ChainQuerySchema,
  ChangeMembersBodySchema,
  MailboxQuerySchema,
  SendGroupMessageBodySchema,
  SendMessageBodySchema,
} from './gateway-http';
import { ClientFrameSchema, ServerFrameSchema } from './live-frames';

const content = bytesToBase64(new Uint8Array([1, 2, 3]));
const envelope = (userId: string, deviceId: number) => ({
  recipient: { userId, deviceId },
  type: 'message',
  content,
});

describe('public HTTP bodies', () => {
  it('accept a pairwise send with an optional group and refuse duplicate recipients', () => {
    const body = {
      clientMessageId: 'c1',
      envelopes: [envelope('bob', 1), envelope('bob', 2)],
      group: { groupId: 'g1', epoch: 3 },
    };
    const parsed = SendMessageBodySchema.parse(body);
    expect(parsed.envelopes[0]?.content).toEqual(new Uint8Array([1, 2, 3]));
    expect(
      SendMessageBodySchema.safeParse({
        ...body,
        envelopes: [envelope('bob', 1), envelope('bob', 1)],
      }).success,
    ).toBe(false);
    expect(
      SendMessageBodySchema.safeParse({ ...body, sender: { userId: 'x', deviceId: 1 } }).data,
    ).not.toHaveProperty('sender');
  });

  it('sender-key, ack and membership bodies never carry the sending device', () => {
    expect(
      SendGroupMessageBodySchema.parse({ clientMessageId: 'c', epoch: 0, ciphertext: content }),
    ).toEqual({
      clientMessageId: 'c',
      epoch: 0,
      ciphertext: new Uint8Array([1, 2, 3]),
    });
    expect(AckBodySchema.safeParse({ messageIds: ['a', 'a'] }).success).toBe(false);
    expect(Object.keys(ChangeMembersBodySchema.shape).sort()).toEqual([
      'baseEpoch',
      'change',
      'userIds',
    ]);
  });

  it('query strings decode to numbers and encode back', () => {
    expect(MailboxQuerySchema.parse({ limit: '20', after: 'm1' })).toEqual({
      limit: 20,
      after: 'm1',
    });
    expect(MailboxQuerySchema.safeParse({ limit: '0' }).success).toBe(false);
    expect(MailboxQuerySchema.safeParse({ limit: '1e2' }).success).toBe(false);
    expect(ChainQuerySchema.parse({})).toEqual({});
    expect(MailboxQuerySchema.encode({ limit: 5 })).toEqual({ limit: '5' });
  });

  it('error bodies wrap the serialized error', () => {
    expect(
      ApiErrorBodySchema.safeParse({
        error: { code: 'NOT_FOUND', message: 'x', details: { resource: 'user' } },
      }).success,
    ).toBe(true);
    expect(ApiErrorBodySchema.safeParse({ code: 'NOT_FOUND', message: 'x' }).success).toBe(false);
  });
});

describe('live frames', () => {
  it('parse client frames and refuse unknown ones', () => {
    expect(ClientFrameSchema.parse({ type: 'ack', messageIds: ['m1'], id: 'a' })).toEqual({
      type: 'ack',
      messageIds: ['m1'],
      id: 'a',
    });
    expect(ClientFrameSchema.safeParse({ type: 'ack', messageIds: [] }).success).toBe(false);
    expect(ClientFrameSchema.safeParse({ type: 'send' }).success).toBe(false);
  });

  it('send frames follow the HTTP send bodies and require an id', () => {
    const send = { type: 'send', id: 's1', clientMessageId: 'c1', envelopes: [envelope('bob', 1)] };
    const parsed = ClientFrameSchema.parse(send);
    expect(parsed.type === 'send' && parsed.envelopes[0]?.content).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    expect(ClientFrameSchema.safeParse({ ...send, id: undefined }).success).toBe(false);
    // The body's envelope-set rules apply to the frame too.
    expect(
      ClientFrameSchema.safeParse({ ...send, envelopes: [envelope('bob', 1), envelope('bob', 1)] })
        .success,
    ).toBe(false);
    const group = { type: 'send-group', id: 'g1', groupId: 'g', clientMessageId: 'c2', epoch: 1 };
    expect(ClientFrameSchema.safeParse({ ...group, ciphertext: content }).success).toBe(true);
    expect(ClientFrameSchema.safeParse(group).success).toBe(false);
    expect(
      ServerFrameSchema.parse({
        type: 'sent',
        id: 's1',
        clientMessageId: 'c1',
        storedAt: 1,
        recipients: 1,
        deduplicated: false,
      }),
    ).toMatchObject({ type: 'sent', id: 's1' });
    expect(
      ServerFrameSchema.parse({
        type: 'error',
        code: 'MISMATCHED_DEVICES',
        message: 'm',
        id: 's1',
        details: { missing: [], stale: [] },
      }),
    ).toMatchObject({ details: { missing: [], stale: [] } });
  });

  it('decode a message frame into bytes', () => {
    const frame = ServerFrameSchema.parse({
      type: 'message',
      message: {
        messageId: 'm1',
        sender: { userId: 'alice', deviceId: 1 },
        type: 'sender-key',
        groupId: 'g',
        clientMessageId: 'c',
        content,
        storedAt: 1,
      },
    });
    expect(frame.type === 'message' && frame.message.content).toEqual(new Uint8Array([1, 2, 3]));
    expect(
      ServerFrameSchema.parse({
        type: 'membership',
        groupId: 'g',
        epoch: 2,
        kind: 'removed',
        userIds: ['bob'],
      }),
    ).toMatchObject({ kind: 'removed' });
  });
});
