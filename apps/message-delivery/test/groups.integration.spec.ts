/**
 * Device-set rules and group sends against the real prekey-directory and group-membership
 * (each with its own database) and real PostgreSQL and NATS: pairwise group sends, sender-key
 * fan-out by the server, MISMATCHED_DEVICES with exact missing and stale lists (a typed
 * error that survives the NATS hop), NOT_A_MEMBER, EPOCH_CONFLICT, and nothing stored when
 * refused.
 */
import type { DeviceAddress, RequestOf } from '@parley/contracts';
import { MismatchedDevicesError, Rpc } from '@parley/contracts';
import type { Harness } from './helpers';
import {
  clientMessageId,
  content,
  failure,
  mailboxCount,
  sql,
  startHarness,
  userId,
} from './helpers';

const D = Rpc.delivery;

const envelopesTo = (recipients: readonly DeviceAddress[], label = 'x') =>
  recipients.map((recipient) => ({
    recipient,
    type: 'message' as const,
    content: content(`${label}->${recipient.userId}/${recipient.deviceId}`),
  }));

async function sendCount(h: Harness, sender: DeviceAddress): Promise<number> {
  const [row] = await sql<{ n: string }>(
    h.db.url,
    'SELECT count(*) AS n FROM message_delivery.sends WHERE sender_user_id = $1',
    [sender.userId],
  );
  return Number(row!.n);
}

describe('device sets and group sends over NATS', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('groups', {}, { groups: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a pairwise send missing a device or naming a stale one, with exact lists', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const aliceLaptop = { userId: alice.userId, deviceId: 2 };
    const bob = userId('bob');
    const bob1 = { userId: bob, deviceId: 1 };
    const bob2 = { userId: bob, deviceId: 2 };
    const bob9 = { userId: bob, deviceId: 9 };
    await h.register(alice, aliceLaptop, bob1, bob2);

    // Missing bob's second device.
    const missing = await failure(
      h.call(D.sendPairwise, {
        sender: alice,
        clientMessageId: clientMessageId(),
        envelopes: envelopesTo([bob1]),
      }),
    );
    expect(missing).toBeInstanceOf(MismatchedDevicesError);
    expect(missing).toMatchObject({
      code: 'MISMATCHED_DEVICES',
      details: { missing: [bob2], stale: [] },
    });

    // A device bob does not have (any more), and alice's own laptop left out.
    const both = await failure(
      h.call(D.sendPairwise, {
        sender: alice,
        clientMessageId: clientMessageId(),
        envelopes: envelopesTo([bob1, bob2, bob9, { userId: alice.userId, deviceId: 3 }]),
      }),
    );
    expect(both.details).toEqual({
      missing: [aliceLaptop],
      stale: [bob9, { userId: alice.userId, deviceId: 3 }],
    });
    expect(await sendCount(h, alice)).toBe(0);
    for (const d of [bob1, bob2]) expect(await mailboxCount(h.db.url, d)).toBe(0);

    // Exactly the current devices: stored (the sending device itself is never expected).
    await expect(
      h.call(D.sendPairwise, {
        sender: alice,
        clientMessageId: clientMessageId(),
        envelopes: envelopesTo([bob1, bob2, aliceLaptop]),
      }),
    ).resolves.toMatchObject({ recipients: 3, deduplicated: false });

    // An unknown user has no devices: anything named for them is stale.
    const ghost = { userId: userId('ghost'), deviceId: 1 };
    const unknown = await failure(
      h.call(D.sendPairwise, {
        sender: alice,
        clientMessageId: clientMessageId(),
        envelopes: envelopesTo([ghost]),
      }),
    );
    expect(unknown.details).toEqual({ missing: [], stale: [ghost] });
  });

  it('a device removed after a send was stored: the retry still gets the original reply', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const carol1 = { userId: userId('carol'), deviceId: 1 };
    const carol2 = { userId: carol1.userId, deviceId: 2 };
    await h.register(alice, carol1, carol2);
    const req: RequestOf<typeof D.sendPairwise> = {
      sender: alice,
      clientMessageId: clientMessageId(),
      envelopes: envelopesTo([carol1, carol2]),
    };
    const first = await h.call(D.sendPairwise, req);
    await h.unregister(carol2);
    expect(await h.call(D.sendPairwise, req)).toEqual({ ...first, deduplicated: true });
    expect(await mailboxCount(h.db.url, carol1)).toBe(1);
    // A new send now must leave carol's removed device out.
    const stale = await failure(
      h.call(D.sendPairwise, { ...req, clientMessageId: clientMessageId() }),
    );
    expect(stale.details).toEqual({ missing: [], stale: [carol2] });
  });

  it('pairwise group send to 5 members: every other device gets its envelope', async () => {
    const admin = { userId: userId('admin'), deviceId: 1 };
    const adminTablet = { userId: admin.userId, deviceId: 2 };
    const others = Array.from({ length: 4 }, () => userId('member'));
    const devices = others.flatMap((u, i) =>
      Array.from({ length: (i % 2) + 1 }, (_, d) => ({ userId: u, deviceId: d + 1 })),
    );
    await h.register(admin, adminTablet, ...devices);
    const group = await h.createGroup(admin, others);
    const recipients = [adminTablet, ...devices];

    const reply = await h.call(D.sendPairwise, {
      sender: admin,
      clientMessageId: clientMessageId(),
      envelopes: envelopesTo(recipients, 'g'),
      group: { groupId: group.groupId, epoch: 0 },
    });
    expect(reply).toMatchObject({ recipients: recipients.length, deduplicated: false });
    for (const device of recipients) {
      const { messages } = await h.call(D.fetchMailbox, { device });
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ sender: admin, type: 'message', groupId: group.groupId });
      expect(new TextDecoder().decode(messages[0]!.content)).toContain(
        `g->${device.userId}/${device.deviceId}`,
      );
    }
    expect(await mailboxCount(h.db.url, admin)).toBe(0);

    // A member's device left out, and a non-member named: exact lists, nothing stored.
    const outsider = { userId: userId('outsider'), deviceId: 1 };
    await h.register(outsider);
    const mismatch = await failure(
      h.call(D.sendPairwise, {
        sender: admin,
        clientMessageId: clientMessageId(),
        envelopes: envelopesTo([...recipients.slice(1), outsider]),
        group: { groupId: group.groupId, epoch: 0 },
      }),
    );
    expect(mismatch.details).toEqual({ missing: [adminTablet], stale: [outsider] });

    // Wrong epoch, and a sender who is not a member.
    const epoch = await failure(
      h.call(D.sendPairwise, {
        sender: admin,
        clientMessageId: clientMessageId(),
        envelopes: envelopesTo(recipients),
        group: { groupId: group.groupId, epoch: 5 },
      }),
    );
    expect(epoch).toMatchObject({ code: 'EPOCH_CONFLICT', details: { currentEpoch: 0 } });
    const notMember = await failure(
      h.call(D.sendPairwise, {
        sender: outsider,
        clientMessageId: clientMessageId(),
        envelopes: envelopesTo(recipients),
        group: { groupId: group.groupId, epoch: 0 },
      }),
    );
    expect(notMember).toMatchObject({ code: 'NOT_A_MEMBER' });
    expect(await sendCount(h, admin)).toBe(1);
    expect(await sendCount(h, outsider)).toBe(0);
  });

  it('sender-key group send: the server fans out to every member device but the sending one', async () => {
    const admin = { userId: userId('sk-admin'), deviceId: 1 };
    const adminPhone = { userId: admin.userId, deviceId: 2 };
    const members = Array.from({ length: 5 }, () => userId('sk-member'));
    const devices = members.flatMap((u, i) =>
      Array.from({ length: (i % 3) + 1 }, (_, d) => ({ userId: u, deviceId: d + 1 })),
    );
    await h.register(admin, adminPhone, ...devices);
    const group = await h.createGroup(admin, members);
    const ciphertext = content('sender-key ciphertext', 300);
    const req: RequestOf<typeof D.sendGroup> = {
      sender: admin,
      clientMessageId: clientMessageId(),
      groupId: group.groupId,
      epoch: 0,
      ciphertext,
    };
    const reply = await h.call(D.sendGroup, req);
    const recipients = [adminPhone, ...devices];
    expect(reply).toMatchObject({ recipients: recipients.length, deduplicated: false });
    for (const device of recipients) {
      const { messages } = await h.call(D.fetchMailbox, { device });
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({
        sender: admin,
        type: 'sender-key',
        groupId: group.groupId,
        clientMessageId: req.clientMessageId,
        storedAt: reply.storedAt,
      });
      expect(Buffer.from(messages[0]!.content).equals(Buffer.from(ciphertext))).toBe(true);
    }
    expect(await mailboxCount(h.db.url, admin)).toBe(0);
    // One ciphertext stored, entries without their own copy.
    const [stored] = await sql<{ sends: string; copies: string; bytes: number }>(
      h.db.url,
      `SELECT count(DISTINCT s.id) AS sends, count(m.content) AS copies,
              max(octet_length(s.content)) AS bytes
       FROM message_delivery.sends s JOIN message_delivery.mailbox_entries m ON m.send_id = s.id
       WHERE s.sender_user_id = $1`,
      [admin.userId],
    );
    expect(stored).toEqual({ sends: '1', copies: '0', bytes: 300 });

    // A retry is stored once and answered with the original reply.
    expect(await h.call(D.sendGroup, req)).toEqual({ ...reply, deduplicated: true });
    expect(await mailboxCount(h.db.url, adminPhone)).toBe(1);

    // A non-member is refused; so is a stale epoch after a membership change.
    const outsider = { userId: userId('sk-outsider'), deviceId: 1 };
    await h.register(outsider);
    const refused = await failure(
      h.call(D.sendGroup, { ...req, sender: outsider, clientMessageId: clientMessageId() }),
    );
    expect(refused).toMatchObject({ code: 'NOT_A_MEMBER' });
    const epoch = await h.changeGroup(group, admin, 'remove', [members[0]!]);
    expect(epoch).toBe(1);
    const stale = await failure(
      h.call(D.sendGroup, { ...req, clientMessageId: clientMessageId() }),
    );
    expect(stale).toMatchObject({ code: 'EPOCH_CONFLICT', details: { currentEpoch: 1 } });
    expect(await sendCount(h, admin)).toBe(1);
    expect(await sendCount(h, outsider)).toBe(0);

    // At the new epoch the removed member's devices get nothing.
    const next = await h.call(D.sendGroup, { ...req, clientMessageId: clientMessageId(), epoch });
    const removed = devices.filter((d) => d.userId === members[0]);
    expect(next.recipients).toBe(recipients.length - removed.length);
    for (const d of removed) expect(await mailboxCount(h.db.url, d)).toBe(1);
  });

  it('concurrent sends of several senders share batches and each gets its own outcome', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const dan = { userId: userId('dan'), deviceId: 1 };
    const eve = { userId: userId('eve'), deviceId: 1 };
    await h.register(alice, dan, eve);
    const ok = Array.from({ length: 30 }, () => ({
      sender: alice,
      clientMessageId: clientMessageId(),
      envelopes: envelopesTo([dan, eve]),
    }));
    const bad = {
      sender: alice,
      clientMessageId: clientMessageId(),
      envelopes: envelopesTo([dan, eve, { userId: eve.userId, deviceId: 7 }]),
    };
    const results = await Promise.allSettled([
      ...ok.map((r) => h.call(D.sendPairwise, r)),
      h.call(D.sendPairwise, bad),
      ...ok.slice(0, 10).map((r) => h.call(D.sendPairwise, r)),
    ]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'MISMATCHED_DEVICES',
    });
    expect(await mailboxCount(h.db.url, dan)).toBe(30);
    expect(await mailboxCount(h.db.url, eve)).toBe(30);
  });
});
