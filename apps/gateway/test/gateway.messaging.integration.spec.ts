/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call -- HTTP bodies and frames are untyped JSON that the assertions inspect */
/**
 * Messaging through the gateway against the real prekey-directory, group-membership and
 * message-delivery (one process, own databases and NATS namespace): live delivery over the
 * WebSocket and acks, offline storage drained over HTTP, pairwise and sender-key group
 * sends, device-set mismatches, membership and prekey frames, and the refusals.
 */
import { randomBytes } from 'node:crypto';
import { buildMembershipChange, createGroup, deterministicRandom } from '@parley/protocol';
import type { GroupMembershipState } from '@parley/protocol';
import { LiveDeliveryRouter } from '../src/app/live/live-delivery.router';
import { TestDevice } from './support/device';
import { http } from './support/harness';
import { addr, b64, cmid, envelope, uid, useMessagingStack } from './support/messaging-fixture';

const MESSAGE_BODY_LIMIT = 256 * 1024;

const fx = useMessagingStack('gw-msg', {
  GATEWAY_MESSAGE_BODY_LIMIT_BYTES: String(MESSAGE_BODY_LIMIT),
});
const { device, live, post, get, open } = fx;
const memberOf = (d: TestDevice) => ({
  userId: d.userId,
  deviceId: d.deviceId,
  identityKey: d.identity.publicKey,
});

/** A group `admin` creates with `others`, through the gateway. */
async function newGroup(admin: TestDevice, others: readonly TestDevice[]) {
  const built = createGroup(
    admin.identity,
    memberOf(admin),
    others.map(memberOf),
    deterministicRandom(`group/${admin.userId}/${uid('seed')}`),
    Date.now(),
  );
  const groupId = Buffer.from(built.state.groupId).toString('hex');
  const res = await post(admin, '/v1/groups', {
    groupId,
    members: [...new Set([admin, ...others].map((d) => d.userId))],
    change: b64(built.change),
  });
  expect(res.status).toBe(201);
  expect(res.body).toEqual({ groupId, epoch: 0 });
  return { groupId, state: built.state };
}

describe('1:1 delivery', () => {
  it('delivers to a connected device as a frame; an ack frame deletes it', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const bobLive = await live(bob);
    const content = randomBytes(64);
    const clientMessageId = cmid();

    const sent = await post(alice, '/v1/messages', {
      clientMessageId,
      envelopes: [envelope(bob, content)],
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ clientMessageId, recipients: 1, deduplicated: false });

    const frame = await bobLive.next('message');
    const message = frame.message as Record<string, unknown>;
    expect(message).toMatchObject({
      sender: addr(alice),
      type: 'message',
      clientMessageId,
      content: b64(content),
    });
    // Still in the mailbox until acked.
    expect((await get(bob, '/v1/mailbox')).body.messages).toHaveLength(1);

    bobLive.send({ type: 'ack', messageIds: [message['messageId']], id: 'a1' });
    expect(await bobLive.next('acked')).toEqual({ type: 'acked', id: 'a1', deleted: 1 });
    expect((await get(bob, '/v1/mailbox')).body).toEqual({ messages: [], more: false });
  });

  it('an ack frame without id deletes without an acked reply', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const bobLive = await live(bob);
    const res = await post(alice, '/v1/messages', {
      clientMessageId: cmid(),
      envelopes: [envelope(bob)],
    });
    expect(res.status).toBe(200);
    const { message } = await bobLive.next('message');
    bobLive.send({ type: 'ack', messageIds: [(message as { messageId: string }).messageId] });
    const deadline = Date.now() + 5_000;
    while ((await get(bob, '/v1/mailbox')).body.messages.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await get(bob, '/v1/mailbox')).body).toEqual({ messages: [], more: false });
    bobLive.send({ type: 'ping', id: 'after-ack' });
    expect(await bobLive.next('pong')).toEqual({ type: 'pong', id: 'after-ack' });
    // The delete committed before message-delivery answered the gateway: an acked frame
    // would have come by now.
    await new Promise((r) => setTimeout(r, 300));
    expect(bobLive.frames.filter((f) => f.type === 'acked')).toEqual([]);
  });

  it('stores for an offline device; after reconnecting it drains the mailbox in order', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const clientMessageId = cmid();
      ids.push(clientMessageId);
      const res = await post(alice, '/v1/messages', {
        clientMessageId,
        envelopes: [envelope(bob, new Uint8Array([i]))],
      });
      expect(res.status).toBe(200);
    }
    const bobLive = await live(bob);
    const page1 = await get(bob, '/v1/mailbox?limit=2');
    expect(page1.status).toBe(200);
    // Forwarded as message-delivery wrote it, still labelled as the JSON it is.
    expect(page1.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(page1.body.more).toBe(true);
    const last = page1.body.messages[1].messageId as string;
    const page2 = await get(bob, `/v1/mailbox?limit=2&after=${last}`);
    expect(page2.body.more).toBe(false);
    const drained = [...page1.body.messages, ...page2.body.messages];
    expect(drained.map((m: { clientMessageId: string }) => m.clientMessageId)).toEqual(ids);
    expect(drained.map((m: { content: string }) => m.content)).toEqual(
      [0, 1, 2].map((i) => b64(new Uint8Array([i]))),
    );
    // Nothing of this arrived live (it was stored while bob was away).
    expect(bobLive.frames.filter((f) => f.type === 'message')).toEqual([]);

    const acked = await post(bob, '/v1/mailbox/ack', {
      messageIds: drained.map((m: { messageId: string }) => m.messageId),
    });
    expect(acked.body).toEqual({ deleted: 3 });
    expect((await get(bob, '/v1/mailbox')).body.messages).toEqual([]);
  });

  it('a device reads and acks only its own mailbox', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const mallory = await device(uid('mallory'));
    await post(alice, '/v1/messages', { clientMessageId: cmid(), envelopes: [envelope(bob)] });
    const [stored] = (await get(bob, '/v1/mailbox')).body.messages;
    expect(stored).toBeDefined();

    // No parameter names another device: the mailbox is always the token's.
    const peek = await get(mallory, `/v1/mailbox?userId=${bob.userId}&deviceId=1`);
    expect(peek.status).toBe(200);
    expect(peek.body.messages).toEqual([]);
    expect(
      (await post(mallory, '/v1/mailbox/ack', { messageIds: [stored.messageId] })).body,
    ).toEqual({
      deleted: 0,
    });
    expect((await get(bob, '/v1/mailbox')).body.messages).toHaveLength(1);
    expect((await http(fx.stack.url, 'GET', '/v1/mailbox')).status).toBe(401);
  });

  it('keeps one live subscription per device and drops it on close', async () => {
    const bob = await device(uid('bob'));
    const router = fx.stack.gateway.app.get(LiveDeliveryRouter);
    const before = router.size;
    const first = await live(bob);
    const second = await live(bob);
    expect((await first.closed).code).toBe(4409);
    expect(router.size).toBe(before + 1);
    const alice = await device(uid('alice'));
    await post(alice, '/v1/messages', { clientMessageId: cmid(), envelopes: [envelope(bob)] });
    await second.next('message');
    await second.close();
    open.splice(open.indexOf(second), 1);
    expect(router.size).toBe(before);
  });
});

describe('device sets', () => {
  it("lists a user's devices without spending prekeys", async () => {
    const carol1 = await device(uid('carol'), 1, 2);
    const carol2 = new TestDevice(carol1.userId, 2);
    await carol2.register(fx.stack.url, 2);
    const res = await get(carol1, `/v1/users/${carol1.userId}/devices`);
    expect(res.status).toBe(200);
    expect(res.body.userId).toBe(carol1.userId);
    expect(res.body.devices.map((d: { deviceId: number }) => d.deviceId).sort()).toEqual([1, 2]);
    expect(res.body.devices[0].identityKey).toEqual(expect.any(String));
    const stock = await get(carol1, `/v1/users/${carol1.userId}/devices/1/prekey-stock`);
    expect(stock.body.oneTimePreKeys).toBe(2);
    expect((await get(carol1, `/v1/users/${uid('nobody')}/devices`)).status).toBe(404);
  });

  it('refuses a send that misses or invents devices with 409 MISMATCHED_DEVICES and details', async () => {
    const alice = await device(uid('alice'));
    const bob1 = await device(uid('bob'));
    const bob2 = new TestDevice(bob1.userId, 2);
    await bob2.register(fx.stack.url);
    const ghost = new TestDevice(bob1.userId, 9);
    const res = await post(alice, '/v1/messages', {
      clientMessageId: cmid(),
      envelopes: [envelope(bob1), envelope(ghost)],
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('MISMATCHED_DEVICES');
    expect(res.body.error.details).toEqual({ missing: [addr(bob2)], stale: [addr(ghost)] });
    expect((await get(bob1, '/v1/mailbox')).body.messages).toEqual([]);
  });
});

describe('groups', () => {
  let admin: TestDevice;
  let members: TestDevice[];
  let groupId: string;
  let state: GroupMembershipState;

  beforeAll(async () => {
    admin = await device(uid('admin'));
    members = await Promise.all([1, 2, 3, 4, 5].map((i) => device(uid(`m${i}`))));
    ({ groupId, state } = await newGroup(admin, members));
  });

  it('lists members and the chain to members only', async () => {
    const listed = await get(members[0]!, `/v1/groups/${groupId}/members`);
    expect(listed.status).toBe(200);
    expect(listed.body.epoch).toBe(0);
    expect(listed.body.members).toHaveLength(6);
    expect(listed.body.members).toContainEqual({ userId: admin.userId, role: 'admin' });
    const chain = await get(members[1]!, `/v1/groups/${groupId}/chain?fromEpoch=0&limit=10`);
    expect(chain.status).toBe(200);
    expect(chain.body.entries).toHaveLength(1);
    expect(chain.body.entries[0].epoch).toBe(0);
    const outsider = await device(uid('outsider'));
    const refused = await get(outsider, `/v1/groups/${groupId}/members`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('NOT_A_MEMBER');
    expect((await get(outsider, `/v1/groups/${groupId}/chain?limit=x`)).status).toBe(400);
  });

  it('sends a pairwise group message to 5 members through the gateway', async () => {
    const receivers = await Promise.all(members.map((m) => live(m)));
    const clientMessageId = cmid();
    const res = await post(admin, '/v1/messages', {
      clientMessageId,
      group: { groupId, epoch: 0 },
      envelopes: members.map((m) => envelope(m, Buffer.from(`for ${m.userId}`))),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ recipients: 5, deduplicated: false });
    for (const [i, r] of receivers.entries()) {
      const frame = await r.next(
        'message',
        (f) => (f.message as { clientMessageId: string }).clientMessageId === clientMessageId,
      );
      expect((frame.message as { content: string }).content).toBe(
        b64(Buffer.from(`for ${members[i]!.userId}`)),
      );
    }
    // A group send that leaves out a member is refused, nothing stored.
    const partial = await post(admin, '/v1/messages', {
      clientMessageId: cmid(),
      group: { groupId, epoch: 0 },
      envelopes: members.slice(1).map((m) => envelope(m)),
    });
    expect(partial.status).toBe(409);
    expect(partial.body.error).toMatchObject({
      code: 'MISMATCHED_DEVICES',
      details: { missing: [addr(members[0]!)], stale: [] },
    });
    await Promise.all(receivers.map((r) => r.close()));
    open.splice(0, open.length, ...open.filter((c) => !receivers.includes(c)));
  });

  it('sends a sender-key message that the service fans out; refuses outsiders and stale epochs', async () => {
    const ciphertext = randomBytes(120);
    const clientMessageId = cmid();
    const res = await post(members[0]!, `/v1/groups/${groupId}/messages`, {
      clientMessageId,
      epoch: 0,
      ciphertext: b64(ciphertext),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ clientMessageId, recipients: 5 });
    for (const d of [admin, ...members.slice(1)]) {
      const { messages } = (await get(d, '/v1/mailbox')).body;
      expect(messages).toContainEqual(
        expect.objectContaining({
          clientMessageId,
          type: 'sender-key',
          groupId,
          sender: addr(members[0]!),
          content: b64(ciphertext),
        }),
      );
    }
    const outsider = await device(uid('outsider'));
    const refused = await post(outsider, `/v1/groups/${groupId}/messages`, {
      clientMessageId: cmid(),
      epoch: 0,
      ciphertext: b64(ciphertext),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('NOT_A_MEMBER');
    const stale = await post(members[0]!, `/v1/groups/${groupId}/messages`, {
      clientMessageId: cmid(),
      epoch: 7,
      ciphertext: b64(ciphertext),
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('EPOCH_CONFLICT');
  });

  it('refuses removal by a non-admin (403); an admin removal reaches connected members as frames', async () => {
    const [m1, m2] = [members[0]!, members[1]!];
    const removeM2 = buildMembershipChange(
      state,
      admin.identity,
      'remove',
      [memberOf(m2)],
      Date.now(),
    );
    const body = { userIds: [m2.userId], baseEpoch: 0, change: b64(removeM2.change) };
    // m1 sends the admin's signed change as its own request.
    const refused = await post(m1, `/v1/groups/${groupId}/members/remove`, body);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');

    const m1Live = await live(m1);
    const m2Live = await live(m2);
    const removed = await post(admin, `/v1/groups/${groupId}/members/remove`, body);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ groupId, epoch: 1 });
    const expected = {
      type: 'membership',
      groupId,
      epoch: 1,
      kind: 'removed',
      userIds: [m2.userId],
    };
    expect(await m1Live.next('membership')).toEqual(expected);
    // The removed member learns it too.
    expect(await m2Live.next('membership')).toEqual(expected);
    state = removeM2.state;

    const newcomer = await device(uid('newcomer'));
    const newcomerLive = await live(newcomer);
    const add = buildMembershipChange(
      state,
      admin.identity,
      'add',
      [memberOf(newcomer)],
      Date.now(),
    );
    const added = await post(admin, `/v1/groups/${groupId}/members`, {
      userIds: [newcomer.userId],
      baseEpoch: 1,
      change: b64(add.change),
    });
    expect(added.status).toBe(200);
    const addedFrame = {
      type: 'membership',
      groupId,
      epoch: 2,
      kind: 'added',
      userIds: [newcomer.userId],
    };
    expect(await m1Live.next('membership')).toEqual(addedFrame);
    expect(await newcomerLive.next('membership')).toEqual(addedFrame);
    state = add.state;

    // A plain member leaving: the other members are told too (the instance asks as a
    // member it learnt in an earlier lookup, since the leaver is no member any more).
    const m3 = members[2]!;
    const leave = buildMembershipChange(state, m3.identity, 'remove', [memberOf(m3)], Date.now());
    const left = await post(m3, `/v1/groups/${groupId}/members/remove`, {
      userIds: [m3.userId],
      baseEpoch: 2,
      change: b64(leave.change),
    });
    expect(left.status).toBe(200);
    expect(await m1Live.next('membership')).toEqual({
      type: 'membership',
      groupId,
      epoch: 3,
      kind: 'removed',
      userIds: [m3.userId],
    });
    state = leave.state;
    // The removed member hears nothing of later changes.
    await new Promise((r) => setTimeout(r, 100));
    expect(m2Live.frames.filter((f) => f.type === 'membership')).toEqual([]);
  });
});

describe('prekey frames', () => {
  it('tells a connected device that its one-time prekeys run low', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'), 1, 3);
    const bobLive = await live(bob);
    expect((await get(alice, `/v1/users/${bob.userId}/devices/1/bundle`)).status).toBe(200);
    expect(await bobLive.next('prekeys-low')).toEqual({
      type: 'prekeys-low',
      remaining: 2,
      threshold: 25,
    });
  });
});

describe('refusals', () => {
  it('answers malformed frames with typed error frames and keeps the socket', async () => {
    const bob = await device(uid('bob'));
    const bobLive = await live(bob);
    bobLive.send('{not json');
    expect((await bobLive.next('error')).code).toBe('VALIDATION_FAILED');
    bobLive.send({ type: 'ack', messageIds: [] });
    expect((await bobLive.next('error')).code).toBe('VALIDATION_FAILED');
    bobLive.send({ type: 'ack', messageIds: ['bad id!'] });
    expect((await bobLive.next('error')).code).toBe('VALIDATION_FAILED');
    bobLive.send({ type: 'ping', id: 'still-here' });
    expect(await bobLive.next('pong')).toEqual({ type: 'pong', id: 'still-here' });
  });

  it('answers malformed bodies and queries with 400 VALIDATION_FAILED and issues', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const badBase64 = await post(alice, '/v1/messages', {
      clientMessageId: cmid(),
      envelopes: [{ ...envelope(bob), content: 'not base64!' }],
    });
    expect(badBase64.status).toBe(400);
    expect(badBase64.body.error.code).toBe('VALIDATION_FAILED');
    expect(badBase64.body.error.details.issues[0].path).toBe('envelopes.0.content');
    const duplicate = await post(alice, '/v1/messages', {
      clientMessageId: cmid(),
      envelopes: [envelope(bob), envelope(bob)],
    });
    expect(duplicate.status).toBe(400);
    const badGroup = await post(alice, '/v1/groups/no.dots/messages', {
      clientMessageId: cmid(),
      epoch: 0,
      ciphertext: b64(randomBytes(8)),
    });
    expect(badGroup.status).toBe(400);
    expect((await get(alice, '/v1/mailbox?limit=0')).status).toBe(400);
    expect((await get(alice, '/v1/mailbox?limit=abc')).body.error.code).toBe('VALIDATION_FAILED');
    const malformed = await http(fx.stack.url, 'POST', '/v1/mailbox/ack', {
      token: alice.token!,
      rawBody: '{"messageIds": [',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('takes sends above the general body limit up to the message limit, then 413', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    // 80 KiB of ciphertext is ~107 KiB of JSON: over the 64 KiB limit of other routes.
    const big = await post(alice, '/v1/messages', {
      clientMessageId: cmid(),
      envelopes: [envelope(bob, randomBytes(80 * 1024))],
    });
    expect(big.status).toBe(200);
    const huge = await http(fx.stack.url, 'POST', '/v1/messages', {
      token: alice.token!,
      rawBody: JSON.stringify({
        clientMessageId: cmid(),
        envelopes: [],
        pad: 'x'.repeat(MESSAGE_BODY_LIMIT),
      }),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { limitBytes: MESSAGE_BODY_LIMIT },
    });
    const hugeAck = await http(fx.stack.url, 'POST', '/v1/mailbox/ack', {
      token: alice.token!,
      rawBody: JSON.stringify({ messageIds: ['a'], pad: 'x'.repeat(100 * 1024) }),
    });
    expect(hugeAck.status).toBe(413);
    expect(hugeAck.body.error.details.limitBytes).toBe(fx.stack.config.GATEWAY_BODY_LIMIT_BYTES);
  });
});
