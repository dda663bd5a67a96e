/**
 * Mailbox pages are JSON written by PostgreSQL (mailbox.repository.ts, pageJson) and sent
 * on bare: here the text itself is held to what `z.encode` of the contract gives for every
 * kind of message, and the page cuts (count, content bytes, cursor) are checked.
 */
import type { DeviceAddress, StoredMessage } from '@parley/contracts';
import { MAX_MAILBOX_PAGE_CONTENT_BYTES, MAX_MESSAGE_CONTENT_BYTES, Rpc } from '@parley/contracts';
import { requestJson } from '@parley/server-kit';
import { z } from 'zod';
import type { Harness } from './helpers';
import { clientMessageId, sql, startHarness, userId } from './helpers';

const D = Rpc.delivery;

describe('mailbox pages', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('page', {}, { groups: true });
  });
  afterAll(async () => {
    await h.close();
  });

  /** The page's bytes as they leave message-delivery. */
  async function rawPage(device: DeviceAddress, limit?: number, after?: string): Promise<string> {
    const bytes = await requestJson(
      h.nc,
      D.fetchMailbox,
      { device, ...(limit ? { limit } : {}), ...(after ? { after } : {}) },
      { namespace: h.namespace, timeoutMs: 5000 },
    );
    return new TextDecoder().decode(bytes);
  }

  /** The mailbox's seqs in order, read from the table. */
  async function seqs(device: DeviceAddress): Promise<string[]> {
    const rows = await sql<{ id: string }>(
      h.db.url,
      `SELECT seq::text AS id FROM message_delivery.mailbox_entries
       WHERE recipient_user_id = $1 AND recipient_device_id = $2 ORDER BY seq`,
      [device.userId, device.deviceId],
    );
    return rows.map((r) => r.id);
  }

  it('is exactly the contract encoding, for 1:1, prekey, pairwise-group and sender-key messages', async () => {
    const admin = { userId: userId('admin'), deviceId: 3 };
    const bob = { userId: userId('bob'), deviceId: 4_294_967_295 };
    await h.register(admin, bob);
    const group = await h.createGroup(admin, [bob.userId]);
    // Longer than 76 base64 characters (PostgreSQL's line length), every byte value.
    const bytes = (seed: number, n: number) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % 256);
    const sent: Omit<StoredMessage, 'messageId'>[] = [];
    const pairwise = async (
      type: 'message' | 'prekey',
      body: Uint8Array<ArrayBuffer>,
      inGroup: boolean,
    ) => {
      const id = clientMessageId();
      const reply = await h.call(D.sendPairwise, {
        sender: admin,
        clientMessageId: id,
        envelopes: [{ recipient: bob, type, content: body }],
        ...(inGroup ? { group: { groupId: group.groupId, epoch: 0 } } : {}),
      });
      sent.push({
        sender: admin,
        type,
        ...(inGroup ? { groupId: group.groupId } : {}),
        clientMessageId: id,
        content: body,
        storedAt: reply.storedAt,
      });
    };
    await pairwise('prekey', bytes(1, 300), false);
    await pairwise('message', bytes(2, 1), false);
    await pairwise('message', bytes(3, 255), true);
    const ciphertext = bytes(4, 1000);
    const id = clientMessageId();
    const reply = await h.call(D.sendGroup, {
      sender: admin,
      clientMessageId: id,
      groupId: group.groupId,
      epoch: 0,
      ciphertext,
    });
    sent.push({
      sender: admin,
      type: 'sender-key',
      groupId: group.groupId,
      clientMessageId: id,
      content: ciphertext,
      storedAt: reply.storedAt,
    });

    const ids = await seqs(bob);
    expect(ids).toHaveLength(4);
    const expected = {
      messages: sent.map((m, i) => ({ messageId: ids[i]!, ...m })),
      more: false,
    };
    expect(await rawPage(bob)).toBe(JSON.stringify(z.encode(D.fetchMailbox.reply, expected)));
    // The same page through the validating client.
    expect(await h.call(D.fetchMailbox, { device: bob })).toEqual(expected);
    // Cut by count, and continued after the cursor.
    const first = { messages: expected.messages.slice(0, 3), more: true };
    expect(await rawPage(bob, 3)).toBe(JSON.stringify(z.encode(D.fetchMailbox.reply, first)));
    const rest = { messages: expected.messages.slice(3), more: false };
    expect(await rawPage(bob, 3, ids[2])).toBe(
      JSON.stringify(z.encode(D.fetchMailbox.reply, rest)),
    );
    expect(await rawPage(bob, 4)).toBe(JSON.stringify(z.encode(D.fetchMailbox.reply, expected)));
    expect(await rawPage(bob, 10, ids[3])).toBe('{"messages":[],"more":false}');
    const one = { messages: expected.messages.slice(0, 1), more: true };
    expect(await rawPage(bob, 1)).toBe(JSON.stringify(z.encode(D.fetchMailbox.reply, one)));
    // A mailbox that never held anything.
    expect(await rawPage({ userId: userId('nobody'), deviceId: 1 })).toBe(
      '{"messages":[],"more":false}',
    );
  });

  it('ends a page before its content would pass MAX_MAILBOX_PAGE_CONTENT_BYTES', async () => {
    const sender = { userId: userId('sender'), deviceId: 1 };
    const device = { userId: userId('big'), deviceId: 1 };
    // Seeded as the service stores sends: largest envelopes, more than a page holds.
    const fit = Math.floor(MAX_MAILBOX_PAGE_CONTENT_BYTES / MAX_MESSAGE_CONTENT_BYTES);
    const total = fit + 3;
    await sql(
      h.db.url,
      `WITH s AS (
         INSERT INTO message_delivery.sends
           (sender_user_id, sender_device_id, client_message_id, recipient_count)
         SELECT $1, 1, 'big-' || i, 1 FROM generate_series(1, $3::int) AS i
         RETURNING id, stored_at)
       INSERT INTO message_delivery.mailbox_entries
         (recipient_user_id, recipient_device_id, send_id, type, content, stored_at)
       SELECT $2, 1, s.id, 'message', decode(repeat('ab', $4::int), 'hex'), s.stored_at
       FROM s ORDER BY s.id`,
      [sender.userId, device.userId, total, MAX_MESSAGE_CONTENT_BYTES],
    );
    const first = await h.call(D.fetchMailbox, { device, limit: 500 });
    expect(first.messages).toHaveLength(fit);
    expect(first.more).toBe(true);
    expect(first.messages.every((m) => m.content.length === MAX_MESSAGE_CONTENT_BYTES)).toBe(true);
    const second = await h.call(D.fetchMailbox, {
      device,
      limit: 500,
      after: first.messages.at(-1)!.messageId,
    });
    expect(second.messages).toHaveLength(total - fit);
    expect(second.more).toBe(false);
    expect([...first.messages, ...second.messages].map((m) => m.messageId)).toEqual(
      await seqs(device),
    );
  });

  it('still serves an entry larger than the page content cap, alone', async () => {
    // Not storable through the contract (envelopes are smaller); seeded to show that no
    // entry can block a mailbox.
    const sender = { userId: userId('sender'), deviceId: 1 };
    const device = { userId: userId('huge'), deviceId: 1 };
    await sql(
      h.db.url,
      `WITH s AS (
         INSERT INTO message_delivery.sends
           (sender_user_id, sender_device_id, client_message_id, recipient_count)
         SELECT $1, 1, 'huge-' || i, 1 FROM generate_series(1, 2) AS i
         RETURNING id, stored_at)
       INSERT INTO message_delivery.mailbox_entries
         (recipient_user_id, recipient_device_id, send_id, type, content, stored_at)
       SELECT $2, 1, s.id, 'message', decode(repeat('cd', $3::int), 'hex'), s.stored_at
       FROM s ORDER BY s.id`,
      [sender.userId, device.userId, MAX_MAILBOX_PAGE_CONTENT_BYTES + 1],
    );
    // Read unvalidated: the contract's envelope limit refuses such content.
    type RawPage = { messages: { messageId: string; content: string }[]; more: boolean };
    const first = JSON.parse(await rawPage(device, 500)) as RawPage;
    expect(first.messages.map((m) => Buffer.from(m.content, 'base64').length)).toEqual([
      MAX_MAILBOX_PAGE_CONTENT_BYTES + 1,
    ]);
    expect(first.more).toBe(true);
    const second = JSON.parse(await rawPage(device, 500, first.messages[0]!.messageId)) as RawPage;
    expect(second.messages).toHaveLength(1);
    expect(second.more).toBe(false);
  });
});
