/**
 * End to end through the real gateway and services: 1:1 messages, multi-device fan-out,
 * offline catch-up, reconnection.
 */
import { initProtocol } from '@parley/protocol';
import type { Stack } from './support/stack';
import { startStack } from './support/stack';
import type { TestClient } from './support/clients';
import {
  apiOf,
  newClient,
  onlineClient,
  realFetch,
  texts,
  uniqueUser,
  waitFor,
} from './support/clients';
import type { FetchLike } from '../src/node';
import { nodeWebSocketFactory } from '../src/node';

let stack: Stack;
const open: TestClient[] = [];

beforeAll(async () => {
  await initProtocol();
  stack = await startStack('direct');
});
afterEach(async () => {
  for (const t of open.splice(0)) await t.client.close();
});
afterAll(async () => {
  await stack.close();
});

async function online(name: string, deviceId = 1, userId = uniqueUser(name)): Promise<TestClient> {
  const t = await onlineClient(stack.url, userId, { deviceId });
  open.push(t);
  return t;
}

describe('1:1 messages', () => {
  it('go over the live socket while connected and over HTTP without one', async () => {
    const posts: string[] = [];
    const counting: FetchLike = (url, init) => {
      if (init?.method === 'POST' && url.endsWith('/v1/messages')) posts.push(url);
      return realFetch(url, init);
    };
    const bob = await online('bob');
    const alice = await newClient(stack.url, uniqueUser('alice'), { fetch: counting });
    open.push(alice);
    await alice.client.register();
    // Not connected: HTTP carries the send.
    await alice.client.send(bob.client.userId, 'over http');
    expect(posts).toHaveLength(1);
    await alice.client.connect();
    await alice.client.send(bob.client.userId, 'over the socket');
    await waitFor('bob gets both', () => bob.messages.length === 2);
    expect(texts(bob)).toEqual(['over http', 'over the socket']);
    expect(posts).toHaveLength(1);
  });

  it('go both ways, decrypted on the device, with sender and time', async () => {
    const alice = await online('alice');
    const bob = await online('bob');
    await alice.client.send(bob.client.userId, 'hello bob');
    await waitFor('bob gets it', () => bob.messages.length === 1);
    expect(bob.messages[0]).toMatchObject({ from: alice.client.address, text: 'hello bob' });
    await bob.client.send(alice.client.userId, 'hi alice');
    await alice.client.send(bob.client.userId, 'second');
    await waitFor(
      'both get theirs',
      () => alice.messages.length === 1 && bob.messages.length === 2,
    );
    expect(texts(alice)).toEqual(['hi alice']);
    expect(texts(bob)).toEqual(['hello bob', 'second']);
    expect([...alice.undecryptable, ...bob.undecryptable]).toEqual([]);
  });

  it("reach every device of the recipient, and the sender's other device gets a copy", async () => {
    const aliceId = uniqueUser('alice');
    const bobId = uniqueUser('bob');
    const alice1 = await online('alice', 1, aliceId);
    const alice2 = await online('alice', 2, aliceId);
    const bob1 = await online('bob', 1, bobId);
    const bob2 = await online('bob', 2, bobId);
    await alice1.client.send(bobId, 'to both of your devices');
    await waitFor(
      'fan-out',
      () =>
        bob1.messages.length === 1 && bob2.messages.length === 1 && alice2.messages.length === 1,
    );
    expect(bob1.messages[0]).toMatchObject({
      text: 'to both of your devices',
      from: { userId: aliceId, deviceId: 1 },
    });
    expect(bob2.messages[0]?.text).toBe('to both of your devices');
    expect(alice2.messages[0]).toMatchObject({
      text: 'to both of your devices',
      to: bobId,
      from: { userId: aliceId, deviceId: 1 },
    });
    expect(alice1.messages).toEqual([]);
    // And back: bob2 answers, alice's two devices and bob1 (the copy) get it.
    await bob2.client.send(aliceId, 'answer');
    await waitFor(
      'answer fan-out',
      () =>
        alice1.messages.length === 1 && alice2.messages.length === 2 && bob1.messages.length === 2,
    );
  });

  it('reach a device the sender did not know of (409 MISMATCHED_DEVICES, refreshed, re-encrypted)', async () => {
    const alice = await online('alice');
    const bobId = uniqueUser('bob');
    const bob1 = await online('bob', 1, bobId);
    await alice.client.send(bobId, 'first');
    await waitFor('bob1', () => bob1.messages.length === 1);
    // Bob links a second device; alice's cached device list is now stale.
    const bob2 = await online('bob', 2, bobId);
    await alice.client.send(bobId, 'second');
    await waitFor(
      'both bob devices',
      () => bob1.messages.length === 2 && bob2.messages.length === 1,
    );
    expect(texts(bob2)).toEqual(['second']);
  });

  it('wait for an offline device and arrive when it connects', async () => {
    const alice = await online('alice');
    const bobId = uniqueUser('bob');
    const bob = await newClient(stack.url, bobId);
    await bob.client.register();
    await alice.client.send(bobId, 'one');
    await alice.client.send(bobId, 'two');
    await alice.client.send(bobId, 'three');
    expect(bob.messages).toEqual([]);
    await bob.client.connect();
    open.push(bob);
    // connect() resolves once the mailbox was drained.
    expect(texts(bob)).toEqual(['one', 'two', 'three']);
  });

  it('keep flowing across a dropped connection (reconnect with backoff)', async () => {
    const alice = await online('alice');
    const bob = await online('bob');
    await alice.client.send(bob.client.userId, 'before');
    await waitFor('before', () => bob.messages.length === 1);
    bob.client.simulateDisconnect();
    await alice.client.send(bob.client.userId, 'during');
    await waitFor('after reconnect', () => bob.messages.length === 2);
    expect(texts(bob)).toEqual(['before', 'during']);
  });

  it('log in again when the token is refused (HTTP 401, WebSocket 4401)', async () => {
    const alice = await online('alice');
    const bob = await online('bob');
    apiOf(bob.client).setToken('not-a-valid-token-at-all');
    bob.client.simulateDisconnect();
    await alice.client.send(bob.client.userId, 'after a refused token');
    await waitFor('bob back', () => bob.messages.length === 1);
    apiOf(alice.client).setToken('not-a-valid-token-either');
    await alice.client.send(bob.client.userId, 'alice logged in again');
    await waitFor('second', () => bob.messages.length === 2);
  });

  it('can connect again after a first attempt that failed', async () => {
    let fail = true;
    const bobId = uniqueUser('bob');
    const bob = await newClient(stack.url, bobId, {
      webSocket: (url) => {
        if (fail) throw new Error('no network');
        return nodeWebSocketFactory(url);
      },
    });
    open.push(bob);
    await bob.client.register();
    await expect(bob.client.connect()).rejects.toThrow('no network');
    fail = false;
    await bob.client.connect();
    const alice = await online('alice');
    await alice.client.send(bobId, 'connected now');
    await waitFor('bob', () => bob.messages.length === 1);
  });

  it('give both sides the same safety number', async () => {
    const alice = await online('alice');
    const bob = await online('bob');
    const a = await alice.client.safetyNumber(bob.client.userId);
    const b = await bob.client.safetyNumber(alice.client.userId);
    expect(a.digits).toMatch(/^[0-9]{60}$/);
    expect(a.digits).toBe(b.digits);
  });
});
