/**
 * The workloads on Parley's public API (@parley/protocol). Every party keeps its
 * SessionRecord / SenderKeyState and serializes it after every message it sends or
 * receives, keeping the bytes, as the SDK's store will.
 */
import { getRandomValues } from 'node:crypto';
import type {
  CiphertextMessage,
  GroupMembershipState,
  IdentityKeyPair,
  MemberDevice,
  PreKeyBundle,
  PreKeyLookup,
  RandomSource,
  SenderKeyState,
} from '@parley/protocol';
import {
  buildMembershipChange,
  createGroup,
  createOwnSenderKey,
  createSenderKeyDistribution,
  decryptSenderKeyMessage,
  encryptPairwiseGroupMessage,
  encryptSenderKeyMessage,
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  initProtocol,
  processSenderKeyDistribution,
  publicOneTimePreKey,
  publicSignedPreKey,
  secureRandom,
  serializeSenderKeyState,
  SessionRecord,
  usePortableCrypto,
  useNativeCrypto,
} from '@parley/protocol/node';
import type { Runner } from './harness';
import type { LibraryBench, SessionSizes } from './workloads';
import { assertSame } from './workloads';

/**
 * The randomness every call gets. Parley takes a RandomSource parameter; `secureRandom`
 * (Web Crypto getRandomValues) is the library's own and the default here. `--random node`
 * passes Node's CSPRNG (crypto.getRandomValues) instead, as an SDK on Node could.
 */
let random: RandomSource = secureRandom;
export const nodeRandom: RandomSource = { bytes: (n) => getRandomValues(new Uint8Array(n)) };
const GROUP_CHUNK = 256;

interface Device {
  readonly identity: IdentityKeyPair;
  readonly bundle: PreKeyBundle;
  readonly preKeys: PreKeyLookup;
}

/**
 * A device with one signed and one one-time prekey. The one-time prekey is never deleted
 * (the libsignal side does the same), so setups can repeat without generating a pool.
 */
function makeDevice(identity: IdentityKeyPair = generateIdentityKeyPair(random)): Device {
  const spk = generateSignedPreKey(identity, 1, random, 0);
  const [otk] = generateOneTimePreKeys(1, 1, random);
  if (!otk) throw new Error('no one-time prekey generated');
  return {
    identity,
    bundle: {
      identityKey: identity.publicKey,
      signedPreKey: publicSignedPreKey(spk),
      oneTimePreKey: publicOneTimePreKey(otk),
    },
    preKeys: {
      signedPreKey: (id) => (id === spk.id ? spk.keyPair : undefined),
      oneTimePreKey: (id) => (id === otk.id ? otk.keyPair : undefined),
    },
  };
}

/** One side of a conversation: the live record plus its last serialized bytes. */
class Party {
  record = SessionRecord.empty();
  stored: Uint8Array = new Uint8Array(0);

  constructor(readonly device: Device) {}

  send(plaintext: Uint8Array): CiphertextMessage {
    const m = this.record.encrypt(plaintext);
    this.stored = this.record.serialize();
    return m;
  }

  receive(m: CiphertextMessage): Uint8Array {
    const out = this.record.decrypt(m, this.device.identity, this.device.preKeys, random);
    this.stored = this.record.serialize();
    return out.plaintext;
  }
}

/** Alice initiates to Bob, sends one message, Bob replies: both have a full session. */
function establish(alice: Party, bob: Party, payload: Uint8Array): void {
  alice.record = SessionRecord.empty();
  bob.record = SessionRecord.empty();
  alice.record.initiate(alice.device.identity, bob.device.bundle, random);
  assertSame(bob.receive(alice.send(payload)), payload);
  assertSame(alice.receive(bob.send(payload)), payload);
}

function conversation(payload: Uint8Array) {
  const alice = new Party(makeDevice());
  const bob = new Party(makeDevice());
  establish(alice, bob, payload);
  return { alice, bob };
}

interface GroupFixture {
  readonly sender: { identity: IdentityKeyPair; device: MemberDevice };
  /** By user id; each member's session with the sender, sender's side. */
  readonly sessions: Map<string, Party>;
  readonly memberDevices: MemberDevice[];
}

/** Pairwise groups share one set of members and sessions; a group of n takes the first n. */
let groupFixture: GroupFixture | undefined;

function groupMembers(n: number, payload: Uint8Array): GroupFixture {
  if (groupFixture && groupFixture.memberDevices.length >= n) return groupFixture;
  const senderIdentity = generateIdentityKeyPair(random);
  const sender = {
    identity: senderIdentity,
    device: { userId: 'sender', deviceId: 1, identityKey: senderIdentity.publicKey },
  };
  const sessions = new Map<string, Party>();
  const memberDevices: MemberDevice[] = [];
  const senderDevice = makeDevice(senderIdentity);
  for (let i = 0; i < n; i++) {
    const member = makeDevice();
    const userId = `member-${String(i).padStart(4, '0')}`;
    memberDevices.push({ userId, deviceId: 1, identityKey: member.identity.publicKey });
    // The sender's session identity is the key the membership names.
    const ours = new Party(senderDevice);
    establish(ours, new Party(member), payload);
    sessions.set(userId, ours);
  }
  groupFixture = { sender, sessions, memberDevices };
  return groupFixture;
}

/** A verified membership state: the sender (sole admin) plus `members`, built in chunks. */
function buildGroup(fx: GroupFixture, n: number): GroupMembershipState {
  const members = fx.memberDevices.slice(0, n);
  let state = createGroup(
    fx.sender.identity,
    fx.sender.device,
    members.slice(0, GROUP_CHUNK - 1),
    random,
    0,
  ).state;
  for (let i = GROUP_CHUNK - 1; i < members.length; i += GROUP_CHUNK) {
    state = buildMembershipChange(
      state,
      fx.sender.identity,
      'add',
      members.slice(i, i + GROUP_CHUNK),
      0,
    ).state;
  }
  return state;
}

function senderKeyGroup(members: number) {
  const groupId = random.bytes(32);
  const own = createOwnSenderKey(groupId, random, 0);
  const distribution = createSenderKeyDistribution(own);
  const receivers: { state: SenderKeyState; stored: Uint8Array }[] = [];
  for (let i = 0; i < members; i++) {
    receivers.push({
      state: processSenderKeyDistribution(undefined, groupId, distribution, 0),
      stored: new Uint8Array(0),
    });
  }
  return { own, receivers, ownStored: serializeSenderKeyState(own) };
}

export async function parleyBench(
  payload: Uint8Array,
  randomSource: 'sodium' | 'node' = 'sodium',
  crypto: 'native' | 'wasm' = 'native',
): Promise<LibraryBench> {
  await initProtocol();
  if (crypto === 'wasm') usePortableCrypto();
  else if (!useNativeCrypto()) throw new Error('sodium-native does not load here: use --crypto wasm');
  random = randomSource === 'node' ? nodeRandom : secureRandom;
  groupFixture = undefined;
  return {
    name: 'parley',

    setup(): Runner {
      const alice = new Party(makeDevice());
      const bob = new Party(makeDevice());
      return {
        run: (n) => {
          for (let i = 0; i < n; i++) establish(alice, bob, payload);
        },
      };
    },

    oneWay(): Runner {
      const { alice, bob } = conversation(payload);
      return {
        run: (n) => {
          const sent: CiphertextMessage[] = [];
          for (let i = 0; i < n; i++) sent.push(alice.send(payload));
          for (const m of sent) assertSame(bob.receive(m), payload);
        },
      };
    },

    pingPong(): Runner {
      const { alice, bob } = conversation(payload);
      let turn = 0;
      return {
        run: (n) => {
          for (let i = 0; i < n; i++) {
            const [from, to] = turn++ % 2 === 0 ? [alice, bob] : [bob, alice];
            assertSame(to.receive(from.send(payload)), payload);
          }
        },
      };
    },

    senderKey(): Runner {
      const g = senderKeyGroup(1);
      const [r] = g.receivers;
      if (!r) throw new Error('no receiver');
      return {
        run: (n) => {
          for (let i = 0; i < n; i++) {
            const m = encryptSenderKeyMessage(g.own, payload);
            g.ownStored = serializeSenderKeyState(g.own);
            assertSame(decryptSenderKeyMessage(r.state, m), payload);
            r.stored = serializeSenderKeyState(r.state);
          }
        },
      };
    },

    groupPairwise(members: number): Runner {
      const fx = groupMembers(members, payload);
      const membership = buildGroup(fx, members);
      const encrypt = (device: MemberDevice, plaintext: Uint8Array): CiphertextMessage => {
        const party = fx.sessions.get(device.userId);
        // An SDK refuses a session whose peer is not the device the membership names.
        const remote = party?.record.remoteIdentityKey;
        if (!party || !remote || !Buffer.from(remote).equals(device.identityKey)) {
          throw new Error(`no session with ${device.userId}`);
        }
        return party.send(plaintext);
      };
      return {
        run: (n) => {
          for (let i = 0; i < n; i++) {
            const out = encryptPairwiseGroupMessage(membership, fx.sender.device, payload, encrypt);
            if (out.length !== members) throw new Error(`fan-out gave ${out.length} ciphertexts`);
          }
        },
      };
    },

    groupSenderKey(members: number, withDecrypts: boolean): Runner {
      const g = senderKeyGroup(members);
      return {
        run: (n) => {
          for (let i = 0; i < n; i++) {
            const m = encryptSenderKeyMessage(g.own, payload);
            g.ownStored = serializeSenderKeyState(g.own);
            if (!withDecrypts) continue;
            for (const r of g.receivers) {
              assertSame(decryptSenderKeyMessage(r.state, m), payload);
              r.stored = serializeSenderKeyState(r.state);
            }
          }
        },
      };
    },

    sessionSizes(eachWay: number): SessionSizes {
      const { alice, bob } = conversation(payload);
      for (let i = 0; i < eachWay; i++) {
        assertSame(bob.receive(alice.send(payload)), payload);
        assertSame(alice.receive(bob.send(payload)), payload);
      }
      return { initiator: alice.stored.length, responder: bob.stored.length };
    },
  };
}
