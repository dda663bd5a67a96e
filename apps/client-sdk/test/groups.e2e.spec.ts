/**
 * End to end: groups in both modes through the real gateway, group-membership and
 * message-delivery, with every membership check made on the devices.
 */
import { initProtocol } from '@parley/protocol';
import type { GroupMode } from '../src/node';
import type { Stack } from './support/stack';
import { startStack } from './support/stack';
import type { TestClient } from './support/clients';
import { onlineClient, texts, uniqueUser, waitFor } from './support/clients';

let stack: Stack;
const open: TestClient[] = [];

beforeAll(async () => {
  await initProtocol();
  stack = await startStack('groups');
});
afterEach(async () => {
  for (const t of open.splice(0)) await t.client.close();
});
afterAll(async () => {
  await stack.close();
});

async function online(name: string): Promise<TestClient> {
  const t = await onlineClient(stack.url, uniqueUser(name));
  open.push(t);
  return t;
}

const inGroup = (groupId: string) => (m: { groupId?: string }) => m.groupId === groupId;

describe.each<GroupMode>(['pairwise', 'sender-keys'])('a %s group of three', (mode) => {
  it("delivers every member's messages to the two others, once", async () => {
    const [alice, bob, carol] = [await online('alice'), await online('bob'), await online('carol')];
    const group = await alice.client.createGroup('trio', [bob.client.userId, carol.client.userId], {
      mode,
    });
    expect(group.members.sort()).toEqual([alice, bob, carol].map((t) => t.client.userId).sort());
    await alice.client.sendToGroup(group.groupId, 'from alice');
    await waitFor('bob and carol get alice', () =>
      [bob, carol].every((t) => texts(t, inGroup(group.groupId)).length === 1),
    );
    await bob.client.sendToGroup(group.groupId, 'from bob');
    await carol.client.sendToGroup(group.groupId, 'from carol');
    await waitFor(
      'all messages',
      () =>
        texts(alice, inGroup(group.groupId)).length === 2 &&
        texts(bob, inGroup(group.groupId)).length === 2 &&
        texts(carol, inGroup(group.groupId)).length === 2,
    );
    expect(texts(alice, inGroup(group.groupId)).sort()).toEqual(['from bob', 'from carol']);
    expect(texts(bob, inGroup(group.groupId)).sort()).toEqual(['from alice', 'from carol']);
    expect(texts(carol, inGroup(group.groupId)).sort()).toEqual(['from alice', 'from bob']);
    const fromBob = alice.messages.find((m) => m.text === 'from bob');
    expect(fromBob?.from).toEqual(bob.client.address);
    for (const t of [bob, carol]) {
      expect(await t.client.group(group.groupId)).toMatchObject({
        name: 'trio',
        mode,
        active: true,
      });
    }
    expect([...alice.undecryptable, ...bob.undecryptable, ...carol.undecryptable]).toEqual([]);
  });

  it('leaves a removed member (still connected) nothing it can read', async () => {
    const [alice, bob, carol] = [await online('alice'), await online('bob'), await online('carol')];
    const group = await alice.client.createGroup(
      'soon two',
      [bob.client.userId, carol.client.userId],
      {
        mode,
      },
    );
    await alice.client.sendToGroup(group.groupId, 'before');
    await bob.client.sendToGroup(group.groupId, 'before from bob');
    await waitFor('carol reads before', () => texts(carol, inGroup(group.groupId)).length === 2);

    const after = await alice.client.removeMember(group.groupId, carol.client.userId);
    expect(after.members).not.toContain(carol.client.userId);
    await alice.client.sendToGroup(group.groupId, 'after from alice');
    await bob.client.sendToGroup(group.groupId, 'after from bob');
    await waitFor(
      'bob and alice read after',
      () =>
        texts(bob, inGroup(group.groupId)).includes('after from alice') &&
        texts(alice, inGroup(group.groupId)).includes('after from bob'),
    );
    await carol.client.drain();
    await new Promise((r) => setTimeout(r, 300));
    expect(texts(carol, inGroup(group.groupId)).sort()).toEqual(['before', 'before from bob']);
    expect(carol.messages.some((m) => m.text.startsWith('after'))).toBe(false);
    // Carol cannot send into the group either: the server and her own chain say she left.
    await expect(carol.client.sendToGroup(group.groupId, 'still here?')).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(alice.messages.some((m) => m.text === 'still here?')).toBe(false);
  });

  it('lets a member added later read what comes after, not before', async () => {
    const [alice, bob, dave] = [await online('alice'), await online('bob'), await online('dave')];
    const group = await alice.client.createGroup('growing', [bob.client.userId], { mode });
    await alice.client.sendToGroup(group.groupId, 'early');
    await waitFor('bob reads early', () => texts(bob, inGroup(group.groupId)).length === 1);
    await alice.client.addMember(group.groupId, dave.client.userId);
    await alice.client.sendToGroup(group.groupId, 'late');
    await bob.client.sendToGroup(group.groupId, 'late from bob');
    await waitFor('dave reads late', () => texts(dave, inGroup(group.groupId)).length === 2);
    expect(texts(dave, inGroup(group.groupId)).sort()).toEqual(['late', 'late from bob']);
  });
});

describe('sender-key rotation policy', () => {
  it('rotates after N messages and every message still decrypts', async () => {
    const [alice, bob, carol] = [await online('alice'), await online('bob'), await online('carol')];
    const group = await alice.client.createGroup(
      'rotating',
      [bob.client.userId, carol.client.userId],
      {
        mode: 'sender-keys',
        rotateAfterMessages: 2,
      },
    );
    for (let i = 0; i < 7; i++) await alice.client.sendToGroup(group.groupId, `m${i}`);
    await waitFor('all seven', () =>
      [bob, carol].every((t) => texts(t, inGroup(group.groupId)).length === 7),
    );
    expect(texts(bob, inGroup(group.groupId)).sort()).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
      'm4',
      'm5',
      'm6',
    ]);
    expect([...bob.undecryptable, ...carol.undecryptable]).toEqual([]);
  });
});
