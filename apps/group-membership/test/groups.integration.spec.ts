/**
 * group-membership against real PostgreSQL and NATS: create, add, remove, list and page the
 * chain with changes signed by the protocol as clients make them; refusals with their codes
 * and nothing stored; one JetStream event per change, read back from the stream.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { Rpc } from '@parley/contracts';
import type { GroupMembershipState } from '@parley/protocol';
import {
  applyMembershipChange,
  buildMembershipChange,
  createGroup,
  decodeSignedMembershipChange,
  deterministicRandom,
  verifyMembershipChain,
} from '@parley/protocol';
import type { Harness, TestDevice } from './helpers';
import { failure, groupIdHex, makeDevice, startHarness, userId } from './helpers';

const G = Rpc.groups;

/** A group made by `admin` with `others`, stored through the service. */
async function newGroup(h: Harness, admin: TestDevice, others: readonly TestDevice[]) {
  const built = createGroup(
    admin.identity,
    admin.member,
    others.map((o) => o.member),
    deterministicRandom(`group/${admin.member.userId}`),
    Date.now(),
  );
  const groupId = groupIdHex(built.state.groupId);
  const reply = await h.call(G.create, {
    groupId,
    actor: { userId: admin.member.userId, deviceId: admin.member.deviceId },
    members: [...new Set([admin, ...others].map((d) => d.member.userId))],
    change: built.change,
  });
  expect(reply).toEqual({ groupId, epoch: 0 });
  return { groupId, state: built.state, genesis: built.change };
}

const actorOf = (d: TestDevice) => ({ userId: d.member.userId, deviceId: d.member.deviceId });

/**
 * A change signed by `author` although the protocol's builder would refuse to make it:
 * `template` (built by an admin) re-signed with `author`'s key as the author's identity.
 */
function resignedBy(template: Uint8Array, admin: TestDevice, author: TestDevice): Uint8Array {
  const { bodyBytes } = decodeSignedMembershipChange(template);
  const body = bodyBytes.slice();
  const at = Buffer.from(body).indexOf(Buffer.from(admin.identity.publicKey));
  expect(at).toBeGreaterThanOrEqual(0);
  body.set(author.identity.publicKey, at);
  const key = createPrivateKey({
    key: Buffer.concat([
      Buffer.from('302e020100300506032b657004220420', 'hex'),
      Buffer.from(author.identity.secretKey.slice(0, 32)),
    ]),
    format: 'der',
    type: 'pkcs8',
  });
  const signed = Buffer.concat([
    Buffer.from('ParleyMembershipChange'),
    Buffer.from([template[0]!]),
    Buffer.from(body),
  ]);
  const signature = sign(null, signed, key);
  const out = Buffer.from(template);
  out.set(body, out.indexOf(Buffer.from(bodyBytes)));
  out.set(signature, out.length - 64);
  return new Uint8Array(out);
}

describe('group-membership over NATS', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('groups');
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates, adds, removes, lists and pages the chain; one event per change', async () => {
    const alice = makeDevice(userId('alice'));
    const bob = makeDevice(userId('bob'));
    const bob2 = makeDevice(bob.member.userId, 2);
    const carol = makeDevice(userId('carol'));
    const { groupId, state: s0, genesis } = await newGroup(h, alice, [bob, bob2]);

    expect(await h.call(G.listMembers, { groupId, requester: bob.member.userId })).toEqual({
      groupId,
      epoch: 0,
      members: [
        { userId: alice.member.userId, role: 'admin' },
        { userId: bob.member.userId, role: 'member' },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    });

    const add = buildMembershipChange(s0, alice.identity, 'add', [carol.member], Date.now());
    await expect(
      h.call(G.addMembers, {
        groupId,
        actor: actorOf(alice),
        userIds: [carol.member.userId],
        baseEpoch: 0,
        change: add.change,
      }),
    ).resolves.toEqual({ groupId, epoch: 1 });

    const remove = buildMembershipChange(
      add.state,
      alice.identity,
      'remove',
      [bob.member, bob2.member],
      Date.now(),
    );
    await expect(
      h.call(G.removeMembers, {
        groupId,
        actor: actorOf(alice),
        userIds: [bob.member.userId],
        baseEpoch: 1,
        change: remove.change,
      }),
    ).resolves.toEqual({ groupId, epoch: 2 });

    const list = await h.call(G.listMembers, { groupId, requester: carol.member.userId });
    expect(list.epoch).toBe(2);
    expect(list.members).toEqual(
      [
        { userId: alice.member.userId, role: 'admin' },
        { userId: carol.member.userId, role: 'member' },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    );
    expect(await h.rows(groupId)).toEqual({ groups: 1, changes: 3, members: 2, devices: 2 });

    // Paged chain: exactly the signed bytes, and a client verifies it to the same head.
    const page1 = await h.call(G.getChain, { groupId, requester: alice.member.userId, limit: 2 });
    expect(page1.entries.map((e) => e.epoch)).toEqual([0, 1]);
    expect(page1.nextEpoch).toBe(2);
    const page2 = await h.call(G.getChain, {
      groupId,
      requester: alice.member.userId,
      fromEpoch: page1.nextEpoch!,
    });
    expect(page2.entries.map((e) => e.epoch)).toEqual([2]);
    expect(page2.nextEpoch).toBeUndefined();
    const chain = [...page1.entries, ...page2.entries].map((e) => e.change);
    expect(chain).toEqual([genesis, add.change, remove.change]);
    const verified: GroupMembershipState = verifyMembershipChain(chain, s0.groupId);
    expect(verified.epoch).toBe(2);
    expect(verified.headHash).toEqual(remove.state.headHash);

    // A removed member sees nothing any more.
    expect(
      (await failure(h.call(G.listMembers, { groupId, requester: bob.member.userId }))).code,
    ).toBe('NOT_A_MEMBER');

    const events = await h.events(groupId);
    expect(events.map((e) => [e.epoch, e.kind, e.userIds])).toEqual([
      [0, 'created', [alice.member.userId, bob.member.userId]],
      [1, 'added', [carol.member.userId]],
      [2, 'removed', [bob.member.userId]],
    ]);
    expect(events.every((e) => e.actor.userId === alice.member.userId)).toBe(true);
  });

  it('a retried change is answered again and still stored and published once', async () => {
    const alice = makeDevice(userId('alice'));
    const bob = makeDevice(userId('bob'));
    const { groupId, state } = await newGroup(h, alice, []);
    const add = buildMembershipChange(state, alice.identity, 'add', [bob.member], Date.now());
    const req = {
      groupId,
      actor: actorOf(alice),
      userIds: [bob.member.userId],
      baseEpoch: 0,
      change: add.change,
    };
    await expect(h.call(G.addMembers, req)).resolves.toEqual({ groupId, epoch: 1 });
    await expect(h.call(G.addMembers, req)).resolves.toEqual({ groupId, epoch: 1 });
    // A retry naming other users than the stored change does is refused.
    const lying = await failure(h.call(G.addMembers, { ...req, userIds: [alice.member.userId] }));
    expect(lying.code).toBe('VALIDATION_FAILED');
    expect(await h.rows(groupId)).toMatchObject({ changes: 2, members: 2 });
    expect((await h.events(groupId)).map((e) => e.epoch)).toEqual([0, 1]);
  });

  it('refuses a forged signature and stores nothing', async () => {
    const alice = makeDevice(userId('alice'));
    const bob = makeDevice(userId('bob'));
    // A forged genesis: nothing of the group is stored.
    const built = createGroup(alice.identity, alice.member, [], deterministicRandom('forged'), 1);
    const forgedGenesis = built.change.slice();
    forgedGenesis[forgedGenesis.length - 1]! ^= 0x01;
    const forgedId = groupIdHex(applyMembershipChange(undefined, built.change).groupId);
    const err0 = await failure(
      h.call(G.create, {
        groupId: forgedId,
        actor: actorOf(alice),
        members: [alice.member.userId],
        change: forgedGenesis,
      }),
    );
    expect(err0.code).toBe('INVALID_SIGNATURE');
    expect(await h.rows(forgedId)).toEqual({ groups: 0, changes: 0, members: 0, devices: 0 });

    // A forged change on an existing group: the head stays where it was.
    const { groupId, state } = await newGroup(h, alice, []);
    const add = buildMembershipChange(state, alice.identity, 'add', [bob.member], Date.now());
    const forged = add.change.slice();
    forged[forged.length - 10]! ^= 0x80;
    const err = await failure(
      h.call(G.addMembers, {
        groupId,
        actor: actorOf(alice),
        userIds: [bob.member.userId],
        baseEpoch: 0,
        change: forged,
      }),
    );
    expect(err.code).toBe('INVALID_SIGNATURE');
    expect(await h.rows(groupId)).toEqual({ groups: 1, changes: 1, members: 1, devices: 1 });
    expect((await h.call(G.listMembers, { groupId, requester: alice.member.userId })).epoch).toBe(
      0,
    );
    expect((await h.events(groupId)).map((e) => e.epoch)).toEqual([0]);
  });

  it('refuses removal by a plain member (signed by that member, or sent as that member)', async () => {
    const alice = makeDevice(userId('alice'));
    const bob = makeDevice(userId('bob'));
    const carol = makeDevice(userId('carol'));
    const { groupId, state } = await newGroup(h, alice, [bob, carol]);
    const byAlice = buildMembershipChange(
      state,
      alice.identity,
      'remove',
      [carol.member],
      Date.now(),
    );

    // Bob signs "remove carol" himself: the protocol's rules refuse it (NOT_ADMIN).
    const byBob = resignedBy(byAlice.change, alice, bob);
    expect(() => applyMembershipChange(state, byBob)).toThrow(/NOT_ADMIN/);
    const signedByBob = await failure(
      h.call(G.removeMembers, {
        groupId,
        actor: actorOf(bob),
        userIds: [carol.member.userId],
        baseEpoch: 0,
        change: byBob,
      }),
    );
    expect(signedByBob.code).toBe('FORBIDDEN');

    // Bob sends an admin's signed change as his own request: refused too.
    const sentByBob = await failure(
      h.call(G.removeMembers, {
        groupId,
        actor: actorOf(bob),
        userIds: [carol.member.userId],
        baseEpoch: 0,
        change: byAlice.change,
      }),
    );
    expect(sentByBob.code).toBe('FORBIDDEN');
    expect(await h.rows(groupId)).toMatchObject({ changes: 1, members: 3 });

    // Leaving is the one removal a plain member may make.
    const leave = buildMembershipChange(state, bob.identity, 'remove', [bob.member], Date.now());
    await expect(
      h.call(G.removeMembers, {
        groupId,
        actor: actorOf(bob),
        userIds: [bob.member.userId],
        baseEpoch: 0,
        change: leave.change,
      }),
    ).resolves.toEqual({ groupId, epoch: 1 });
  });

  it('refuses a stale base epoch with EPOCH_CONFLICT and the current epoch', async () => {
    const alice = makeDevice(userId('alice'));
    const bob = makeDevice(userId('bob'));
    const carol = makeDevice(userId('carol'));
    const { groupId, state } = await newGroup(h, alice, []);
    const addBob = buildMembershipChange(state, alice.identity, 'add', [bob.member], Date.now());
    const addCarol = buildMembershipChange(
      state,
      alice.identity,
      'add',
      [carol.member],
      Date.now(),
    );
    await h.call(G.addMembers, {
      groupId,
      actor: actorOf(alice),
      userIds: [bob.member.userId],
      baseEpoch: 0,
      change: addBob.change,
    });
    const err = await failure(
      h.call(G.addMembers, {
        groupId,
        actor: actorOf(alice),
        userIds: [carol.member.userId],
        baseEpoch: 0,
        change: addCarol.change,
      }),
    );
    expect(err.code).toBe('EPOCH_CONFLICT');
    expect(err.details).toEqual({ currentEpoch: 1 });
    // A base epoch that claims the head but a change built on an older one: same answer.
    const err2 = await failure(
      h.call(G.addMembers, {
        groupId,
        actor: actorOf(alice),
        userIds: [carol.member.userId],
        baseEpoch: 1,
        change: addCarol.change,
      }),
    );
    expect(err2.code).toBe('EPOCH_CONFLICT');
    expect(await h.rows(groupId)).toMatchObject({ changes: 2, members: 2 });
  });

  it('validates the request against the signed change', async () => {
    const alice = makeDevice(userId('alice'));
    const bob = makeDevice(userId('bob'));
    const built = createGroup(
      alice.identity,
      alice.member,
      [bob.member],
      deterministicRandom('v'),
      1,
    );
    const groupId = groupIdHex(built.state.groupId);
    const base = {
      groupId,
      actor: actorOf(alice),
      members: [alice.member.userId, bob.member.userId],
      change: built.change,
    };
    expect((await failure(h.call(G.create, { ...base, groupId: 'some-other-id' }))).code).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      (await failure(h.call(G.create, { ...base, members: [alice.member.userId] }))).code,
    ).toBe('VALIDATION_FAILED');
    expect((await failure(h.call(G.create, { ...base, actor: actorOf(bob) }))).code).toBe(
      'FORBIDDEN',
    );
    expect(
      (await failure(h.call(G.create, { ...base, change: new Uint8Array([1, 2, 3]) }))).code,
    ).toBe('VALIDATION_FAILED');
    expect(await h.rows(groupId)).toEqual({ groups: 0, changes: 0, members: 0, devices: 0 });
    // The protocol allows device id 0; the contracts and tables do not.
    const zero = makeDevice(userId('zero'), 0);
    const zeroGroup = createGroup(zero.identity, zero.member, [], deterministicRandom('z'), 1);
    const zeroRefused = await failure(
      h.call(G.create, {
        groupId: groupIdHex(zeroGroup.state.groupId),
        actor: { userId: zero.member.userId, deviceId: 1 },
        members: [zero.member.userId],
        change: zeroGroup.change,
      }),
    );
    expect(zeroRefused.code).toBe('VALIDATION_FAILED');

    await h.call(G.create, base);
    // An add change sent as a removal is refused.
    const carol = makeDevice(userId('carol'));
    const add = buildMembershipChange(
      built.state,
      alice.identity,
      'add',
      [carol.member],
      Date.now(),
    );
    const wrongKind = await failure(
      h.call(G.removeMembers, {
        groupId,
        actor: actorOf(alice),
        userIds: [carol.member.userId],
        baseEpoch: 0,
        change: add.change,
      }),
    );
    expect(wrongKind.code).toBe('VALIDATION_FAILED');
    expect((await failure(h.call(G.getChain, { groupId, requester: 'stranger' }))).code).toBe(
      'NOT_A_MEMBER',
    );
    expect(
      (
        await failure(
          h.call(G.addMembers, {
            groupId: 'nope',
            actor: actorOf(alice),
            userIds: ['x'],
            baseEpoch: 0,
            change: add.change,
          }),
        )
      ).code,
    ).toBe('NOT_FOUND');
  });
});
