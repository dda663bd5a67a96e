import { toHex } from '../bytes';
import { ed25519Sign } from '../crypto/primitives';
import { initProtocol } from '../crypto/sodium';
import { DecodeError, InvalidArgumentError, MembershipError } from '../errors';
import type { IdentityKeyPair } from '../identity/identity-key';
import { generateIdentityKeyPair } from '../identity/identity-key';
import { deterministicRandom } from '../random';
import {
  MAX_GROUP_DEVICES,
  MAX_MEMBERSHIP_CHANGE_BYTES,
  MAX_MEMBERSHIP_RECORD_BYTES,
  MAX_SUBJECTS_PER_CHANGE,
  MAX_USER_ID_BYTES,
} from './constants';
import type { MemberDevice } from './member-device';
import { buildMembershipChange, createGroup, devicesOfUser } from './membership-builder';
import type { MembershipChangeBody } from './membership-change';
import {
  decodeSignedMembershipChange,
  encodeMembershipChangeBody,
  encodeSignedMembershipChange,
  membershipChangeHash,
  membershipSignedBytes,
} from './membership-change';
import { applyMembershipChange, verifyMembershipChain } from './membership-chain';
import { deserializeMembershipState, serializeMembershipState } from './membership-record';
import type { GroupMembershipState } from './membership-state';

beforeAll(initProtocol);

interface Device {
  readonly identity: IdentityKeyPair;
  readonly device: MemberDevice;
}

function devices(seed: string) {
  const random = deterministicRandom(seed);
  const make = (userId: string, deviceId: number): Device => {
    const identity = generateIdentityKeyPair(random);
    return { identity, device: { userId, deviceId, identityKey: identity.publicKey } };
  };
  return {
    random,
    make,
    alice: make('alice', 1),
    alice2: make('alice', 2),
    bob: make('bob', 1),
    carol: make('carol', 1),
    dave: make('dave', 1),
  };
}

/** A group: alice (admin), alice2, bob, carol. */
function group(seed = 'group') {
  const d = devices(seed);
  const created = createGroup(
    d.alice.identity,
    d.alice.device,
    [d.alice2.device, d.bob.device, d.carol.device],
    d.random,
    1_000,
  );
  return { ...d, chain: [created.change], state: created.state };
}

function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof MembershipError) return e.reason;
    return (e as Error).constructor.name;
  }
  return 'accepted';
}

/** Signs any body with any key: the forger's tool. */
function signed(signer: IdentityKeyPair, body: MembershipChangeBody): Uint8Array {
  const bodyBytes = encodeMembershipChangeBody(body);
  return encodeSignedMembershipChange(
    bodyBytes,
    ed25519Sign(signer.secretKey, membershipSignedBytes(bodyBytes)),
  );
}

function nextBody(
  state: GroupMembershipState,
  author: IdentityKeyPair,
  action: MembershipChangeBody['action'],
  subjects: MemberDevice[],
): MembershipChangeBody {
  return {
    groupId: state.groupId,
    epoch: state.epoch + 1,
    previousHash: state.headHash,
    action,
    subjects,
    authorIdentityKey: author.publicKey,
    timestampMs: 2_000,
    groupNonce: new Uint8Array(0),
  };
}

describe('membership chain', () => {
  it('creates a group whose id is the hash of its genesis, with the creator as only admin', () => {
    const { state, chain, alice, alice2, bob, carol } = group();
    expect(toHex(state.groupId)).toBe(toHex(membershipChangeHash(chain[0]!)));
    expect(toHex(state.headHash)).toBe(toHex(state.groupId));
    expect(state.epoch).toBe(0);
    expect(state.members().map((m) => `${m.userId}/${m.deviceId}`)).toEqual([
      'alice/1',
      'alice/2',
      'bob/1',
      'carol/1',
    ]);
    expect(state.admins().map((m) => m.userId)).toEqual(['alice']);
    for (const d of [alice, alice2, bob, carol]) expect(state.isMember(d.device)).toBe(true);
    expect(state.isAdmin(alice.device)).toBe(true);
    expect(state.isAdmin(bob.device)).toBe(false);
  });

  it('two groups with the same creator, members and time still get different ids (nonce)', () => {
    const d = devices('nonce');
    const a = createGroup(d.alice.identity, d.alice.device, [d.bob.device], d.random, 5);
    const b = createGroup(d.alice.identity, d.alice.device, [d.bob.device], d.random, 5);
    expect(toHex(a.state.groupId)).not.toBe(toHex(b.state.groupId));
  });

  it('applies add, promote, remove, demote and verifies the whole chain to the same state', () => {
    const g = group();
    const steps: Array<[IdentityKeyPair, 'add' | 'remove' | 'promote' | 'demote', MemberDevice[]]> =
      [
        [g.alice.identity, 'add', [g.dave.device]],
        [g.alice.identity, 'promote', [g.bob.device]],
        [g.bob.identity, 'remove', [g.carol.device]],
        [g.bob.identity, 'demote', [g.alice.device]],
        [g.bob.identity, 'promote', [g.dave.device]],
        [g.dave.identity, 'remove', [g.bob.device]],
      ];
    let state = g.state;
    const chain = [...g.chain];
    for (const [author, action, subjects] of steps) {
      const built = buildMembershipChange(state, author, action, subjects, 3_000);
      expect(built.state.epoch).toBe(state.epoch + 1);
      chain.push(built.change);
      state = built.state;
    }
    expect(state.members().map((m) => `${m.userId}/${m.deviceId}`)).toEqual([
      'alice/1',
      'alice/2',
      'dave/1',
    ]);
    expect(state.admins().map((m) => m.userId)).toEqual(['dave']);
    const verified = verifyMembershipChain(chain, g.state.groupId);
    expect(toHex(serializeMembershipState(verified))).toBe(toHex(serializeMembershipState(state)));
    expect(verified.epoch).toBe(6);
  });

  it('states are immutable: applying a change leaves the previous state as it was', () => {
    const g = group();
    const before = toHex(serializeMembershipState(g.state));
    const next = buildMembershipChange(g.state, g.alice.identity, 'add', [g.dave.device], 2).state;
    expect(toHex(serializeMembershipState(g.state))).toBe(before);
    expect(g.state.isMember(g.dave.device)).toBe(false);
    expect(next.isMember(g.dave.device)).toBe(true);
    // Accessors hand out copies.
    g.state.groupId.fill(0);
    g.state.members()[0]!.identityKey.fill(0);
    expect(toHex(serializeMembershipState(g.state))).toBe(before);
    expect(next.removedIn(g.state).map((d) => d.userId)).toEqual(['dave']);
  });

  describe('rules', () => {
    it('a plain member may remove devices of its own user only', () => {
      const g = group();
      const leave = buildMembershipChange(
        g.state,
        g.alice2.identity,
        'remove',
        [g.alice2.device],
        2,
      );
      expect(leave.state.isMember(g.alice2.device)).toBe(false);
      const bobLeaves = buildMembershipChange(g.state, g.bob.identity, 'remove', [g.bob.device], 2);
      expect(bobLeaves.state.memberCount).toBe(3);
      expect(
        reason(() => buildMembershipChange(g.state, g.bob.identity, 'remove', [g.carol.device], 2)),
      ).toBe('NOT_ADMIN');
      // alice2 (not admin) may unlink alice's other device, but a removal of the admin's
      // last admin seat is still refused.
      expect(
        reason(() =>
          buildMembershipChange(g.state, g.alice2.identity, 'remove', [g.alice.device], 2),
        ),
      ).toBe('LAST_ADMIN');
    });

    it('only admins add, promote and demote', () => {
      const g = group();
      expect(
        reason(() => buildMembershipChange(g.state, g.bob.identity, 'add', [g.dave.device], 2)),
      ).toBe('NOT_ADMIN');
      expect(
        reason(() => buildMembershipChange(g.state, g.bob.identity, 'promote', [g.bob.device], 2)),
      ).toBe('NOT_ADMIN');
      expect(
        reason(() => buildMembershipChange(g.state, g.bob.identity, 'demote', [g.alice.device], 2)),
      ).toBe('NOT_ADMIN');
      expect(
        reason(() => buildMembershipChange(g.state, g.dave.identity, 'remove', [g.dave.device], 2)),
      ).toBe('NOT_ADMIN');
    });

    it('the last admin can neither leave nor step down; after a promotion it can', () => {
      const g = group();
      expect(
        reason(() =>
          buildMembershipChange(g.state, g.alice.identity, 'remove', [g.alice.device], 2),
        ),
      ).toBe('LAST_ADMIN');
      expect(
        reason(() =>
          buildMembershipChange(g.state, g.alice.identity, 'demote', [g.alice.device], 2),
        ),
      ).toBe('LAST_ADMIN');
      const promoted = buildMembershipChange(
        g.state,
        g.alice.identity,
        'promote',
        [g.bob.device],
        2,
      ).state;
      const left = buildMembershipChange(
        promoted,
        g.alice.identity,
        'remove',
        [g.alice.device],
        3,
      ).state;
      expect(left.isMember(g.alice.device)).toBe(false);
      expect(left.admins().map((a) => a.userId)).toEqual(['bob']);
      // An admin may remove another admin.
      const both = buildMembershipChange(
        g.state,
        g.alice.identity,
        'promote',
        [g.carol.device],
        2,
      ).state;
      expect(
        buildMembershipChange(both, g.carol.identity, 'remove', [g.alice.device], 3).state.isMember(
          g.alice.device,
        ),
      ).toBe(false);
    });

    it('subjects must fit the action and match members exactly', () => {
      const g = group();
      const impostor = { ...g.bob.device, identityKey: g.dave.device.identityKey };
      const cases: Array<['add' | 'remove' | 'promote' | 'demote', MemberDevice[]]> = [
        ['add', [g.bob.device]], // already a member
        ['add', [{ ...g.dave.device, identityKey: g.bob.device.identityKey }]], // identity key in use
        ['add', [g.dave.device, g.dave.device]], // twice
        ['remove', [g.dave.device]], // not a member
        ['remove', [impostor]], // right ids, wrong key
        ['promote', [g.alice.device]], // already admin
        ['promote', [g.dave.device]], // not a member
        ['demote', [g.bob.device]], // not an admin
      ];
      for (const [action, subjects] of cases) {
        expect([
          action,
          reason(() => buildMembershipChange(g.state, g.alice.identity, action, subjects, 2)),
        ]).toEqual([action, 'INVALID_SUBJECT']);
      }
      expect(reason(() => buildMembershipChange(g.state, g.alice.identity, 'add', [], 2))).toBe(
        'InvalidArgumentError',
      );
      expect(() =>
        buildMembershipChange(
          g.state,
          g.alice.identity,
          'add',
          [{ userId: '', deviceId: 1, identityKey: new Uint8Array(32) }],
          2,
        ),
      ).toThrow(InvalidArgumentError);
    });

    it(`refuses more than ${MAX_SUBJECTS_PER_CHANGE} subjects per change and ${MAX_GROUP_DEVICES} devices per group`, () => {
      const d = devices('big');
      const batch = (from: number) =>
        Array.from(
          { length: MAX_SUBJECTS_PER_CHANGE },
          (_, i) => d.make(`user${from + i}`, 1).device,
        );
      expect(() => createGroup(d.alice.identity, d.alice.device, batch(0), d.random, 0)).toThrow(
        InvalidArgumentError,
      );
      let state = createGroup(
        d.alice.identity,
        d.alice.device,
        batch(0).slice(1),
        d.random,
        0,
      ).state;
      for (let k = 1; k < MAX_GROUP_DEVICES / MAX_SUBJECTS_PER_CHANGE; k++) {
        state = buildMembershipChange(
          state,
          d.alice.identity,
          'add',
          batch(k * MAX_SUBJECTS_PER_CHANGE),
          1,
        ).state;
      }
      expect(state.memberCount).toBe(MAX_GROUP_DEVICES);
      expect(
        reason(() => buildMembershipChange(state, d.alice.identity, 'add', [d.dave.device], 2)),
      ).toBe('TOO_MANY_MEMBERS');
      // The decoder bounds a change's subjects too.
      const tooMany = signed(d.alice.identity, {
        ...nextBody(state, d.alice.identity, 'add', [...batch(5000), d.dave.device]),
      });
      expect(() => applyMembershipChange(state, tooMany)).toThrow(DecodeError);
      expect(() => applyMembershipChange(state, tooMany)).toThrow(/subjects/);
    });
  });

  it('the size limits fit the largest legal change and the largest legal group', () => {
    const d = devices('max-size');
    const longId = (i: number) => `${i}`.padStart(MAX_USER_ID_BYTES, 'u');
    const maxDevice = (i: number) => d.make(longId(i), 0xffffffff).device;
    const creator = { ...d.alice.device, userId: longId(999_999), deviceId: 0xffffffff };
    const first = Array.from({ length: MAX_SUBJECTS_PER_CHANGE - 1 }, (_, i) => maxDevice(i));
    const created = createGroup(
      d.alice.identity,
      creator,
      first,
      d.random,
      Number.MAX_SAFE_INTEGER,
    );
    expect(created.change.length).toBeLessThanOrEqual(MAX_MEMBERSHIP_CHANGE_BYTES);
    let state = created.state;
    for (let k = 1; k < MAX_GROUP_DEVICES / MAX_SUBJECTS_PER_CHANGE; k++) {
      const batch = Array.from({ length: MAX_SUBJECTS_PER_CHANGE }, (_, i) =>
        maxDevice(k * 1000 + i),
      );
      state = buildMembershipChange(
        state,
        d.alice.identity,
        'add',
        batch,
        Number.MAX_SAFE_INTEGER,
      ).state;
    }
    expect(state.memberCount).toBe(MAX_GROUP_DEVICES);
    const record = serializeMembershipState(state);
    expect(record.length).toBeLessThanOrEqual(MAX_MEMBERSHIP_RECORD_BYTES);
    expect(deserializeMembershipState(record).memberCount).toBe(MAX_GROUP_DEVICES);
  });

  describe('forgeries', () => {
    it('refuses an unsigned change', () => {
      const g = group();
      const built = buildMembershipChange(g.state, g.alice.identity, 'add', [g.dave.device], 2);
      const c = decodeSignedMembershipChange(built.change);
      expect(
        reason(() =>
          applyMembershipChange(
            g.state,
            encodeSignedMembershipChange(c.bodyBytes, new Uint8Array(0)),
          ),
        ),
      ).toBe('UNSIGNED');
    });

    it('refuses a forged signature, a body changed after signing, and a signature without the context', () => {
      const g = group();
      const c = decodeSignedMembershipChange(
        buildMembershipChange(g.state, g.alice.identity, 'add', [g.dave.device], 2).change,
      );
      const flipped = c.signature.slice();
      flipped[0]! ^= 1;
      expect(
        reason(() =>
          applyMembershipChange(g.state, encodeSignedMembershipChange(c.bodyBytes, flipped)),
        ),
      ).toBe('BAD_SIGNATURE');
      const otherBody = encodeMembershipChangeBody(
        nextBody(g.state, g.alice.identity, 'add', [g.make('eve', 1).device]),
      );
      expect(
        reason(() =>
          applyMembershipChange(g.state, encodeSignedMembershipChange(otherBody, c.signature)),
        ),
      ).toBe('BAD_SIGNATURE');
      const noContext = ed25519Sign(
        g.alice.identity.secretKey,
        new Uint8Array([1, ...c.bodyBytes]),
      );
      expect(
        reason(() =>
          applyMembershipChange(g.state, encodeSignedMembershipChange(c.bodyBytes, noContext)),
        ),
      ).toBe('BAD_SIGNATURE');
    });

    it("refuses a change naming the admin as author but signed by someone else (the server's ghost member)", () => {
      const g = group();
      const server = g.make('server', 0);
      const ghost = g.make('ghost', 1);
      const body = nextBody(g.state, g.alice.identity, 'add', [ghost.device]);
      expect(reason(() => applyMembershipChange(g.state, signed(server.identity, body)))).toBe(
        'BAD_SIGNATURE',
      );
      expect(reason(() => applyMembershipChange(g.state, signed(g.bob.identity, body)))).toBe(
        'BAD_SIGNATURE',
      );
    });

    it('refuses a correctly signed change by a non-admin member or a stranger (wrong author)', () => {
      const g = group();
      const ghost = g.make('ghost', 1);
      const byBob = signed(
        g.bob.identity,
        nextBody(g.state, g.bob.identity, 'add', [ghost.device]),
      );
      expect(reason(() => applyMembershipChange(g.state, byBob))).toBe('NOT_ADMIN');
      const stranger = g.make('stranger', 1);
      const byStranger = signed(
        stranger.identity,
        nextBody(g.state, stranger.identity, 'add', [stranger.device]),
      );
      expect(reason(() => applyMembershipChange(g.state, byStranger))).toBe('NOT_ADMIN');
    });

    it('refuses changes by an admin who was removed or demoted (authority is checked at the previous epoch)', () => {
      const g = group();
      const twoAdmins = buildMembershipChange(
        g.state,
        g.alice.identity,
        'promote',
        [g.bob.device],
        2,
      ).state;
      const bobRemoved = buildMembershipChange(
        twoAdmins,
        g.alice.identity,
        'remove',
        [g.bob.device],
        3,
      ).state;
      const late = signed(
        g.bob.identity,
        nextBody(bobRemoved, g.bob.identity, 'add', [g.dave.device]),
      );
      expect(reason(() => applyMembershipChange(bobRemoved, late))).toBe('NOT_ADMIN');
      const bobDemoted = buildMembershipChange(
        twoAdmins,
        g.alice.identity,
        'demote',
        [g.bob.device],
        3,
      ).state;
      expect(
        reason(() =>
          applyMembershipChange(
            bobDemoted,
            signed(g.bob.identity, nextBody(bobDemoted, g.bob.identity, 'add', [g.dave.device])),
          ),
        ),
      ).toBe('NOT_ADMIN');
    });

    it('refuses replayed, out-of-order and forked changes', () => {
      const g = group();
      const one = buildMembershipChange(g.state, g.alice.identity, 'add', [g.dave.device], 2);
      const two = buildMembershipChange(one.state, g.alice.identity, 'promote', [g.dave.device], 3);
      expect(reason(() => applyMembershipChange(two.state, one.change))).toBe('REPLAYED');
      expect(reason(() => applyMembershipChange(two.state, two.change))).toBe('REPLAYED');
      expect(reason(() => applyMembershipChange(g.state, two.change))).toBe('OUT_OF_ORDER');
      expect(reason(() => verifyMembershipChain([g.chain[0]!, two.change]))).toBe('OUT_OF_ORDER');
      expect(reason(() => verifyMembershipChain([g.chain[0]!, one.change, one.change]))).toBe(
        'REPLAYED',
      );
      // A fork: a second admin-signed epoch 1 whose successor links to the other branch.
      const branch = buildMembershipChange(
        g.state,
        g.alice.identity,
        'add',
        [g.make('erin', 1).device],
        2,
      );
      const onBranch = buildMembershipChange(
        branch.state,
        g.alice.identity,
        'promote',
        [g.bob.device],
        3,
      );
      expect(reason(() => applyMembershipChange(one.state, onBranch.change))).toBe('FORK');
      // Epoch right, previous hash of nothing we know.
      const wrongLink = signed(g.alice.identity, {
        ...nextBody(one.state, g.alice.identity, 'promote', [g.bob.device]),
        previousHash: new Uint8Array(32).fill(9),
      });
      expect(reason(() => applyMembershipChange(one.state, wrongLink))).toBe('FORK');
    });

    it('refuses a change of another group, and a chain whose genesis is not the expected group', () => {
      const g = group('g1');
      const h = createGroup(g.alice.identity, g.alice.device, [g.bob.device], g.random, 1);
      const inH = buildMembershipChange(h.state, g.alice.identity, 'add', [g.dave.device], 2);
      expect(reason(() => applyMembershipChange(g.state, inH.change))).toBe('WRONG_GROUP');
      // The server offers H's history for G's id: the genesis does not hash to it.
      expect(reason(() => verifyMembershipChain([h.change, inH.change], g.state.groupId))).toBe(
        'WRONG_GROUP',
      );
      // A member re-creating "the same group" with itself as admin cannot match the id either.
      const ghost = g.make('ghost', 1);
      const fake = createGroup(
        g.bob.identity,
        g.bob.device,
        [ghost.device, g.alice.device],
        g.random,
        1_000,
      );
      expect(reason(() => verifyMembershipChain([fake.change], g.state.groupId))).toBe(
        'WRONG_GROUP',
      );
      expect(reason(() => verifyMembershipChain([]))).toBe('EMPTY_CHAIN');
    });

    it('refuses malformed geneses and a CREATE later in the chain', () => {
      const g = group();
      const genesis = (over: Partial<MembershipChangeBody>) =>
        signed(g.alice.identity, {
          groupId: new Uint8Array(0),
          epoch: 0,
          previousHash: new Uint8Array(0),
          action: 'create',
          subjects: [g.alice.device, g.bob.device],
          authorIdentityKey: g.alice.identity.publicKey,
          timestampMs: 0,
          groupNonce: new Uint8Array(16).fill(1),
          ...over,
        });
      expect(reason(() => applyMembershipChange(undefined, genesis({})))).toBe('accepted');
      expect(reason(() => applyMembershipChange(undefined, genesis({ action: 'add' })))).toBe(
        'BAD_GENESIS',
      );
      expect(
        reason(() => applyMembershipChange(undefined, genesis({ groupId: new Uint8Array(32) }))),
      ).toBe('BAD_GENESIS');
      expect(
        reason(() =>
          applyMembershipChange(undefined, genesis({ previousHash: new Uint8Array(32) })),
        ),
      ).toBe('BAD_GENESIS');
      expect(
        reason(() => applyMembershipChange(undefined, genesis({ groupNonce: new Uint8Array(0) }))),
      ).toBe('BAD_GENESIS');
      expect(
        reason(() => applyMembershipChange(undefined, genesis({ subjects: [g.bob.device] }))),
      ).toBe('BAD_GENESIS');
      expect(
        reason(() =>
          applyMembershipChange(undefined, genesis({ subjects: [g.alice.device, g.alice.device] })),
        ),
      ).toBe('INVALID_SUBJECT');
      expect(reason(() => applyMembershipChange(undefined, genesis({ epoch: 1 })))).toBe(
        'OUT_OF_ORDER',
      );
      const lateCreate = signed(g.alice.identity, {
        ...nextBody(g.state, g.alice.identity, 'create', [g.dave.device]),
      });
      expect(reason(() => applyMembershipChange(g.state, lateCreate))).toBe('BAD_GENESIS');
      const nonceLater = signed(g.alice.identity, {
        ...nextBody(g.state, g.alice.identity, 'add', [g.dave.device]),
        groupNonce: new Uint8Array(16),
      });
      expect(reason(() => applyMembershipChange(g.state, nonceLater))).toBe('BAD_GENESIS');
      const unsignedGenesis = encodeSignedMembershipChange(
        decodeSignedMembershipChange(genesis({})).bodyBytes,
        new Uint8Array(0),
      );
      expect(reason(() => applyMembershipChange(undefined, unsignedGenesis))).toBe('UNSIGNED');
    });
  });

  it('devicesOfUser lists the subjects that remove a whole user', () => {
    const g = group();
    const subjects = devicesOfUser(g.state, 'alice');
    expect(subjects.map((d) => d.deviceId)).toEqual([1, 2]);
    const promoted = buildMembershipChange(
      g.state,
      g.alice.identity,
      'promote',
      [g.bob.device],
      2,
    ).state;
    const gone = buildMembershipChange(promoted, g.bob.identity, 'remove', subjects, 3).state;
    expect(gone.members().map((d) => d.userId)).toEqual(['bob', 'carol']);
  });
});

describe('GroupMembershipRecord', () => {
  it('round-trips a state', () => {
    const g = group();
    const s = buildMembershipChange(g.state, g.alice.identity, 'promote', [g.bob.device], 2).state;
    const restored = deserializeMembershipState(serializeMembershipState(s));
    expect(toHex(serializeMembershipState(restored))).toBe(toHex(serializeMembershipState(s)));
    expect(restored.isAdmin(g.bob.device)).toBe(true);
    const next = buildMembershipChange(restored, g.bob.identity, 'add', [g.dave.device], 3);
    expect(
      toHex(
        verifyMembershipChain([
          g.chain[0]!,
          buildMembershipChange(g.state, g.alice.identity, 'promote', [g.bob.device], 2).change,
          next.change,
        ]).headHash,
      ),
    ).toBe(toHex(next.state.headHash));
  });

  it('refuses malformed records', () => {
    const g = group();
    const bytes = serializeMembershipState(g.state);
    expect(() => deserializeMembershipState(bytes.subarray(0, 10))).toThrow(DecodeError);
    expect(() => deserializeMembershipState(new Uint8Array([1]))).toThrow(DecodeError);
  });
});
