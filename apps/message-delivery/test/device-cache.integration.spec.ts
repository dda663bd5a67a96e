/**
 * Device-set checks from cached device lists (device-list.cache.ts), against the real
 * prekey-directory: repeated sends to the same users do not ask the directory again, and a
 * device that registered is required by the very next send (its announcement reaches
 * message-delivery before the registration is answered).
 */
import type { DeviceAddress, RequestOf } from '@parley/contracts';
import { namespaced, Rpc } from '@parley/contracts';
import {
  deterministicRandom,
  generateIdentityKeyPair,
  generateSignedPreKey,
  publicSignedPreKey,
} from '@parley/protocol';
import type { Subscription } from 'nats';
import type { Harness } from './helpers';
import { failure, pairwise, startHarness, userId } from './helpers';

const D = Rpc.delivery;

/** A registration as a client makes it: real identity key and signed prekey. */
function registration(device: DeviceAddress): RequestOf<typeof Rpc.prekeys.registerDevice> {
  const random = deterministicRandom(`${device.userId}/${device.deviceId}`);
  const identity = generateIdentityKeyPair(random);
  return {
    userId: device.userId,
    deviceId: device.deviceId,
    identityKey: identity.publicKey,
    signedPreKey: publicSignedPreKey(generateSignedPreKey(identity, 1, random, Date.now())),
  };
}

describe('device-set checks from cached device lists', () => {
  let h: Harness;
  let directoryCalls: Subscription;
  let asked = 0;

  beforeAll(async () => {
    h = await startHarness('devcache');
    // A second subscriber (no queue group) sees a copy of every directory request.
    directoryCalls = h.nc.subscribe(namespaced(h.namespace, Rpc.prekeys.listDevices.subject), {
      callback: () => {
        asked++;
      },
    });
    await h.nc.flush();
  });
  afterAll(async () => {
    directoryCalls.unsubscribe();
    await h.close();
  });

  it('asks the directory once for repeated sends to the same user', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob = { userId: userId('bob'), deviceId: 1 };
    await h.register(alice, bob);
    const before = asked;
    for (let i = 0; i < 5; i++) {
      const reply = await h.call(D.sendPairwise, pairwise(alice, [bob]));
      expect(reply.recipients).toBe(1);
    }
    await h.nc.flush();
    expect(asked - before).toBe(1);
  });

  it('requires a device registered through the directory from the very next send', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob1 = { userId: userId('bob'), deviceId: 1 };
    const bob2 = { userId: bob1.userId, deviceId: 2 };
    await h.call(Rpc.prekeys.registerDevice, registration(alice));
    await h.call(Rpc.prekeys.registerDevice, registration(bob1));
    // Bob's one-device list is now cached.
    await h.call(D.sendPairwise, pairwise(alice, [bob1]));
    await h.call(D.sendPairwise, pairwise(alice, [bob1]));

    await h.call(Rpc.prekeys.registerDevice, registration(bob2));
    const refused = await failure(h.call(D.sendPairwise, pairwise(alice, [bob1])));
    expect(refused.code).toBe('MISMATCHED_DEVICES');
    expect(refused.details).toEqual({ missing: [bob2], stale: [] });
    const reply = await h.call(D.sendPairwise, pairwise(alice, [bob1, bob2]));
    expect(reply.recipients).toBe(2);
  });

  it('re-registering a known device keeps the cached list (nothing changed)', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob = { userId: userId('bob'), deviceId: 1 };
    await h.call(Rpc.prekeys.registerDevice, registration(alice));
    await h.call(Rpc.prekeys.registerDevice, registration(bob));
    await h.call(D.sendPairwise, pairwise(alice, [bob]));
    const before = asked;
    await h.call(Rpc.prekeys.registerDevice, registration(bob));
    await h.call(D.sendPairwise, pairwise(alice, [bob]));
    await h.nc.flush();
    expect(asked - before).toBe(0);
  });

  it('a removed device is stale from the next send once announced', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob1 = { userId: userId('bob'), deviceId: 1 };
    const bob2 = { userId: bob1.userId, deviceId: 2 };
    await h.register(alice, bob1, bob2);
    await h.call(D.sendPairwise, pairwise(alice, [bob1, bob2]));
    await h.unregister(bob2);
    const refused = await failure(h.call(D.sendPairwise, pairwise(alice, [bob1, bob2])));
    expect(refused.code).toBe('MISMATCHED_DEVICES');
    expect(refused.details).toEqual({ missing: [], stale: [bob2] });
  });
});
