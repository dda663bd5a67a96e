/**
 * End to end: what a hostile server or a bad network does, and what the SDK does about it.
 */
import { bytesToBase64 } from '@parley/contracts';
import type { GroupMembershipState } from '@parley/protocol';
import {
  buildMembershipChange,
  generateIdentityKeyPair,
  generateSignedPreKey,
  initProtocol,
  secureRandom,
  verifyMembershipChain,
  fromHex,
} from '@parley/protocol';
import type { FetchLike } from '../src/node';
import { GroupIntegrityError, MemoryStore, nodeWebSocketFactory } from '../src/node';
import type { Stack } from './support/stack';
import { startStack } from './support/stack';
import type { TestClient } from './support/clients';
import {
  apiOf,
  newClient,
  onlineClient,
  realFetch,
  storeOf,
  texts,
  uniqueUser,
  waitFor,
} from './support/clients';
import {
  answeringSends,
  droppingLiveMessages,
  reorderingMailbox,
  reorderingSockets,
} from './support/transport-faults';

let stack: Stack;
const open: TestClient[] = [];

beforeAll(async () => {
  await initProtocol();
  stack = await startStack('resilience');
});
afterEach(async () => {
  for (const t of open.splice(0)) await t.client.close();
});
afterAll(async () => {
  await stack.close();
});

async function online(
  name: string,
  options: Parameters<typeof onlineClient>[2] = {},
): Promise<TestClient> {
  const t = await onlineClient(stack.url, uniqueUser(name), options);
  open.push(t);
  return t;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe('a server that injects a member the signed chain does not name', () => {
  it('is refused by every member: a forged chain entry never verifies, and the ghost gets nothing', async () => {
    let tamper: ((url: string, body: string) => string) | undefined;
    const erinSees: { forged?: Uint8Array } = {};
    const tampering: FetchLike = async (url, init) => {
      const res = await realFetch(url, init);
      if (!tamper || !url.includes('/chain') || res.status !== 200) return res;
      const text = tamper(url, await res.text());
      return { status: 200, text: () => Promise.resolve(text) };
    };
    const alice = await online('alice', { fetch: tampering });
    const bob = await online('bob', { fetch: tampering });
    const carol = await online('carol', { fetch: tampering });
    const mallory = await online('mallory');
    const dave = await online('dave');
    // Erin's server shows her a chain whose first entry is the forged change.
    const erin = await online('erin', {
      fetch: async (url, init) => {
        const res = await realFetch(url, init);
        if (!url.includes('/chain?fromEpoch=0') || res.status !== 200 || !erinSees.forged)
          return res;
        const reply = JSON.parse(await res.text()) as { entries: { change: string }[] };
        reply.entries[0]!.change = bytesToBase64(erinSees.forged);
        return { status: 200, text: () => Promise.resolve(JSON.stringify(reply)) };
      },
    });
    const group = await alice.client.createGroup(
      'no ghosts',
      [bob.client.userId, carol.client.userId],
      {
        mode: 'sender-keys',
      },
    );

    // Bob and carol learn of the group from alice's encrypted invite; wait until both hold it,
    // so what follows tests the chain check and not the invite's arrival.
    for (const t of [bob, carol]) {
      const deadline = Date.now() + 15_000;
      while (
        !(await t.client.group(group.groupId).then(
          () => true,
          () => false,
        ))
      ) {
        if (Date.now() > deadline) throw new Error(`${t.client.userId} never got the invite`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    // What the server can make: alice's genuine signed change adding dave, with dave's
    // identity key swapped for mallory's (the server cannot sign as alice).
    const aliceIdentity = (await aliceStoreIdentity(alice))!;
    const chain = await chainOf(alice, group.groupId);
    const state: GroupMembershipState = verifyMembershipChain(chain, fromHex(group.groupId));
    const daveKey = dave.client.identityKey;
    const genuine = buildMembershipChange(
      state,
      aliceIdentity,
      'add',
      [{ userId: dave.client.userId, deviceId: 1, identityKey: daveKey }],
      Date.now(),
    ).change;
    const forged = genuine.slice();
    forged.set(mallory.client.identityKey, indexOf(forged, daveKey));
    erinSees.forged = forged;
    tamper = (_url, body) => {
      const reply = JSON.parse(body) as {
        entries: { epoch: number; change: string; at: number }[];
      };
      reply.entries.push({ epoch: state.epoch + 1, change: bytesToBase64(forged), at: Date.now() });
      return JSON.stringify(reply);
    };

    for (const t of [alice, bob, carol]) {
      await expect(t.client.refreshGroup(group.groupId)).rejects.toBeInstanceOf(
        GroupIntegrityError,
      );
      expect((await t.client.group(group.groupId)).members).not.toContain(dave.client.userId);
    }
    tamper = undefined;
    // A device that newly joins verifies the chain from its genesis: a forged one is refused.
    await alice.client.addMember(group.groupId, erin.client.userId);
    await waitFor('erin refuses the forged chain', () =>
      erin.undecryptable.some((u) => u.reason === 'group-integrity'),
    );
    await expect(erin.client.group(group.groupId)).rejects.toThrow();

    for (const t of [alice, bob, carol])
      await t.client.sendToGroup(group.groupId, `from ${t.client.userId}`);
    await waitFor('members read each other', () =>
      [alice, bob, carol].every(
        (t) => t.messages.filter((m) => m.groupId === group.groupId).length === 2,
      ),
    );
    await mallory.client.drain();
    await dave.client.drain();
    expect(mallory.messages).toEqual([]);
    expect(dave.messages).toEqual([]);
  });

  it('is refused when the server demands envelopes for a device outside the chain', async () => {
    const server: { ghost?: { userId: string; deviceId: number } } = {};
    const demand = () => ({
      code: 'MISMATCHED_DEVICES',
      message: 'devices differ',
      details: { missing: [server.ghost], stale: [] },
    });
    // The demand comes on whichever carries the send: the socket, or HTTP without one.
    const demanding: FetchLike = async (url, init) => {
      if (server.ghost && url.endsWith('/v1/messages') && init?.body?.includes('"group"')) {
        return { status: 409, text: () => Promise.resolve(JSON.stringify({ error: demand() })) };
      }
      return realFetch(url, init);
    };
    const demandingSockets = answeringSends(nodeWebSocketFactory, (frame) =>
      server.ghost && frame.type === 'send' && frame['group'] !== undefined
        ? { type: 'error', ...demand() }
        : undefined,
    );
    const alice = await online('alice', { fetch: demanding, webSocket: demandingSockets });
    const bob = await online('bob');
    const mallory = await online('mallory');
    const group = await alice.client.createGroup('pairwise', [bob.client.userId], {
      mode: 'pairwise',
    });
    server.ghost = mallory.client.address;
    await expect(alice.client.sendToGroup(group.groupId, 'secret')).rejects.toBeInstanceOf(
      GroupIntegrityError,
    );
    await mallory.client.drain();
    await bob.client.drain();
    expect(mallory.messages).toEqual([]);
    expect(texts(bob)).toEqual([]);
  });
});

/** The identity key pair in a test client's store (what only that device could sign with). */
describe('a server that forwards group messages from outside the chain', () => {
  it('has them refused as not-a-member (never decrypted, never shown)', async () => {
    const inject: { message?: unknown } = {};
    const injecting: FetchLike = async (url, init) => {
      const res = await realFetch(url, init);
      if (!inject.message || !url.includes('/v1/mailbox?') || res.status !== 200) return res;
      const body = JSON.parse(await res.text()) as { messages: unknown[] };
      body.messages.push(inject.message);
      inject.message = undefined;
      const text = JSON.stringify(body);
      return { status: 200, text: () => Promise.resolve(text) };
    };
    const alice = await online('alice');
    const bob = await online('bob', { fetch: injecting });
    const mallory = await online('mallory');
    const group = await alice.client.createGroup('closed', [bob.client.userId], {
      mode: 'sender-keys',
    });
    await alice.client.sendToGroup(group.groupId, 'members only');
    await waitFor('bob reads', () => bob.messages.length === 1);
    inject.message = {
      messageId: '999999999',
      sender: mallory.client.address,
      type: 'sender-key',
      groupId: group.groupId,
      clientMessageId: 'forged-1',
      content: bytesToBase64(secureRandom.bytes(120)),
      storedAt: Date.now(),
    };
    await bob.client.drain();
    expect(bob.undecryptable).toEqual([
      expect.objectContaining({
        messageId: '999999999',
        reason: 'not-a-member',
        groupId: group.groupId,
      }),
    ]);
    expect(texts(bob)).toEqual(['members only']);
  });
});

async function aliceStoreIdentity(t: TestClient) {
  const id = await storeOf(t.client).loadIdentity();
  return id ? { publicKey: id.publicKey, secretKey: id.secretKey } : undefined;
}

async function chainOf(t: TestClient, groupId: string): Promise<Uint8Array[]> {
  return (await apiOf(t.client).chain(groupId, 0)).entries.map((e) => e.change);
}

describe("a server that substitutes a device's identity key", () => {
  it('is surfaced: identity-changed event and a different safety number', async () => {
    const fake = generateIdentityKeyPair(secureRandom);
    const fakeSpk = generateSignedPreKey(fake, 7, secureRandom, Date.now());
    const swap: { on: boolean; bobId?: string } = { on: false };
    const substituting: FetchLike = async (url, init) => {
      const res = await realFetch(url, init);
      if (
        !swap.on ||
        res.status !== 200 ||
        !swap.bobId ||
        !url.includes(`/v1/users/${swap.bobId}/`)
      )
        return res;
      const body = JSON.parse(await res.text()) as {
        devices?: { identityKey: string }[];
        bundles?: { identityKey: string; signedPreKey: unknown; oneTimePreKey?: unknown }[];
      };
      for (const d of body.devices ?? []) d.identityKey = bytesToBase64(fake.publicKey);
      for (const b of body.bundles ?? []) {
        b.identityKey = bytesToBase64(fake.publicKey);
        b.signedPreKey = {
          id: fakeSpk.id,
          publicKey: bytesToBase64(fakeSpk.keyPair.publicKey),
          signature: bytesToBase64(fakeSpk.signature),
        };
        delete b.oneTimePreKey;
      }
      const text = JSON.stringify(body);
      return { status: 200, text: () => Promise.resolve(text) };
    };
    const alice = await online('alice', { fetch: substituting });
    const bob = await online('bob');
    swap.bobId = bob.client.userId;
    const changes: { peer: unknown; identityKey: Uint8Array }[] = [];
    alice.client.on('identity-changed', (e) => changes.push(e));
    await alice.client.send(bob.client.userId, 'to the real bob');
    await waitFor('bob reads', () => bob.messages.length === 1);
    const before = await alice.client.safetyNumber(bob.client.userId);
    expect(before.digits).toBe((await bob.client.safetyNumber(alice.client.userId)).digits);

    swap.on = true;
    const after = await alice.client.safetyNumber(bob.client.userId);
    expect(after.digits).not.toBe(before.digits);
    await alice.client.send(bob.client.userId, 'to whom?');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.peer).toEqual(bob.client.address);
    expect(changes[0]!.identityKey).toEqual(fake.publicKey);
  });
});

describe('an unreliable network', () => {
  it('200 messages delivered out of order and with duplicates decrypt exactly once', async () => {
    const alice = await online('alice');
    const bob = await online('bob', {
      webSocket: reorderingSockets(nodeWebSocketFactory),
      fetch: reorderingMailbox(realFetch),
    });
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      sent.push(`message ${i}`);
      await alice.client.send(bob.client.userId, `message ${i}`);
      // Half of them wait in the mailbox for a reconnect (shuffled pages), half come live.
      if (i === 99) bob.client.simulateDisconnect();
    }
    await waitFor('all 200', () => bob.messages.length >= 200, 60_000);
    await bob.client.drain();
    await new Promise((r) => setTimeout(r, 200));
    expect(bob.messages.length).toBe(200);
    expect(texts(bob).sort()).toEqual([...sent].sort());
    expect(new Set(bob.messages.map((m) => m.messageId)).size).toBe(200);
    expect(bob.undecryptable).toEqual([]);
  });
});

describe('a message-delivery instance restarting', () => {
  it('makes connected clients drain what was never offered live (sync frame)', async () => {
    const alice = await online('alice');
    let dropping = true;
    const bob = await online('bob', {
      webSocket: droppingLiveMessages(nodeWebSocketFactory, () => dropping),
      syncJitterMs: 100,
    });
    await alice.client.send(bob.client.userId, 'stored, never live');
    await new Promise((r) => setTimeout(r, 500));
    // Stored (alice's send was acknowledged) but the live frame was lost: bob has nothing.
    expect(bob.messages).toEqual([]);
    dropping = false;
    // A new instance announces itself; the gateway sends `sync`; bob drains his mailbox.
    await stack.startDeliveryInstance('delivery-restarted');
    await waitFor('the stored message', () => bob.messages.length >= 1, 10_000);
    expect(texts(bob)).toEqual(['stored, never live']);
    expect(bob.errors).toEqual([]);
  });
});

describe('a peer restored from an old backup', () => {
  it('is reported, never silently dropped, and the session repairs itself', async () => {
    const aliceStore = new MemoryStore();
    const aliceId = uniqueUser('alice');
    const alice = await onlineClient(stack.url, aliceId, { store: aliceStore });
    const bob = await online('bob');
    await alice.client.send(bob.client.userId, 'hi');
    await waitFor('bob', () => bob.messages.length === 1);
    await bob.client.send(aliceId, 'hi back');
    await waitFor('alice', () => alice.messages.length === 1);
    const backup = aliceStore.clone();
    for (const text of ['a', 'b', 'c']) await alice.client.send(bob.client.userId, text);
    await bob.client.send(aliceId, 'd');
    await waitFor('bob and alice', () => bob.messages.length === 4 && alice.messages.length === 2);
    await alice.client.close();

    // Alice's device comes back from the backup: its ratchet is behind bob's.
    const restored = await newClient(stack.url, aliceId, { store: backup });
    open.push(restored);
    const resets: unknown[] = [];
    restored.client.on('session-reset', (e) => resets.push(e));
    await restored.client.connect();
    await restored.client.send(bob.client.userId, 'after restore');
    await waitFor('bob reports it', () => bob.undecryptable.length === 1);
    expect(bob.undecryptable[0]).toMatchObject({ from: { userId: aliceId, deviceId: 1 } });
    expect(['duplicate', 'session']).toContain(bob.undecryptable[0]!.reason);
    await waitFor('alice gets the reset', () => resets.length === 1);

    await restored.client.send(bob.client.userId, 'after repair');
    await waitFor('bob reads again', () => texts(bob).includes('after repair'));
    await bob.client.send(aliceId, 'welcome back');
    await waitFor('alice reads again', () => texts(restored).includes('welcome back'));
  });
});

describe('keys', () => {
  it('replenishes one-time prekeys when the gateway says they run low', async () => {
    const alice = await online('alice');
    const bob = await online('bob');
    const bobApi = apiOf(bob.client);
    const aliceApi = apiOf(alice.client);
    for (let i = 0; i < 80; i++) await bobApi.bundle(alice.client.address);
    const deadline = Date.now() + 10_000;
    let stock = 0;
    while (Date.now() < deadline) {
      stock = (await aliceApi.preKeyStock(alice.client.address)).oneTimePreKeys;
      if (stock > 50) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stock).toBeGreaterThan(50);
    // The new keys work: a fresh device of another user starts a session with them.
    const carol = await online('carol');
    await carol.client.send(alice.client.userId, 'with a new prekey');
    await waitFor('alice reads', () => texts(alice).includes('with a new prekey'));
  });

  it('rotates the signed prekey on connect when it is older than the configured age', async () => {
    const now = { t: Date.now() };
    const aliceId = uniqueUser('alice');
    const store = new MemoryStore();
    const first = await onlineClient(stack.url, aliceId, { store, now: () => now.t });
    const api = apiOf(first.client);
    expect((await api.preKeyStock(first.client.address)).signedPreKeyId).toBe(1);
    await first.client.close();
    now.t += 8 * 24 * 60 * 60 * 1000;
    const again = await onlineClient(stack.url, aliceId, { store, now: () => now.t });
    open.push(again);
    expect((await api.preKeyStock(first.client.address)).signedPreKeyId).toBe(2);
    const bob = await online('bob');
    await bob.client.send(aliceId, 'to the new signed prekey');
    await waitFor('alice reads', () => texts(again).includes('to the new signed prekey'));
  });
});

describe('garbage from a peer', () => {
  it('is emitted as undecryptable with a typed reason and acked', async () => {
    const alice = await online('alice');
    const bob = await online('bob');
    const api = apiOf(alice.client);
    await api.sendMessages({
      clientMessageId: 'garbage-1',
      envelopes: [
        { recipient: bob.client.address, type: 'message', content: secureRandom.bytes(80) },
      ],
    });
    await waitFor('reported', () => bob.undecryptable.length === 1);
    expect(bob.undecryptable[0]).toMatchObject({ from: alice.client.address });
    expect(['malformed', 'session']).toContain(bob.undecryptable[0]!.reason);
    // Acked: a fresh drain finds nothing left.
    const bobApi = apiOf(bob.client);
    await new Promise((r) => setTimeout(r, 200));
    expect((await bobApi.mailbox()).messages).toEqual([]);
  });
});
