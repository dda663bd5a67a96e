/**
 * End to end: a device's state survives restarts (encrypted file store) and a crash in the
 * middle of handling a message loses nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initProtocol } from '@parley/protocol';
import type { DeviceAddress } from '../src/node';
import { FileStore, MemoryStore } from '../src/node';
import type { Stack } from './support/stack';
import { startStack } from './support/stack';
import type { TestClient } from './support/clients';
import { newClient, onlineClient, texts, uniqueUser, waitFor } from './support/clients';

let stack: Stack;
const open: TestClient[] = [];

beforeAll(async () => {
  await initProtocol();
  stack = await startStack('persist');
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
  userId = uniqueUser(name),
) {
  const t = await onlineClient(stack.url, userId, options);
  open.push(t);
  return t;
}

/** A store whose next session save fails, as if the process died right there. */
class CrashingStore extends MemoryStore {
  crashOnNextSessionSave = false;

  override async saveSession(peer: DeviceAddress, record: Uint8Array): Promise<void> {
    if (this.crashOnNextSessionSave) {
      this.crashOnNextSessionSave = false;
      throw new Error('simulated crash');
    }
    await super.saveSession(peer, record);
  }
}

describe('persistence', () => {
  it('a device on an encrypted file store keeps its identity, sessions and groups across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-sdk-'));
    const key = new Uint8Array(32).fill(42);
    try {
      const bobId = uniqueUser('bob');
      const first = await online('bob', { store: await FileStore.open(dir, key) }, bobId);
      const alice = await online('alice');
      const group = await alice.client.createGroup('durable', [bobId], { mode: 'sender-keys' });
      await alice.client.send(bobId, 'one');
      await alice.client.sendToGroup(group.groupId, 'group one');
      await waitFor('bob reads', () => first.messages.length === 2);
      await first.client.send(alice.client.userId, 'reply');
      await waitFor('alice reads', () => alice.messages.length === 1);
      const identity = first.client.identityKey;
      await first.client.close();
      open.splice(open.indexOf(first), 1);

      await alice.client.send(bobId, 'two, while bob is away');
      await alice.client.sendToGroup(group.groupId, 'group two');
      const again = await newClient(stack.url, bobId, { store: await FileStore.open(dir, key) });
      open.push(again);
      expect(again.client.isRegistered).toBe(true);
      expect(again.client.identityKey).toEqual(identity);
      await again.client.connect();
      expect(texts(again).sort()).toEqual(['group two', 'two, while bob is away']);
      await again.client.sendToGroup(group.groupId, 'bob is back');
      await waitFor('alice reads', () => texts(alice).includes('bob is back'));
      expect([...again.undecryptable, ...alice.undecryptable]).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a crash after decrypting but before saving the session loses nothing', async () => {
    const store = new CrashingStore();
    const bobId = uniqueUser('bob');
    const bob = await newClient(stack.url, bobId, { store });
    await bob.client.register();
    await bob.client.connect();
    const alice = await online('alice');
    await alice.client.send(bobId, 'hello');
    await waitFor('bob reads', () => bob.messages.length === 1);

    store.crashOnNextSessionSave = true;
    await alice.client.send(bobId, 'survives the crash');
    await waitFor('the crash', () => bob.errors.length === 1);
    await bob.client.close();
    expect(texts(bob)).toEqual(['hello']);

    const restarted = await newClient(stack.url, bobId, { store });
    open.push(restarted);
    await restarted.client.connect();
    expect(texts(restarted)).toEqual(['survives the crash']);
    await alice.client.send(bobId, 'and after');
    await waitFor('and after', () => texts(restarted).includes('and after'));
    expect(restarted.undecryptable).toEqual([]);
  });
});
