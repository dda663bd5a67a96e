import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initProtocol } from '@parley/protocol';
import type { ParleyStore } from '../src/node';
import { FileStore, MemoryStore, PROCESSED_IDS_KEPT, StoreKeyError } from '../src/node';

const key = (fill: number) => new Uint8Array(32).fill(fill);
const secret = new TextEncoder().encode('very-secret-session-state-0123456789');
const alice = { userId: 'alice', deviceId: 1 };

async function exercise(store: ParleyStore): Promise<void> {
  expect(await store.loadIdentity()).toBeUndefined();
  await store.saveIdentity({
    userId: 'alice',
    deviceId: 1,
    publicKey: key(1),
    secretKey: new Uint8Array(64).fill(2),
  });
  expect((await store.loadIdentity())?.secretKey).toEqual(new Uint8Array(64).fill(2));

  await store.saveSession(alice, secret);
  expect(await store.loadSession(alice)).toEqual(secret);
  expect(await store.loadSession({ userId: 'alice', deviceId: 2 })).toBeUndefined();
  await store.deleteSession(alice);
  expect(await store.loadSession(alice)).toBeUndefined();

  await store.saveSenderKey('g1', alice, secret);
  expect(await store.loadSenderKey('g1', alice)).toEqual(secret);
  expect(await store.loadSenderKey('g2', alice)).toBeUndefined();

  const group = {
    groupId: 'a'.repeat(64),
    name: 'team',
    mode: 'sender-keys' as const,
    membership: secret,
    active: true,
    senderKeyDistributedTo: ['bob/1/00'],
    senderKeyNeedsRotation: false,
  };
  await store.saveGroup(group);
  await store.saveGroup({ ...group, name: 'team 2' });
  expect(await store.listGroupIds()).toEqual([group.groupId]);
  expect((await store.loadGroup(group.groupId))?.name).toBe('team 2');
  expect((await store.loadGroup(group.groupId))?.membership).toEqual(secret);

  expect(await store.isProcessed('m1')).toBe(false);
  await store.markProcessed('m1');
  expect(await store.isProcessed('m1')).toBe(true);
}

describe('MemoryStore', () => {
  beforeAll(initProtocol);

  it('keeps every kind of record', async () => {
    await exercise(new MemoryStore());
  });

  it('remembers a bounded number of processed message ids (oldest forgotten first)', async () => {
    const store = new MemoryStore();
    for (let i = 0; i <= PROCESSED_IDS_KEPT; i++) await store.markProcessed(`m${i}`);
    expect(await store.isProcessed('m0')).toBe(false);
    expect(await store.isProcessed('m1')).toBe(true);
    expect(await store.isProcessed(`m${PROCESSED_IDS_KEPT}`)).toBe(true);
  });
});

describe('FileStore (encrypted at rest)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every kind of record, across reopening', async () => {
    await exercise(await FileStore.open(dir, key(7)));
    const again = await FileStore.open(dir, key(7));
    expect(await again.loadSenderKey('g1', alice)).toEqual(secret);
    expect(await again.isProcessed('m1')).toBe(true);
  });

  it('writes no plaintext and no peer names to disk', async () => {
    const store = await FileStore.open(dir, key(7));
    await store.saveSession(alice, secret);
    await store.saveIdentity({
      userId: 'alice',
      deviceId: 1,
      publicKey: key(1),
      secretKey: new Uint8Array(64).fill(0x41),
    });
    const files = await readdir(dir);
    expect(files.join(' ')).not.toContain('alice');
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    for (const f of files) {
      const bytes = await readFile(join(dir, f));
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from('alice'))).toBe(false);
      expect(bytes.includes(Buffer.alloc(16, 0x41))).toBe(false);
    }
  });

  it('refuses a wrong key with a typed error', async () => {
    const store = await FileStore.open(dir, key(7));
    await store.saveSession(alice, secret);
    await expect(FileStore.open(dir, key(8))).rejects.toBeInstanceOf(StoreKeyError);
  });

  it('refuses a tampered record with a typed error', async () => {
    const store = await FileStore.open(dir, key(7));
    await store.saveSession(alice, secret);
    const files = await readdir(dir);
    for (const f of files.filter((name) => name !== 'key-check.rec')) {
      const bytes = await readFile(join(dir, f));
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
      await writeFile(join(dir, f), bytes);
    }
    await expect(store.loadSession(alice)).rejects.toBeInstanceOf(StoreKeyError);
  });

  it('refuses a record moved to another name (the name is authenticated)', async () => {
    const store = await FileStore.open(dir, key(7));
    await store.saveSession(alice, secret);
    const [file] = (await readdir(dir)).filter((name) => name !== 'key-check.rec');
    await store.saveSession({ userId: 'bob', deviceId: 1 }, new Uint8Array([1]));
    const bobFile = (await readdir(dir)).find((name) => name !== 'key-check.rec' && name !== file)!;
    await writeFile(join(dir, bobFile), await readFile(join(dir, file!)));
    await expect(store.loadSession({ userId: 'bob', deviceId: 1 })).rejects.toBeInstanceOf(
      StoreKeyError,
    );
  });
});
