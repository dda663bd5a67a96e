/**
 * Offline wake-ups (`stored-for-offline-device`) are coalesced per device: one per
 * DELIVERY_OFFLINE_EVENT_WINDOW_MS, the window ended early when the device comes online.
 * Every message is stored either way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceAddress } from '@parley/contracts';
import { Events, namespaced, Rpc } from '@parley/contracts';
import type { Harness } from './helpers';
import { mailboxCount, pairwise, startHarness, userId } from './helpers';

const D = Rpc.delivery;
const WINDOW_MS = 400;

describe('offline wake-ups', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('wakeups', { DELIVERY_OFFLINE_EVENT_WINDOW_MS: String(WINDOW_MS) });
  });
  afterAll(async () => {
    await h.close();
  });

  const sendTo = (from: DeviceAddress, to: DeviceAddress) =>
    h.call(D.sendPairwise, pairwise(from, [to]));

  /** Waits for `n` events, then a while longer to see that no more come. */
  async function settledEvents(device: DeviceAddress, n: number) {
    await h.waitForOfflineEvents(device, n);
    await sleep(150);
    return h.offlineEvents(device);
  }

  it('publishes one wake-up for a burst to an offline device, and another after the window', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob = { userId: userId('bob'), deviceId: 1 };
    await h.register(alice, bob);
    for (let i = 0; i < 5; i++) await sendTo(alice, bob);
    const first = await settledEvents(bob, 1);
    expect(first).toHaveLength(1);
    expect(await mailboxCount(h.db.url, bob)).toBe(5);

    await sleep(WINDOW_MS + 50);
    await sendTo(alice, bob);
    expect(await settledEvents(bob, 2)).toHaveLength(2);
  });

  it('a device that came online and went away again is woken by its next message at once', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const carol = { userId: userId('carol'), deviceId: 1 };
    await h.register(alice, carol);
    await sendTo(alice, carol);
    expect(await settledEvents(carol, 1)).toHaveLength(1);
    // Its gateway announces it online (it drains), then it is gone again (no live subscriber).
    h.nc.publish(
      namespaced(h.namespace, Events.presence.changed.subject),
      JSON.stringify({ device: carol, gatewayId: 'gw-1', status: 'online', at: Date.now() }),
    );
    await h.nc.flush();
    await sleep(50);
    await sendTo(alice, carol);
    expect(await settledEvents(carol, 2)).toHaveLength(2);
  });
});
