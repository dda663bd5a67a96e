import { z } from 'zod';
import {
  MAX_ENVELOPES_PER_SEND,
  MAX_GROUP_MEMBERS,
  MAX_MAILBOX_PAGE,
  MAX_MAILBOX_PAGE_CONTENT_BYTES,
  MAX_MESSAGE_CONTENT_BYTES,
  MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
  MAX_SEND_CONTENT_TOTAL_BYTES,
  NATS_MAX_PAYLOAD_BYTES,
} from '../limits';
import { Events, Rpc } from './catalog';
import { liveDeliveryRpc } from './delivery.contract';

const b64 = (n: number, fill = 1) => Buffer.alloc(n, fill).toString('base64');
const key = () => b64(32);
const sig = () => b64(64);
const signedPreKey = { id: 1, publicKey: key(), signature: sig() };

describe('prekey-directory contracts', () => {
  const register = Rpc.prekeys.registerDevice.request;

  it('accepts a device registration and decodes its keys', () => {
    const parsed = register.parse({
      userId: 'alice',
      deviceId: 1,
      identityKey: key(),
      signedPreKey,
    });
    expect(parsed.identityKey).toBeInstanceOf(Uint8Array);
    expect(parsed.identityKey).toHaveLength(32);
    expect(parsed.signedPreKey.signature).toHaveLength(64);
  });

  it.each([
    ['a 31-byte identity key', { identityKey: b64(31) }],
    ['a 63-byte signature', { signedPreKey: { ...signedPreKey, signature: b64(63) } }],
    ['device id 0', { deviceId: 0 }],
    ['a negative prekey id', { signedPreKey: { ...signedPreKey, id: -1 } }],
    ['a user id with a dot', { userId: 'alice.x' }],
    ['non-canonical key base64', { identityKey: `${b64(32).slice(0, 42)}B=` }],
  ])('refuses %s', (_what, patch) => {
    const base = { userId: 'alice', deviceId: 1, identityKey: key(), signedPreKey };
    expect(register.safeParse({ ...base, ...patch }).success).toBe(false);
  });

  it('bounds one-time prekey batches and refuses duplicate ids', () => {
    const upload = Rpc.prekeys.uploadOneTimePreKeys.request;
    const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, publicKey: key() }));
    const ok = { userId: 'alice', deviceId: 1, preKeys: keys(MAX_ONE_TIME_PREKEYS_PER_UPLOAD) };
    expect(upload.safeParse(ok).success).toBe(true);
    expect(
      upload.safeParse({ ...ok, preKeys: keys(MAX_ONE_TIME_PREKEYS_PER_UPLOAD + 1) }).success,
    ).toBe(false);
    expect(upload.safeParse({ ...ok, preKeys: [] }).success).toBe(false);
    const dup = upload.safeParse({
      ...ok,
      preKeys: [
        { id: 5, publicKey: key() },
        { id: 5, publicKey: key() },
      ],
    });
    expect(dup.error?.issues[0]?.message).toMatch(/unique/);
  });

  it('fetch-bundles: one device or all', () => {
    const fetch = Rpc.prekeys.fetchBundles.request;
    expect(fetch.parse({ userId: 'bob' })).toEqual({ userId: 'bob' });
    expect(fetch.parse({ userId: 'bob', deviceId: 3 })).toEqual({ userId: 'bob', deviceId: 3 });
  });

  it('a bundle reply round-trips between domain and wire forms', () => {
    const reply = Rpc.prekeys.fetchBundles.reply;
    const domain = {
      userId: 'bob',
      bundles: [
        {
          deviceId: 1,
          identityKey: new Uint8Array(32).fill(1),
          signedPreKey: {
            id: 9,
            publicKey: new Uint8Array(32).fill(2),
            signature: new Uint8Array(64).fill(3),
          },
          oneTimePreKey: { id: 77, publicKey: new Uint8Array(32).fill(4) },
        },
        {
          deviceId: 2,
          identityKey: new Uint8Array(32).fill(5),
          signedPreKey: {
            id: 1,
            publicKey: new Uint8Array(32).fill(6),
            signature: new Uint8Array(64).fill(7),
          },
        },
      ],
    };
    const wire: unknown = JSON.parse(JSON.stringify(z.encode(reply, domain)));
    expect(wire).toMatchObject({ bundles: [{ identityKey: expect.any(String) }, {}] });
    expect(reply.parse(wire)).toEqual(domain);
  });

  it('list-devices: 1..MAX_GROUP_MEMBERS unique users; the reply carries identity keys', () => {
    const list = Rpc.prekeys.listDevices;
    expect(list.subject).toBe('parley.prekeys.list-devices');
    expect(list.request.safeParse({ userIds: ['bob', 'carol'] }).success).toBe(true);
    expect(list.request.safeParse({ userIds: [] }).success).toBe(false);
    expect(list.request.safeParse({ userIds: ['bob', 'bob'] }).success).toBe(false);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`);
    expect(list.request.safeParse({ userIds: ids(MAX_GROUP_MEMBERS) }).success).toBe(true);
    expect(list.request.safeParse({ userIds: ids(MAX_GROUP_MEMBERS + 1) }).success).toBe(false);
    const reply = list.reply.parse({
      users: [
        { userId: 'bob', devices: [{ deviceId: 2, identityKey: key(), registeredAt: 5 }] },
        { userId: 'nobody', devices: [] },
      ],
    });
    expect(reply.users[0]?.devices[0]?.identityKey).toHaveLength(32);
  });

  it('the prekeys.low event is a JetStream event', () => {
    expect(Events.prekeys.low.stream).toBe('events');
    expect(
      Events.prekeys.low.schema.safeParse({
        userId: 'a',
        deviceId: 1,
        remaining: 3,
        threshold: 25,
        at: 1,
      }).success,
    ).toBe(true);
  });
});

describe('group-membership contracts', () => {
  const change = b64(200);
  it('accepts add-members with the signed change bytes', () => {
    const req = Rpc.groups.addMembers.request.parse({
      groupId: 'team-1',
      actor: { userId: 'alice', deviceId: 1 },
      userIds: ['bob', 'carol'],
      baseEpoch: 3,
      change,
    });
    expect(req.change).toHaveLength(200);
  });
  it('refuses duplicate users, an empty change and a missing epoch', () => {
    const base = {
      groupId: 'g',
      actor: { userId: 'alice', deviceId: 1 },
      userIds: ['bob'],
      baseEpoch: 0,
      change,
    };
    const add = Rpc.groups.addMembers.request;
    expect(add.safeParse(base).success).toBe(true);
    expect(add.safeParse({ ...base, userIds: ['bob', 'bob'] }).success).toBe(false);
    expect(add.safeParse({ ...base, change: '' }).success).toBe(false);
    expect(add.safeParse({ ...base, baseEpoch: undefined }).success).toBe(false);
  });
  it('list-members replies with the epoch and roles', () => {
    const r = Rpc.groups.listMembers.reply.parse({
      groupId: 'g',
      epoch: 2,
      members: [{ userId: 'a', role: 'admin' }],
    });
    expect(r.members[0]?.role).toBe('admin');
    expect(
      Rpc.groups.listMembers.reply.safeParse({
        groupId: 'g',
        epoch: 2,
        members: [{ userId: 'a', role: 'owner' }],
      }).success,
    ).toBe(false);
  });
});

describe('message-delivery contracts', () => {
  const send = Rpc.delivery.sendPairwise.request;
  const sender = { userId: 'alice', deviceId: 1 };
  const env = (userId: string, deviceId: number, bytes = 100) => ({
    recipient: { userId, deviceId },
    type: 'message',
    content: b64(bytes),
  });

  it('accepts one envelope per recipient device', () => {
    const req = send.parse({
      sender,
      clientMessageId: 'm-1',
      envelopes: [env('bob', 1), env('bob', 2), env('alice', 2)],
    });
    expect(req.envelopes.map((e) => e.content.length)).toEqual([100, 100, 100]);
  });

  it('refuses a duplicate recipient and an envelope to the sending device', () => {
    const dup = send.safeParse({
      sender,
      clientMessageId: 'm-1',
      envelopes: [env('bob', 1), env('bob', 1)],
    });
    expect(dup.error?.issues.map((i) => i.message)).toEqual(['duplicate recipient device']);
    const self = send.safeParse({ sender, clientMessageId: 'm-1', envelopes: [env('alice', 1)] });
    expect(self.error?.issues[0]?.path).toEqual(['envelopes', 0, 'recipient']);
  });

  it('refuses unknown envelope types, oversized content and too many envelopes', () => {
    expect(
      send.safeParse({
        sender,
        clientMessageId: 'm',
        envelopes: [{ ...env('bob', 1), type: 'plaintext' }],
      }).success,
    ).toBe(false);
    expect(
      send.safeParse({
        sender,
        clientMessageId: 'm',
        envelopes: [env('bob', 1, MAX_MESSAGE_CONTENT_BYTES + 1)],
      }).success,
    ).toBe(false);
    expect(
      send.safeParse({
        sender,
        clientMessageId: 'm',
        envelopes: [env('bob', 1, MAX_MESSAGE_CONTENT_BYTES)],
      }).success,
    ).toBe(true);
    const many = Array.from({ length: MAX_ENVELOPES_PER_SEND + 1 }, (_, i) => env('bob', i + 1, 1));
    expect(send.safeParse({ sender, clientMessageId: 'm', envelopes: many }).success).toBe(false);
  });

  it('bounds the total of one send so its JSON fits a NATS message', () => {
    const n = Math.ceil(MAX_SEND_CONTENT_TOTAL_BYTES / MAX_MESSAGE_CONTENT_BYTES) + 1;
    const big = Array.from({ length: n }, (_, i) => env('bob', i + 1, MAX_MESSAGE_CONTENT_BYTES));
    const r = send.safeParse({ sender, clientMessageId: 'm', envelopes: big });
    expect(r.error?.issues[0]?.message).toMatch(/total/);
    // The largest accepted send, as JSON, is under NATS's default max_payload.
    const fits = Array.from({ length: n - 2 }, (_, i) =>
      env('bob', i + 1, MAX_MESSAGE_CONTENT_BYTES),
    );
    const wire = { sender, clientMessageId: 'm', envelopes: fits };
    expect(send.safeParse(wire).success).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(wire))).toBeLessThan(NATS_MAX_PAYLOAD_BYTES);
  });

  it('a pairwise send may name the group and epoch it is for', () => {
    const base = { sender, clientMessageId: 'm', envelopes: [env('bob', 1)] };
    expect(send.parse({ ...base, group: { groupId: 'g', epoch: 3 } }).group).toEqual({
      groupId: 'g',
      epoch: 3,
    });
    expect(send.safeParse({ ...base, group: { groupId: 'g' } }).success).toBe(false);
    expect(send.safeParse({ ...base, group: { groupId: 'a.b', epoch: 0 } }).success).toBe(false);
  });

  it('group sends carry one ciphertext and the epoch', () => {
    const r = Rpc.delivery.sendGroup.request.parse({
      sender,
      clientMessageId: 'c',
      groupId: 'g',
      epoch: 4,
      ciphertext: b64(300),
    });
    expect(r.ciphertext).toHaveLength(300);
  });

  it('mailbox pages and acks are bounded', () => {
    const fetch = Rpc.delivery.fetchMailbox.request;
    expect(fetch.safeParse({ device: sender, limit: MAX_MAILBOX_PAGE }).success).toBe(true);
    expect(fetch.safeParse({ device: sender, limit: MAX_MAILBOX_PAGE + 1 }).success).toBe(false);
    const ack = Rpc.delivery.ack.request;
    expect(ack.safeParse({ device: sender, messageIds: ['a', 'b'] }).success).toBe(true);
    expect(ack.safeParse({ device: sender, messageIds: ['a', 'a'] }).success).toBe(false);
    expect(ack.safeParse({ device: sender, messageIds: [] }).success).toBe(false);
  });

  it('the largest mailbox page, with the longest fields, fits one NATS message', () => {
    const long = (c: string) => c.repeat(64);
    const each = Math.floor(MAX_MAILBOX_PAGE_CONTENT_BYTES / MAX_MAILBOX_PAGE);
    const messages = Array.from({ length: MAX_MAILBOX_PAGE }, (_, i) => ({
      messageId: String(9_000_000_000_000_000_000n + BigInt(i)),
      sender: { userId: long('u'), deviceId: 4_294_967_295 },
      type: 'sender-key' as const,
      groupId: long('g'),
      clientMessageId: long('c'),
      content: new Uint8Array(each).fill(255),
      storedAt: 9_999_999_999_999,
    }));
    const reply = Rpc.delivery.fetchMailbox.reply;
    const wire = z.encode(reply, { messages, more: true });
    // As the NATS transport sends it: the reply inside Nest's envelope.
    const envelope = JSON.stringify({ id: long('i'), response: wire, isDisposed: true });
    expect(Buffer.byteLength(envelope)).toBeLessThan(NATS_MAX_PAYLOAD_BYTES);
    // And one more message's worth of content would not be allowed on a page.
    const over = [...messages, { ...messages[0]!, content: new Uint8Array(each + 1) }];
    expect(reply.safeParse({ messages: over.slice(1), more: true }).success).toBe(false);
  });

  it('live delivery goes to a per-device subject', () => {
    const c = liveDeliveryRpc('bob', 2);
    expect(c.subject).toBe('parley.live.bob.2');
    expect(c.service).toBeUndefined();
    const msg = {
      messageId: 'x1',
      sender,
      type: 'sender-key',
      groupId: 'g',
      clientMessageId: 'c',
      content: b64(10),
      storedAt: 5,
    };
    expect(
      c.request.safeParse({ recipient: { userId: 'bob', deviceId: 2 }, message: msg }).success,
    ).toBe(true);
  });

  it('the offline event carries no content', () => {
    const schema = Events.delivery.storedForOfflineDevice.schema;
    const parsed = schema.parse({ recipient: sender, messageId: 'x', at: 1, content: b64(10) });
    expect(parsed).not.toHaveProperty('content');
  });
});

describe('push-notification contracts', () => {
  const device = { userId: 'alice', deviceId: 1 };
  const register = Rpc.push.register.request;
  const b64url = (n: number) => Buffer.alloc(n, 9).toString('base64url');

  it.each([
    [
      'web push',
      {
        provider: 'webpush',
        endpoint: 'https://push.example.net/abc',
        keys: { p256dh: b64url(65), auth: b64url(16) },
      },
    ],
    [
      'apns',
      { provider: 'apns', token: 'ab'.repeat(32), topic: 'org.parley.app', environment: 'sandbox' },
    ],
    ['fcm', { provider: 'fcm', token: 'fcm-token:APA91b_x' }],
  ])('accepts a %s endpoint', (_p, endpoint) => {
    expect(register.safeParse({ device, endpoint }).success).toBe(true);
  });

  it.each([
    [
      'http web push',
      {
        provider: 'webpush',
        endpoint: 'http://push.example.net/abc',
        keys: { p256dh: b64url(65), auth: b64url(16) },
      },
    ],
    [
      'a short p256dh',
      {
        provider: 'webpush',
        endpoint: 'https://p.example/a',
        keys: { p256dh: b64url(64), auth: b64url(16) },
      },
    ],
    [
      'a non-hex apns token',
      { provider: 'apns', token: 'zz'.repeat(32), topic: 'a.b', environment: 'production' },
    ],
    ['an unknown provider', { provider: 'sms', token: '123' }],
  ])('refuses %s', (_p, endpoint) => {
    expect(register.safeParse({ device, endpoint }).success).toBe(false);
  });
});
