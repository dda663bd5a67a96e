/**
 * JetStream events against the real server: publish with ack and dedup id, a durable
 * consumer that resumes where it stopped, poison messages terminated, failures redelivered.
 */
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import type { EventOf } from '@parley/contracts';
import { DeliveryEvents, namespaced, namespacedName, STREAMS } from '@parley/contracts';
import { consumeEvents, ensureStream, publishEvent } from '../src/lib/jetstream/jetstream-events';
import type { EventMeta } from '../src/lib/jetstream/jetstream-events';
import { createLogger } from '../src/lib/logging/logger';
import { LogCapture, NATS_URL, uniqueNamespace } from './helpers';

const contract = DeliveryEvents.storedForOfflineDevice;
type Stored = EventOf<typeof contract>;
const event = (messageId: string): Stored => ({
  recipient: { userId: 'bob', deviceId: 1 },
  messageId,
  at: 1,
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('JetStream events', () => {
  const namespace = uniqueNamespace('js');
  const capture = new LogCapture();
  const logger = createLogger({
    service: 'js-test',
    instanceId: 'x',
    level: 'debug',
    destination: capture,
  });
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(namespacedName(namespace, STREAMS.events)).catch(() => undefined);
    await nc.close();
  });

  it('ensureStream is idempotent and namespaced', async () => {
    const a = await ensureStream(nc, 'events', { namespace });
    const b = await ensureStream(nc, 'events', { namespace });
    expect(a).toBe(b);
    expect(a).toBe(namespacedName(namespace, 'PARLEY_EVENTS'));
    const info = await (await nc.jetstreamManager()).streams.info(a);
    expect(info.config.subjects).toEqual([`${namespace}.parley.events.>`]);
  });

  it('publishes with ack, dedups on msgId, and a durable consumer resumes after a restart', async () => {
    await ensureStream(nc, 'events', { namespace });
    const got: { id: string; meta: EventMeta }[] = [];
    const handler = (e: Stored, meta: EventMeta) => {
      got.push({ id: e.messageId, meta });
      return Promise.resolve();
    };
    const first = await consumeEvents(nc, {
      namespace,
      contract,
      durable: 'push-offline',
      handler,
      logger,
    });
    const acks = [];
    for (const id of ['m1', 'm2', 'm3'])
      acks.push(await publishEvent(nc, contract, event(id), { namespace, msgId: id }));
    const again = await publishEvent(nc, contract, event('m2'), { namespace, msgId: 'm2' });
    expect(acks.map((a) => a.duplicate)).toEqual([false, false, false]);
    expect(again.duplicate).toBe(true);
    await until(() => got.length === 3);
    await first.stop();

    // Published while nobody consumes: kept by the stream.
    await publishEvent(nc, contract, event('m4'), { namespace, msgId: 'm4' });
    await publishEvent(nc, contract, event('m5'), { namespace, msgId: 'm5' });
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((g) => g.id)).toEqual(['m1', 'm2', 'm3']);

    const second = await consumeEvents(nc, {
      namespace,
      contract,
      durable: 'push-offline',
      handler,
      logger,
    });
    await until(() => got.length === 5);
    await new Promise((r) => setTimeout(r, 200));
    await second.stop();
    // Exactly the new ones, in order, once each: acked events are not redelivered.
    expect(got.map((g) => g.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(got.map((g) => g.meta.msgId)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(got.every((g) => g.meta.deliveryCount === 1)).toBe(true);
  });

  it('terminates events that break the contract and redelivers after a handler failure', async () => {
    await ensureStream(nc, 'events', { namespace });
    const seen: string[] = [];
    let failOnce = true;
    const consumer = await consumeEvents(nc, {
      namespace,
      contract,
      durable: 'retry-test',
      retryDelayMs: 50,
      logger,
      handler: (e, meta) => {
        seen.push(`${e.messageId}#${meta.deliveryCount}`);
        if (e.messageId === 'r1' && failOnce) {
          failOnce = false;
          return Promise.reject(new Error('provider down'));
        }
        return Promise.resolve();
      },
    });
    // Skip what the previous test left in the stream.
    await until(() => seen.length >= 5);
    seen.length = 0;
    const subject = namespaced(namespace, contract.subject);
    await nc
      .jetstream()
      .publish(subject, new TextEncoder().encode('{"not":"an event"}'), { msgID: 'poison' });
    await publishEvent(nc, contract, event('r1'), { namespace, msgId: 'r1' });
    await until(() => seen.includes('r1#2'));
    await consumer.stop();
    expect(seen).toEqual(['r1#1', 'r1#2']);
    expect(capture.text).toContain('event refused: it does not match its contract');
    expect(capture.text).toContain('event handler failed; will be redelivered');
  });

  it('refuses to publish an event that breaks its contract', async () => {
    await expect(
      publishEvent(
        nc,
        contract,
        { ...event('x'), recipient: { userId: 'bad.id', deviceId: 1 } },
        { namespace, msgId: 'bad' },
      ),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
