/**
 * What must hold when many fetches race and several instances share the work: each
 * one-time prekey goes out exactly once, the low-stock event goes out once per crossing,
 * and every instance in the queue group serves requests.
 */
import type { EventOf } from '@parley/contracts';
import { Events, namespacedName, Rpc, STREAMS } from '@parley/contracts';
import { verifyPreKeyBundle } from '@parley/protocol';
import { PrekeysService } from '../src/prekeys/prekeys.service';
import type { Harness } from './helpers';
import { makeDevice, registerRequest, startHarness, userId } from './helpers';

const P = Rpc.prekeys;
type LowEvent = EventOf<typeof Events.prekeys.low>;

describe('prekey directory under concurrency, two instances in one queue group', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('race');
    await h.startInstance('prekeys-2');
  });
  afterAll(async () => {
    await h.close();
  });

  /** Every prekeys.low event this namespace's stream holds, for one user. */
  async function lowEvents(user: string): Promise<LowEvent[]> {
    const jsm = await h.nc.jetstreamManager();
    const stream = namespacedName(h.namespace, STREAMS.events);
    const { state } = await jsm.streams.info(stream);
    const events: LowEvent[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const msg = await jsm.streams.getMessage(stream, { seq });
      const event = Events.prekeys.low.schema.parse(msg.json());
      if (event.userId === user) events.push(event);
    }
    return events;
  }

  /** Counts calls of `method` on each instance's real service (calls pass through). */
  function countPerInstance(method: 'fetchBundles' | 'getStock') {
    const spies = h.instances.map((s) => jest.spyOn(s.app.get(PrekeysService), method));
    return {
      counts: () => spies.map((spy) => spy.mock.calls.length),
      restore: () => {
        for (const spy of spies) spy.mockRestore();
      },
    };
  }

  it('50 racing fetches of a device with 20 one-time prekeys hand out each key exactly once', async () => {
    const dev = makeDevice(userId('racer'), 1);
    const uploaded = dev.oneTimePreKeys(1, 20);
    await h.call(P.registerDevice, registerRequest(dev, uploaded));

    const served = countPerInstance('fetchBundles');
    const replies = await Promise.all(
      Array.from({ length: 50 }, () =>
        h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 }, 10_000),
      ),
    );
    const perInstance = served.counts();
    served.restore();

    const bundles = replies.map((r) => r.bundles[0]!);
    for (const b of bundles)
      expect(() => {
        verifyPreKeyBundle(b);
      }).not.toThrow();
    const handedOut = bundles.flatMap((b) => (b.oneTimePreKey ? [b.oneTimePreKey] : []));
    expect(handedOut).toHaveLength(20);
    expect(bundles.filter((b) => !b.oneTimePreKey)).toHaveLength(30);
    expect(new Set(handedOut.map((k) => k.id)).size).toBe(20);
    // Exactly the uploaded keys, ids and public keys alike.
    const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
    expect([...handedOut].sort(byId)).toEqual(uploaded);
    expect((await h.call(P.getStock, { userId: dev.userId, deviceId: 1 })).oneTimePreKeys).toBe(0);
    // Both instances took part in the race.
    expect(perInstance.reduce((a, b) => a + b, 0)).toBe(50);
    expect(perInstance.every((n) => n > 0)).toBe(true);
  });

  it('racing fetches of all devices of several users never share a key', async () => {
    const users = Array.from({ length: 3 }, () => userId('crowd'));
    const uploaded = new Map<string, number>();
    for (const user of users) {
      for (const deviceId of [1, 2, 3]) {
        const dev = makeDevice(user, deviceId);
        const keys = dev.oneTimePreKeys(deviceId * 1000, 10);
        await h.call(P.registerDevice, registerRequest(dev, keys));
        for (const k of keys) uploaded.set(`${user}/${deviceId}/${k.id}`, 0);
      }
    }
    // 3 users x 15 fetches x 3 devices = 135 claims against 90 keys.
    const replies = await Promise.all(
      users.flatMap((user) =>
        Array.from({ length: 15 }, () => h.call(P.fetchBundles, { userId: user }, 10_000)),
      ),
    );
    for (const reply of replies) {
      expect(reply.bundles.map((b) => b.deviceId)).toEqual([1, 2, 3]);
      for (const b of reply.bundles) {
        if (!b.oneTimePreKey) continue;
        const key = `${reply.userId}/${b.deviceId}/${b.oneTimePreKey.id}`;
        expect(uploaded.has(key)).toBe(true);
        uploaded.set(key, uploaded.get(key)! + 1);
      }
    }
    expect([...uploaded.values()].every((n) => n === 1)).toBe(true);
  });

  it('emits prekeys.low once per crossing, even when fetches race across instances', async () => {
    const dev = makeDevice(userId('low'), 1);
    await h.call(P.registerDevice, registerRequest(dev, dev.oneTimePreKeys(1, 30)));
    // 30 -> 25: never under the threshold (25), so no event.
    for (let i = 0; i < 5; i++) await h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 });
    expect(await lowEvents(dev.userId)).toEqual([]);

    // 25 -> 15 by 10 racing fetches: one of them crosses, one event.
    await Promise.all(
      Array.from({ length: 10 }, () =>
        h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 }, 10_000),
      ),
    );
    let events = await lowEvents(dev.userId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ userId: dev.userId, deviceId: 1, threshold: 25 });
    expect(events[0]!.remaining).toBeLessThan(25);
    expect(events[0]!.remaining).toBeGreaterThanOrEqual(15);

    // Draining further, down to empty and beyond, adds nothing.
    await Promise.all(
      Array.from({ length: 20 }, () =>
        h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 }, 10_000),
      ),
    );
    expect(await lowEvents(dev.userId)).toHaveLength(1);

    // A refill to the threshold re-arms; the next crossing emits again.
    await h.call(P.uploadOneTimePreKeys, {
      userId: dev.userId,
      deviceId: 1,
      preKeys: dev.oneTimePreKeys(100, 26),
    });
    await h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 }); // 26 -> 25
    expect(await lowEvents(dev.userId)).toHaveLength(1);
    await h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 }); // 25 -> 24
    events = await lowEvents(dev.userId);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ remaining: 24, threshold: 25 });

    // A refill that stays under the threshold does not re-arm: 24 -> 23, +1 -> 24, -> 23.
    await h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 });
    await h.call(P.uploadOneTimePreKeys, {
      userId: dev.userId,
      deviceId: 1,
      preKeys: dev.oneTimePreKeys(200, 1),
    });
    await h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 });
    expect(await lowEvents(dev.userId)).toHaveLength(2);
  });

  it('both instances of the queue group serve requests', async () => {
    const dev = makeDevice(userId('shared'), 1);
    await h.call(P.registerDevice, registerRequest(dev));
    const served = countPerInstance('getStock');
    for (let i = 0; i < 60; i++) await h.call(P.getStock, { userId: dev.userId, deviceId: 1 });
    const perInstance = served.counts();
    served.restore();
    expect(perInstance).toHaveLength(2);
    expect(perInstance[0]! + perInstance[1]!).toBe(60);
    // Random queue-group choice: either one getting none of 60 has odds of 2^-59.
    expect(Math.min(...perInstance)).toBeGreaterThan(0);
  });

  it('when one instance closes, the other takes every request', async () => {
    const extra = await h.startInstance('prekeys-3');
    const dev = makeDevice(userId('failover'), 1);
    await h.call(P.registerDevice, registerRequest(dev, dev.oneTimePreKeys(1, 5)));
    await extra.close();
    h.instances.splice(h.instances.indexOf(extra), 1);
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 })),
    );
    expect(replies.filter((r) => r.bundles[0]!.oneTimePreKey)).toHaveLength(5);
  });
});
