import { randomUUID } from 'node:crypto';
import {
  createSubjects,
  encodeLiveBatch,
  LiveDeliveryReplySchema,
  LiveDeliveryRequestSchema,
  ServerFrameSchema,
} from '@parley/contracts';
import { testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { GatewayConfig } from '../../gateway.config';
import { ConnectionRegistry } from './connection.registry';
import { LIVE_MAX_BUFFERED_BYTES, LiveDeliveryRouter, messageFrame } from './live-delivery.router';

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

describe('LiveDeliveryRouter live batches (real NATS)', () => {
  const prefix = uniqueSubjectPrefix('livebatchrouter');
  const gatewayId = 'gw-test-1';
  let nc: NatsConnection;
  let router: LiveDeliveryRouter;
  const registry = new ConnectionRegistry<WebSocket>();

  /** A socket stand-in: open, `buffered` bytes waiting, frames it was sent. */
  const socket = (buffered = 0) => {
    const sent: string[] = [];
    const ws = {
      readyState: 1,
      bufferedAmount: buffered,
      send: (data: Buffer) => sent.push(data.toString('utf8')),
      close: () => undefined,
    };
    return { ws: ws as unknown as WebSocket, sent };
  };

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl() });
    const config = { PARLEY_NATS_PREFIX: prefix, PARLEY_INSTANCE_ID: gatewayId } as GatewayConfig;
    router = new LiveDeliveryRouter(nc, registry, config, pino({ level: 'silent' }));
    // Twice, as a hybrid Nest app does: still one subscription (one frame per line below).
    router.onModuleInit();
    router.onModuleInit();
    await nc.flush();
  });
  afterAll(async () => {
    router.onModuleDestroy();
    await nc.close();
  });

  it('writes each held device its frame and answers line by line', async () => {
    const bob = socket();
    const slow = socket(LIVE_MAX_BUFFERED_BYTES);
    registry.add({ userId: 'bob_1-x', deviceId: 7 }, bob.ws);
    registry.add({ userId: 'slow', deviceId: 1 }, slow.ws);
    const messageJson = JSON.stringify(wire.message);
    const body = encodeLiveBatch([
      { recipient: { userId: 'bob_1-x', deviceId: 7 }, messageJson },
      { recipient: { userId: 'nobody', deviceId: 1 }, messageJson },
      { recipient: { userId: 'slow', deviceId: 1 }, messageJson },
    ]);
    const reply = await nc.request(
      createSubjects(prefix).liveBatch.gateway(gatewayId),
      `${body}\nbob_1-x 7 garbage`,
    );
    expect(reply.string()).toBe('1000');
    expect(bob.sent).toHaveLength(1);
    expect(ServerFrameSchema.parse(JSON.parse(bob.sent[0]!))).toEqual({
      type: 'message',
      message: delivery.message,
    });
    expect(slow.sent).toHaveLength(0);
  });

  it("answers a device's own subject with a reply that names this gateway", async () => {
    const carol = socket();
    const device = { userId: 'carol', deviceId: 3 };
    registry.add(device, carol.ws);
    router.open(device);
    await nc.flush();
    const packet = JSON.stringify({ pattern: 'p', data: wire, id: '1' });
    const reply = await nc.request(createSubjects(prefix).live.device('carol', 3), packet);
    const { response } = reply.json<{ response: unknown }>();
    expect(LiveDeliveryReplySchema.parse(response)).toEqual({ delivered: true, gatewayId });
    expect(carol.sent).toHaveLength(1);
    router.close(device);
    registry.remove(device, carol.ws);
  });
});
