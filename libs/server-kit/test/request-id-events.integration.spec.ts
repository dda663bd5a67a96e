/** The request id travels with a JetStream event: its consumer handles it under the same id. */
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import { DeliveryEvents } from '@parley/contracts';
import { consumeEvents, publishEvent } from '../src/lib/jetstream/jetstream-events';
import { createLogger } from '../src/lib/logging/logger';
import { currentRequestId, runWithRequestId } from '../src/lib/observability/request-context';
import { LogCapture, NATS_URL, uniqueNamespace } from './helpers';

describe('request ids across JetStream', () => {
  let nc: NatsConnection;
  const namespace = uniqueNamespace('jsrid');

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    const jsm = await nc.jetstreamManager();
    for await (const s of jsm.streams.list()) {
      if (s.config.name.startsWith(namespace)) await jsm.streams.delete(s.config.name);
    }
    await nc.close();
  });

  it('the consumer sees the publisher’s id, in its context and its log lines', async () => {
    const capture = new LogCapture();
    const logger = createLogger({ service: 'c', instanceId: 'c1', destination: capture });
    const seen: (string | undefined)[] = [];
    const consumer = await consumeEvents(nc, {
      namespace,
      contract: DeliveryEvents.storedForOfflineDevice,
      durable: 'rid',
      logger,
      handler: (event) => {
        seen.push(currentRequestId());
        logger.info({ messageId: event.messageId }, 'handled');
        return Promise.resolve();
      },
    });
    try {
      const event = { recipient: { userId: 'bob', deviceId: 1 }, messageId: '7', at: 1 };
      await runWithRequestId('evt-req-42', () =>
        publishEvent(nc, DeliveryEvents.storedForOfflineDevice, event, { namespace, msgId: 'm-7' }),
      );
      const deadline = Date.now() + 10_000;
      while (seen.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual(['evt-req-42']);
      expect(capture.records().find((r) => r['msg'] === 'handled')).toMatchObject({
        requestId: 'evt-req-42',
      });
    } finally {
      await consumer.stop();
    }
  });
});
