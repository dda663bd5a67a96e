/**
 * What must hold when changes race across two instances in one queue group: of changes
 * built on the same epoch exactly one lands, the chain stays one verified line, and each
 * landed change is one event that a durable JetStream consumer receives once.
 */
import { Events, Rpc } from '@parley/contracts';
import type { ParleyError } from '@parley/contracts';
import {
  buildMembershipChange,
  createGroup,
  deterministicRandom,
  verifyMembershipChain,
} from '@parley/protocol';
import type { EventConsumer } from '@parley/server-kit';
import { consumeEvents, createLogger } from '@parley/server-kit';
import type { Harness, MembershipEvent } from './helpers';
import { MembershipVerifier } from '../src/groups/membership.verifier';
import { groupIdHex, makeDevice, startHarness, userId } from './helpers';

const G = Rpc.groups;

describe('group-membership under concurrency, two instances in one queue group', () => {
  let h: Harness;
  let consumer: EventConsumer;
  const consumed: { event: MembershipEvent; msgId: string | undefined }[] = [];

  beforeAll(async () => {
    h = await startHarness('race');
    // The second instance starts cold: it must rebuild heads from the stored chain.
    await h.startInstance('groups-2');
    consumer = await consumeEvents(h.nc, {
      namespace: h.namespace,
      contract: Events.groups.membershipChanged,
      durable: 'race-test',
      logger: createLogger({ service: 'test', instanceId: 'race', level: 'silent' }),
      handler: (event, meta) => {
        consumed.push({ event, msgId: meta.msgId });
        return Promise.resolve();
      },
    });
  });
  afterAll(async () => {
    await consumer.stop();
    await h.close();
  });

  async function eventually(check: () => boolean, ms = 5000): Promise<void> {
    const until = Date.now() + ms;
    while (!check()) {
      if (Date.now() > until) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('of 10 changes built on the same epoch exactly one lands; rounds continue on both instances', async () => {
    const alice = makeDevice(userId('alice'));
    const genesis = createGroup(alice.identity, alice.member, [], deterministicRandom('race'), 1);
    const groupId = groupIdHex(genesis.state.groupId);
    const actor = { userId: alice.member.userId, deviceId: 1 };
    await h.call(G.create, {
      groupId,
      actor,
      members: [alice.member.userId],
      change: genesis.change,
    });

    let state = genesis.state;
    const landedChanges: Uint8Array[] = [genesis.change];
    for (let round = 0; round < 3; round++) {
      const candidates = Array.from({ length: 10 }, () => {
        const newcomer = makeDevice(userId('racer'));
        return {
          newcomer,
          built: buildMembershipChange(state, alice.identity, 'add', [newcomer.member], Date.now()),
        };
      });
      const results = await Promise.allSettled(
        candidates.map((c) =>
          h.call(G.addMembers, {
            groupId,
            actor,
            userIds: [c.newcomer.member.userId],
            baseEpoch: state.epoch,
            change: c.built.change,
          }),
        ),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      const lost = results.flatMap((r) =>
        r.status === 'rejected' ? [(r.reason as ParleyError).code] : [],
      );
      expect(lost).toEqual(Array(9).fill('EPOCH_CONFLICT'));
      const winner = candidates[won[0]!]!;
      expect(results[won[0]!]).toEqual({
        status: 'fulfilled',
        value: { groupId, epoch: state.epoch + 1 },
      });
      state = winner.built.state;
      landedChanges.push(winner.built.change);
    }

    // The stored chain is the winners, in order, and verifies to the same head.
    const chain = await h.call(G.getChain, { groupId, requester: alice.member.userId });
    expect(chain.entries.map((e) => e.change)).toEqual(landedChanges);
    expect(verifyMembershipChain(landedChanges, genesis.state.groupId).headHash).toEqual(
      state.headHash,
    );
    const list = await h.call(G.listMembers, { groupId, requester: alice.member.userId });
    expect(list.epoch).toBe(3);
    expect(list.members).toHaveLength(4);
    expect(await h.rows(groupId)).toEqual({ groups: 1, changes: 4, members: 4, devices: 4 });

    // One event per landed change, consumed once, with the idempotent id group + epoch.
    await eventually(() => consumed.filter((c) => c.event.groupId === groupId).length >= 4);
    await new Promise((r) => setTimeout(r, 300));
    const mine = consumed.filter((c) => c.event.groupId === groupId);
    expect(mine.map((c) => [c.event.epoch, c.event.kind])).toEqual([
      [0, 'created'],
      [1, 'added'],
      [2, 'added'],
      [3, 'added'],
    ]);
    expect(mine.map((c) => c.msgId)).toEqual([0, 1, 2, 3].map((e) => `membership.${groupId}.${e}`));
  });

  it('a cold instance verifies against the stored chain (no trust in its cache)', async () => {
    const alice = makeDevice(userId('alice'));
    const bob = makeDevice(userId('bob'));
    const carol = makeDevice(userId('carol'));
    const genesis = createGroup(alice.identity, alice.member, [], deterministicRandom('cold'), 1);
    const groupId = groupIdHex(genesis.state.groupId);
    const actor = { userId: alice.member.userId, deviceId: 1 };
    await h.call(G.create, {
      groupId,
      actor,
      members: [alice.member.userId],
      change: genesis.change,
    });
    const addBob = buildMembershipChange(genesis.state, alice.identity, 'add', [bob.member], 2);
    const addCarol = buildMembershipChange(addBob.state, alice.identity, 'add', [carol.member], 3);
    // Sequential changes land whichever instance takes each one.
    for (const [built, who] of [
      [addBob, bob],
      [addCarol, carol],
    ] as const) {
      await h.call(G.addMembers, {
        groupId,
        actor,
        userIds: [who.member.userId],
        baseEpoch: built.state.epoch - 1,
        change: built.change,
      });
    }
    // Only a fresh instance without a cache is left: it must rebuild each head from the
    // stored chain and verify against it.
    const cold = await h.startInstance('groups-3', { GROUPS_STATE_CACHE_SIZE: '0' });
    const warm = h.instances.splice(0, h.instances.length - 1);
    await Promise.all(warm.map((s) => s.close()));
    const replay = jest.spyOn(cold.app.get(MembershipVerifier), 'replay');

    const removeBob = buildMembershipChange(
      addCarol.state,
      alice.identity,
      'remove',
      [bob.member],
      4,
    );
    const req = {
      groupId,
      actor,
      userIds: [bob.member.userId],
      baseEpoch: 2,
      change: removeBob.change,
    };
    await expect(h.call(G.removeMembers, req)).resolves.toEqual({ groupId, epoch: 3 });
    expect(replay).toHaveBeenCalledTimes(1);
    // The same bytes again are a retry, checked against the stored chain (another replay).
    await expect(h.call(G.removeMembers, req)).resolves.toEqual({ groupId, epoch: 3 });
    expect(replay).toHaveBeenCalledTimes(2);
    // A forged change is still refused after a replay.
    const dave = makeDevice(userId('dave'));
    const addDave = buildMembershipChange(removeBob.state, alice.identity, 'add', [dave.member], 5);
    const forged = addDave.change.slice();
    forged[forged.length - 1]! ^= 0x01;
    const refused = await h
      .call(G.addMembers, { ...req, userIds: [dave.member.userId], baseEpoch: 3, change: forged })
      .catch((e: unknown) => e as ParleyError);
    expect((refused as ParleyError).code).toBe('INVALID_SIGNATURE');
    expect(replay).toHaveBeenCalledTimes(3);
    replay.mockRestore();
    expect(await h.rows(groupId)).toEqual({ groups: 1, changes: 4, members: 2, devices: 2 });
  });
});
