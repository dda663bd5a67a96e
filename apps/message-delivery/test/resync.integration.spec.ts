/**
 * A starting instance announces itself on `mailbox.resync` once it answers requests, so that
 * gateways make connected devices drain what a dead instance never offered live.
 */
import { Events, namespaced } from '@parley/contracts';
import { startMessageDelivery } from '../src/app/start-message-delivery';
import type { Harness } from './helpers';
import { startHarness, testConfig } from './helpers';

describe('mailbox resync on start', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('resync');
  });
  afterAll(async () => {
    await h.close();
  });

  it('publishes one resync event naming the instance when it starts', async () => {
    const contract = Events.delivery.mailboxResync;
    const events = h.nc.subscribe(namespaced(h.namespace, contract.subject), { max: 1 });
    const second = await startMessageDelivery(
      testConfig(h.namespace, h.db.url, { PARLEY_INSTANCE_ID: 'delivery-2' }),
      { shutdownHooks: false },
    );
    try {
      const received: unknown[] = [];
      for await (const m of events) received.push(contract.schema.parse(m.json()));
      expect(received).toEqual([{ instanceId: 'delivery-2', at: expect.any(Number) }]);
    } finally {
      await second.close();
    }
  });
});
