/**
 * End to end with the real message-delivery service and the prekey directory it checks
 * recipients against (same NATS namespace, databases of their own): a message to an offline device makes message-delivery publish
 * `stored-for-offline-device`, and push-notification wakes that device; a device whose
 * gateway takes the message live gets no push.
 */
import { liveDeliveryRpc, Rpc } from '@parley/contracts';
import type { RunningService } from '@parley/server-kit';
import { loadConfig, serveRpc } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, testNatsUrl } from '@parley/testing';
import { initProtocol } from '@parley/protocol';
import pino from 'pino';
// Only tests reach into another app: the real message-delivery publishes the events.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { MessageDeliveryEnvSchema } from '../../message-delivery/src/app/message-delivery.config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startMessageDelivery } from '../../message-delivery/src/app/start-message-delivery';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PrekeyDirectoryEnvSchema } from '../../prekey-directory/src/app/prekey-directory.config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startPrekeyDirectory } from '../../prekey-directory/src/app/start-prekey-directory';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { makeDevice, registerRequest } from '../../prekey-directory/test/helpers';
import type { Harness } from './support/harness';
import { device, startHarness, waitFor } from './support/harness';

describe('push for offline devices only (with message-delivery)', () => {
  let h: Harness;
  let deliveryDb: TestDatabase;
  let directoryDb: TestDatabase;
  let delivery: RunningService;
  let directory: RunningService;

  beforeAll(async () => {
    await initProtocol();
    h = await startHarness('push-e2e');
    [deliveryDb, directoryDb] = await Promise.all([
      createTestDatabase({ label: 'push_e2e_delivery' }),
      createTestDatabase({ label: 'push_e2e_directory' }),
    ]);
    directory = await startPrekeyDirectory(
      loadConfig(PrekeyDirectoryEnvSchema, {
        PARLEY_NATS_URL: testNatsUrl(),
        PARLEY_NATS_PREFIX: h.namespace,
        PARLEY_INSTANCE_ID: 'prekeys-1',
        PARLEY_LOG_LEVEL: 'silent',
        DATABASE_URL: directoryDb.url,
      }),
      { shutdownHooks: false },
    );
    delivery = await startMessageDelivery(
      loadConfig(MessageDeliveryEnvSchema, {
        PARLEY_NATS_URL: testNatsUrl(),
        PARLEY_NATS_PREFIX: h.namespace,
        PARLEY_INSTANCE_ID: 'delivery-1',
        PARLEY_LOG_LEVEL: 'silent',
        DATABASE_URL: deliveryDb.url,
        DELIVERY_LIVE_TIMEOUT_MS: '1000',
      }),
      { shutdownHooks: false },
    );
  });
  afterAll(async () => {
    await delivery.close();
    await directory.close();
    await h.close();
    await Promise.all([deliveryDb.drop(), directoryDb.drop()]);
  });

  it('wakes the offline recipient, not the one connected to a gateway', async () => {
    const alice = device('alice');
    const offline = device('bob');
    const online = device('carol');
    // Devices exist through the directory (message-delivery checks recipients against it).
    for (const d of [alice, offline, online]) {
      await h.call(Rpc.prekeys.registerDevice, registerRequest(makeDevice(d.userId, d.deviceId)));
    }
    const offlineSub = await h.subscribeWebPush(offline);
    const onlineSub = await h.subscribeWebPush(online);
    // What the gateway holding carol's socket does.
    const live = serveRpc(
      h.nc,
      liveDeliveryRpc(online.userId, online.deviceId),
      () => Promise.resolve({ delivered: true }),
      { namespace: h.namespace, logger: pino({ level: 'silent' }) },
    );
    await h.nc.flush();
    try {
      const content = new TextEncoder().encode('ciphertext-that-must-not-leak');
      await h.call(Rpc.delivery.sendPairwise, {
        sender: alice,
        clientMessageId: `cm-${alice.userId}`,
        envelopes: [
          { recipient: offline, type: 'message', content },
          { recipient: online, type: 'message', content },
        ],
      });
      const [push] = await waitFor(
        () => (h.webPush.pushesTo(offlineSub).length ? h.webPush.pushesTo(offlineSub) : undefined),
        'the push to the offline device',
      );
      expect(JSON.parse(push!.plaintext)).toEqual({ type: 'wakeup', v: 1 });
      await h.drained();
      expect(h.webPush.pushesTo(offlineSub)).toHaveLength(1);
      expect(h.webPush.pushesTo(onlineSub)).toHaveLength(0);
    } finally {
      live.unsubscribe();
    }
  });
});
