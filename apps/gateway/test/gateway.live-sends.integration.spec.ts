/* eslint-disable @typescript-eslint/no-unsafe-member-access -- frames and HTTP bodies are untyped JSON that the assertions inspect */
/**
 * Sending over the live WebSocket (`send`, `send-group` -> `sent` or `error`) against the real
 * prekey-directory, group-membership and message-delivery: the same rules and error codes as
 * POST /v1/messages and POST /v1/groups/:groupId/messages, the frame's id on every reply, and
 * the frame size limits (sends up to the message body limit, other frames 64 KiB).
 */
import { randomBytes } from 'node:crypto';
import { createGroup, deterministicRandom } from '@parley/protocol';
import WebSocket from 'ws';
import { TestDevice } from './support/device';
import { http } from './support/harness';
import { addr, b64, cmid, envelope, uid, useMessagingStack } from './support/messaging-fixture';
import type { Frame, LiveClient } from './support/live';
import { watch } from './support/live';

const MESSAGE_BODY_LIMIT = 256 * 1024;
const SMALL_FRAME_LIMIT = 64 * 1024;

const fx = useMessagingStack('gw-wsend', {
  GATEWAY_MESSAGE_BODY_LIMIT_BYTES: String(MESSAGE_BODY_LIMIT),
});
const { device, live, post, open } = fx;
const byId = (id: string) => (f: Frame) => f['id'] === id;

describe('send frames (1:1)', () => {
  it('a send reaches the recipient socket and the sender gets `sent` with its id', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const [aliceLive, bobLive] = [await live(alice), await live(bob)];
    const content = randomBytes(64);
    const clientMessageId = cmid();
    aliceLive.send({
      type: 'send',
      id: 's1',
      clientMessageId,
      envelopes: [envelope(bob, content)],
    });

    const sent = await aliceLive.next('sent');
    expect(sent).toEqual({
      type: 'sent',
      id: 's1',
      clientMessageId,
      storedAt: expect.any(Number),
      recipients: 1,
      deduplicated: false,
    });
    const frame = await bobLive.next('message');
    expect(frame.message).toMatchObject({
      sender: addr(alice),
      type: 'message',
      clientMessageId,
      content: b64(content),
    });
  });

  it('a retried clientMessageId is answered with deduplicated: true and stored once', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const aliceLive = await live(alice);
    const send = { type: 'send', clientMessageId: cmid(), envelopes: [envelope(bob)] };
    aliceLive.send({ ...send, id: 'first' });
    const first = await aliceLive.next('sent', byId('first'));
    aliceLive.send({ ...send, id: 'retry' });
    const retry = await aliceLive.next('sent', byId('retry'));
    expect(first['deduplicated']).toBe(false);
    expect(retry).toMatchObject({ deduplicated: true, storedAt: first['storedAt'] });
    const mailbox = await http(fx.stack.url, 'GET', '/v1/mailbox', { token: bob.token! });
    expect(mailbox.body.messages).toHaveLength(1);
  });

  it('MISMATCHED_DEVICES carries missing and stale, like the HTTP route', async () => {
    const alice = await device(uid('alice'));
    const bob1 = await device(uid('bob'));
    const bob2 = new TestDevice(bob1.userId, 2);
    await bob2.register(fx.stack.url);
    const ghost = new TestDevice(bob1.userId, 9);
    const aliceLive = await live(alice);
    const body = { clientMessageId: cmid(), envelopes: [envelope(bob1), envelope(ghost)] };
    aliceLive.send({ type: 'send', id: 'mm', ...body });

    const error = await aliceLive.next('error', byId('mm'));
    expect(error).toMatchObject({
      code: 'MISMATCHED_DEVICES',
      details: { missing: [addr(bob2)], stale: [addr(ghost)] },
    });
    const viaHttp = await post(alice, '/v1/messages', body);
    expect(viaHttp.body.error).toEqual({
      code: error['code'],
      message: error['message'],
      details: error['details'],
    });
  });

  it('a malformed send is VALIDATION_FAILED with its id (and without one when the id is unreadable)', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const aliceLive = await live(alice);
    // Two envelopes to one device break the body's envelope-set rule.
    aliceLive.send({
      type: 'send',
      id: 'dup',
      clientMessageId: cmid(),
      envelopes: [envelope(bob), envelope(bob)],
    });
    const dup = await aliceLive.next('error', byId('dup'));
    expect(dup['code']).toBe('VALIDATION_FAILED');
    expect((dup['details'] as { issues: unknown[] }).issues.length).toBeGreaterThan(0);

    aliceLive.send({ type: 'send-group', id: 'g-bad', groupId: 'g', clientMessageId: cmid() });
    expect((await aliceLive.next('error', byId('g-bad')))['code']).toBe('VALIDATION_FAILED');

    // No id: the frame cannot be answered by id, but it is still answered.
    aliceLive.send({ type: 'send', clientMessageId: cmid(), envelopes: [envelope(bob)] });
    const noId = await aliceLive.next('error');
    expect(noId['code']).toBe('VALIDATION_FAILED');
    expect(noId).not.toHaveProperty('id');
    expect(
      (await http(fx.stack.url, 'GET', '/v1/mailbox', { token: bob.token! })).body.messages,
    ).toEqual([]);
  });

  it('pipelined sends on one socket each get their own `sent` with the right id', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const [aliceLive, bobLive] = [await live(alice), await live(bob)];
    const count = 50;
    const ids = Array.from({ length: count }, (_, i) => `p${i}`);
    const clientIds = new Map(ids.map((id) => [id, cmid()]));
    for (const id of ids) {
      aliceLive.send({
        type: 'send',
        id,
        clientMessageId: clientIds.get(id),
        envelopes: [envelope(bob)],
      });
    }
    for (const id of ids) {
      const sent = await aliceLive.next('sent', byId(id), 10_000);
      expect(sent).toMatchObject({ clientMessageId: clientIds.get(id), deduplicated: false });
    }
    const received = new Set<unknown>();
    while (received.size < count) {
      const frame = await bobLive.next('message', undefined, 10_000);
      received.add((frame.message as { clientMessageId: string }).clientMessageId);
    }
    expect(received).toEqual(new Set(clientIds.values()));
  });
});

describe('frame sizes', () => {
  it('accepts a send larger than 64 KiB up to the message body limit', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const aliceLive = await live(alice);
    const content = randomBytes(90 * 1024); // ~120 KiB of base64
    aliceLive.send({
      type: 'send',
      id: 'big',
      clientMessageId: cmid(),
      envelopes: [envelope(bob, content)],
    });
    expect(await aliceLive.next('sent', byId('big'))).toMatchObject({ recipients: 1 });
    const mailbox = await http(fx.stack.url, 'GET', '/v1/mailbox', { token: bob.token! });
    expect(mailbox.body.messages[0].content).toBe(b64(content));
  });

  it('refuses another frame over 64 KiB with PAYLOAD_TOO_LARGE and keeps the socket', async () => {
    const alice = await device(uid('alice'));
    const aliceLive = await live(alice);
    aliceLive.send({ type: 'ping', id: 'fat', pad: 'x'.repeat(SMALL_FRAME_LIMIT) });
    expect(await aliceLive.next('error', byId('fat'))).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { limitBytes: SMALL_FRAME_LIMIT },
    });
    aliceLive.send({ type: 'ping', id: 'after' });
    expect(await aliceLive.next('pong')).toEqual({ type: 'pong', id: 'after' });
  });

  it('closes the socket (1009) on a frame over the message body limit', async () => {
    const alice = await device(uid('alice'));
    const bob = await device(uid('bob'));
    const aliceLive = await live(alice);
    aliceLive.send({
      type: 'send',
      id: 'huge',
      clientMessageId: cmid(),
      envelopes: [{ ...envelope(bob), content: 'A'.repeat(MESSAGE_BODY_LIMIT + 2048) }],
    });
    expect((await aliceLive.closed).code).toBe(1009);
    open.splice(open.indexOf(aliceLive), 1);
  });

  it('closes the socket (1009) on a first frame over 64 KiB before authentication', async () => {
    const ws = new WebSocket(`${fx.stack.url.replace(/^http/, 'ws')}/v1/ws`);
    const client = watch(ws);
    await new Promise((r) => ws.once('open', r));
    client.send({ type: 'auth', token: 'x'.repeat(SMALL_FRAME_LIMIT) });
    expect((await client.closed).code).toBe(1009);
    expect(client.frames).toEqual([]);
  });
});

describe('send-group frames (sender key)', () => {
  it('fans out like POST /v1/groups/:id/messages and refuses with the same codes', async () => {
    const admin = await device(uid('admin'));
    const members = await Promise.all([1, 2, 3].map((i) => device(uid(`m${i}`))));
    const memberOf = (d: TestDevice) => ({ ...addr(d), identityKey: d.identity.publicKey });
    const built = createGroup(
      admin.identity,
      memberOf(admin),
      members.map(memberOf),
      deterministicRandom(`group/${admin.userId}`),
      Date.now(),
    );
    const groupId = Buffer.from(built.state.groupId).toString('hex');
    const created = await post(admin, '/v1/groups', {
      groupId,
      members: [admin, ...members].map((d) => d.userId),
      change: b64(built.change),
    });
    expect(created.status).toBe(201);
    const receivers = await Promise.all(members.map((m) => live(m)));
    const adminLive = await live(admin);
    const ciphertext = randomBytes(120);
    const clientMessageId = cmid();
    adminLive.send({
      type: 'send-group',
      id: 'g1',
      groupId,
      clientMessageId,
      epoch: 0,
      ciphertext: b64(ciphertext),
    });
    expect(await adminLive.next('sent', byId('g1'))).toMatchObject({
      clientMessageId,
      recipients: 3,
      deduplicated: false,
    });
    for (const r of receivers) {
      const frame = await r.next('message');
      expect(frame.message).toMatchObject({
        type: 'sender-key',
        groupId,
        sender: addr(admin),
        content: b64(ciphertext),
      });
    }

    const outsider = await device(uid('outsider'));
    const outsiderLive = await live(outsider);
    type Target = { groupId: string; epoch: number };
    const refusals: Array<[LiveClient, TestDevice, string, Target, string | undefined]> = [
      [outsiderLive, outsider, 'outsider', { groupId, epoch: 0 }, 'NOT_A_MEMBER'],
      [adminLive, admin, 'stale', { groupId, epoch: 7 }, 'EPOCH_CONFLICT'],
      // Whatever an unknown group is answered with over HTTP, the socket answers the same.
      [adminLive, admin, 'unknown', { groupId: 'ab'.repeat(16), epoch: 0 }, undefined],
    ];
    for (const [socket, sender, id, target, code] of refusals) {
      const body = { clientMessageId: cmid(), epoch: target.epoch, ciphertext: b64(ciphertext) };
      socket.send({ type: 'send-group', id, groupId: target.groupId, ...body });
      const error = await socket.next('error', byId(id));
      const viaHttp = await post(sender, `/v1/groups/${target.groupId}/messages`, body);
      expect(viaHttp.status).toBeGreaterThanOrEqual(400);
      expect(error['code']).toBe(viaHttp.body.error.code);
      if (code !== undefined) expect(error['code']).toBe(code);
    }
    expect(
      (await http(fx.stack.url, 'GET', '/v1/mailbox', { token: outsider.token! })).body.messages,
    ).toEqual([]);
  });
});
