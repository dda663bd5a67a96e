import { toHex, utf8 } from '../bytes';
import { initProtocol } from '../crypto/sodium';
import { DecodeError, InvalidArgumentError, NotAMemberError } from '../errors';
import { generateIdentityKeyPair } from '../identity/identity-key';
import { deterministicRandom } from '../random';
import { decryptSenderKeyMessage, encryptSenderKeyMessage } from '../sender-keys/group-cipher';
import { createOwnSenderKey, rotateOwnSenderKey } from '../sender-keys/own-sender-key';
import {
  createSenderKeyDistribution,
  processSenderKeyDistribution,
} from '../sender-keys/sender-key-distribution';
import type { SenderKeyState } from '../sender-keys/sender-key-state';
import { UnknownSenderKeyError } from '../errors';
import { MAX_PAIRWISE_EPOCH_LAG, MAX_PAIRWISE_GROUP_BODY_BYTES } from './constants';
import type { MemberDevice } from './member-device';
import { buildMembershipChange, createGroup } from './membership-builder';
import type { GroupMembershipState } from './membership-state';
import type { SessionEncrypt } from './pairwise-fanout';
import {
  decodePairwiseGroupPayload,
  encodePairwiseGroupPayload,
  encryptPairwiseGroupMessage,
  openPairwiseGroupPayload,
} from './pairwise-fanout';

beforeAll(initProtocol);

function setup() {
  const random = deterministicRandom('fanout');
  const make = (userId: string, deviceId: number) => {
    const identity = generateIdentityKeyPair(random);
    return {
      identity,
      device: { userId, deviceId, identityKey: identity.publicKey } as MemberDevice,
    };
  };
  const alice = make('alice', 1);
  const alice2 = make('alice', 2);
  const bob = make('bob', 1);
  const carol = make('carol', 1);
  const created = createGroup(
    alice.identity,
    alice.device,
    [alice2.device, bob.device, carol.device],
    random,
    0,
  );
  return { random, make, alice, alice2, bob, carol, state: created.state };
}

/** A stand-in for 1:1 sessions: records who got what (the lead wires real sessions). */
function recordingEncrypt(): { encrypt: SessionEncrypt; sent: Map<string, Uint8Array> } {
  const sent = new Map<string, Uint8Array>();
  return {
    sent,
    encrypt: (device, plaintext) => {
      sent.set(`${device.userId}/${device.deviceId}/${toHex(device.identityKey)}`, plaintext);
      return plaintext.slice();
    },
  };
}

const lookup =
  (...states: GroupMembershipState[]) =>
  (groupId: Uint8Array) =>
    states.find((s) => s.sameGroup(groupId));

function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof NotAMemberError) return e.reason;
    return (e as Error).constructor.name;
  }
  return 'accepted';
}

describe('pairwise fan-out', () => {
  it("encrypts one payload per member device but the sender's own, straight from the verified state", () => {
    const g = setup();
    const { encrypt, sent } = recordingEncrypt();
    const out = encryptPairwiseGroupMessage(
      g.state,
      g.alice.device,
      utf8.encode('hello group'),
      encrypt,
    );
    expect(out.map((o) => `${o.device.userId}/${o.device.deviceId}`)).toEqual([
      'alice/2',
      'bob/1',
      'carol/1',
    ]);
    expect(sent.size).toBe(3);
    for (const o of out) {
      const p = decodePairwiseGroupPayload(o.ciphertext);
      expect(toHex(p.groupId)).toBe(toHex(g.state.groupId));
      expect(p.epoch).toBe(0);
      expect(utf8.decode(p.body)).toBe('hello group');
      // The session layer is told the exact identity key the chain names.
      expect(g.state.isMember(o.device)).toBe(true);
    }
  });

  it('refuses to send from a device that is not a member, or an oversized body', () => {
    const g = setup();
    const { encrypt } = recordingEncrypt();
    const dave = g.make('dave', 1);
    expect(
      reason(() => encryptPairwiseGroupMessage(g.state, dave.device, new Uint8Array(1), encrypt)),
    ).toBe('SENDER_NOT_MEMBER');
    expect(() =>
      encryptPairwiseGroupMessage(
        g.state,
        g.alice.device,
        new Uint8Array(MAX_PAIRWISE_GROUP_BODY_BYTES + 1),
        encrypt,
      ),
    ).toThrow(InvalidArgumentError);
  });

  it('accepts a payload from a current member at the current epoch', () => {
    const g = setup();
    const { encrypt } = recordingEncrypt();
    const [toBob] = encryptPairwiseGroupMessage(
      g.state,
      g.alice.device,
      utf8.encode('hi'),
      encrypt,
    ).filter((o) => o.device.userId === 'bob');
    const p = openPairwiseGroupPayload(toBob!.ciphertext, g.alice.device, lookup(g.state));
    expect(utf8.decode(p.body)).toBe('hi');
  });

  it('refuses a payload claiming a group the sender is not a member of', () => {
    const g = setup();
    const dave = g.make('dave', 1);
    const payload = encodePairwiseGroupPayload({
      groupId: g.state.groupId,
      epoch: 0,
      body: utf8.encode('let me in'),
    });
    expect(reason(() => openPairwiseGroupPayload(payload, dave.device, lookup(g.state)))).toBe(
      'SENDER_NOT_MEMBER',
    );
    // Right user and device id, wrong identity key: not the member the chain names.
    const impostor = { ...g.bob.device, identityKey: dave.device.identityKey };
    expect(reason(() => openPairwiseGroupPayload(payload, impostor, lookup(g.state)))).toBe(
      'SENDER_NOT_MEMBER',
    );
    const unknown = encodePairwiseGroupPayload({
      groupId: new Uint8Array(32).fill(5),
      epoch: 0,
      body: new Uint8Array(0),
    });
    expect(reason(() => openPairwiseGroupPayload(unknown, g.bob.device, lookup(g.state)))).toBe(
      'WRONG_GROUP',
    );
    // A lookup that returns the wrong group's state is caught too.
    expect(reason(() => openPairwiseGroupPayload(unknown, g.bob.device, () => g.state))).toBe(
      'WRONG_GROUP',
    );
  });

  it('checks the epoch: a future epoch means fetch first; a slightly stale one is fine, a very stale one is not', () => {
    const g = setup();
    let state = g.state;
    const at = (epoch: number) =>
      encodePairwiseGroupPayload({ groupId: g.state.groupId, epoch, body: new Uint8Array(0) });
    expect(reason(() => openPairwiseGroupPayload(at(1), g.bob.device, lookup(state)))).toBe(
      'EPOCH_AHEAD',
    );
    for (let i = 0; i < MAX_PAIRWISE_EPOCH_LAG + 1; i++) {
      const action = i % 2 === 0 ? 'promote' : 'demote';
      state = buildMembershipChange(state, g.alice.identity, action, [g.carol.device], i + 1).state;
    }
    expect(state.epoch).toBe(MAX_PAIRWISE_EPOCH_LAG + 1);
    expect(reason(() => openPairwiseGroupPayload(at(1), g.bob.device, lookup(state)))).toBe(
      'accepted',
    );
    expect(reason(() => openPairwiseGroupPayload(at(0), g.bob.device, lookup(state)))).toBe(
      'EPOCH_TOO_OLD',
    );
  });

  it('a removed member is refused even when it claims the epoch at which it was still a member', () => {
    const g = setup();
    const before = g.state;
    const after = buildMembershipChange(
      before,
      g.alice.identity,
      'remove',
      [g.carol.device],
      1,
    ).state;
    const { encrypt } = recordingEncrypt();
    const old = encryptPairwiseGroupMessage(
      before,
      g.carol.device,
      utf8.encode('still here?'),
      encrypt,
    )[0]!;
    expect(
      reason(() => openPairwiseGroupPayload(old.ciphertext, g.carol.device, lookup(before))),
    ).toBe('accepted');
    expect(
      reason(() => openPairwiseGroupPayload(old.ciphertext, g.carol.device, lookup(after))),
    ).toBe('SENDER_NOT_MEMBER');
    // And the remaining members stop encrypting to her.
    const next = encryptPairwiseGroupMessage(
      after,
      g.alice.device,
      utf8.encode('without carol'),
      encrypt,
    );
    expect(next.map((o) => o.device.userId)).not.toContain('carol');
  });

  it('refuses malformed payloads with DecodeError', () => {
    const g = setup();
    expect(() => decodePairwiseGroupPayload(new Uint8Array(0))).toThrow(DecodeError);
    const short = encodePairwiseGroupPayload({
      groupId: new Uint8Array(31),
      epoch: 0,
      body: new Uint8Array(0),
    });
    expect(() => openPairwiseGroupPayload(short, g.bob.device, lookup(g.state))).toThrow(
      DecodeError,
    );
  });
});

describe('sender keys distributed over pairwise fan-out, rotated on removal', () => {
  it('remaining members rotate when one leaves; the removed member reads nothing new', () => {
    const g = setup();
    const random = deterministicRandom('integration');
    const members = [g.alice, g.alice2, g.bob, g.carol];
    const name = (d: MemberDevice) => `${d.userId}/${d.deviceId}`;
    const own = new Map<string, SenderKeyState>();
    // received.get(receiver).get(sender)
    const received = new Map<string, Map<string, SenderKeyState>>(
      members.map((m) => [name(m.device), new Map()]),
    );

    const distribute = (state: GroupMembershipState, sender: (typeof members)[number]) => {
      const { encrypt, sent } = recordingEncrypt();
      encryptPairwiseGroupMessage(
        state,
        sender.device,
        createSenderKeyDistribution(own.get(name(sender.device))!),
        encrypt,
      );
      for (const [key, plaintext] of sent) {
        const receiver = members.find((m) => key.startsWith(`${name(m.device)}/`))!;
        const p = openPairwiseGroupPayload(plaintext, sender.device, lookup(state));
        const store = received.get(name(receiver.device))!;
        store.set(
          name(sender.device),
          processSenderKeyDistribution(store.get(name(sender.device)), p.groupId, p.body, 0),
        );
      }
    };

    let state = g.state;
    for (const m of members) own.set(name(m.device), createOwnSenderKey(state.groupId, random, 0));
    for (const m of members) distribute(state, m);
    const ct = encryptSenderKeyMessage(own.get('bob/1')!, utf8.encode('to all four'));
    for (const r of ['alice/1', 'alice/2', 'carol/1']) {
      expect(utf8.decode(decryptSenderKeyMessage(received.get(r)!.get('bob/1')!, ct))).toBe(
        'to all four',
      );
    }

    // Carol is removed. Everyone still in the group sees her in removedIn and rotates.
    const next = buildMembershipChange(
      state,
      g.alice.identity,
      'remove',
      [g.carol.device],
      1,
    ).state;
    expect(state.removedIn(next).map(name)).toEqual(['carol/1']);
    state = next;
    for (const m of members.filter((x) => state.isMember(x.device))) {
      rotateOwnSenderKey(own.get(name(m.device))!, random, 1);
      distribute(state, m);
    }
    const secret = encryptSenderKeyMessage(own.get('bob/1')!, utf8.encode('after carol'));
    expect(
      utf8.decode(decryptSenderKeyMessage(received.get('alice/2')!.get('bob/1')!, secret)),
    ).toBe('after carol');
    expect(() => decryptSenderKeyMessage(received.get('carol/1')!.get('bob/1')!, secret)).toThrow(
      UnknownSenderKeyError,
    );
  });
});
