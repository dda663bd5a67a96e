/**
 * `delivery.batch`: sends and acks in one request, each answered as its own RPC would be.
 */
import type { DeviceAddress, RequestOf } from '@parley/contracts';
import { MAX_DELIVERY_BATCH_ITEMS, Rpc } from '@parley/contracts';
import type { Harness } from './helpers';
import { mailboxCount, pairwise, sql, startHarness, userId } from './helpers';

const D = Rpc.delivery;
type Item = RequestOf<typeof D.batch>['items'][number];

function send(sender: DeviceAddress, recipients: readonly DeviceAddress[], id?: string): Item {
  return { op: 'send-pairwise', request: pairwise(sender, recipients, id) };
}

describe('delivery.batch', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('batch');
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers every item on its own, in order: stored, refused, resent', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob = { userId: userId('bob'), deviceId: 1 };
    const bob2 = { userId: bob.userId, deviceId: 2 };
    const carol = { userId: userId('carol'), deviceId: 1 };
    await h.register(alice, bob, bob2, carol);
    const first = send(alice, [bob, bob2]);
    const { results } = await h.call(D.batch, {
      items: [first, send(alice, [bob]), send(alice, [carol])],
    });
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual({
      ok: expect.objectContaining({ recipients: 2, deduplicated: false }),
    });
    expect(results[1]).toEqual({
      err: expect.objectContaining({
        code: 'MISMATCHED_DEVICES',
        details: { missing: [bob2], stale: [] },
      }),
    });
    expect(results[2]).toEqual({
      ok: expect.objectContaining({ recipients: 1, deduplicated: false }),
    });

    // The same client message id again is a resend, answered with the original.
    const again = await h.call(D.batch, { items: [first] });
    expect(again.results[0]).toEqual({
      ok: expect.objectContaining({ recipients: 2, deduplicated: true }),
    });
    expect(await mailboxCount(h.db.url, bob)).toBe(1);
    expect(await mailboxCount(h.db.url, carol)).toBe(1);
  });

  it('acks in a batch delete from the acking device only', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob = { userId: userId('bob'), deviceId: 1 };
    const carol = { userId: userId('carol'), deviceId: 1 };
    await h.register(alice, bob, carol);
    await h.call(D.batch, { items: [send(alice, [bob]), send(alice, [carol])] });
    const ids = async (device: DeviceAddress) =>
      (await h.call(D.fetchMailbox, { device })).messages.map((m) => m.messageId);
    const [bobIds, carolIds] = [await ids(bob), await ids(carol)];
    const { results } = await h.call(D.batch, {
      items: [
        { op: 'ack', request: { device: bob, messageIds: bobIds } },
        // Carol's message id acked as bob: not his, nothing deleted.
        { op: 'ack', request: { device: bob, messageIds: carolIds } },
      ],
    });
    expect(results).toEqual([{ ok: { deleted: 1 } }, { ok: { deleted: 0 } }]);
    expect(await mailboxCount(h.db.url, bob)).toBe(0);
    expect(await mailboxCount(h.db.url, carol)).toBe(1);
  });

  it('keeps every mailbox count equal to its entries under concurrent sends, resends and acks', async () => {
    const senders = [1, 2, 3].map((i) => ({ userId: userId(`sender${i}`), deviceId: 1 }));
    const boxes = [1, 2, 3, 4].map((i) => ({ userId: userId(`box${i}`), deviceId: 1 }));
    await h.register(...senders, ...boxes);
    // Deterministic mix: each send goes to one to three of the four mailboxes.
    const sends = Array.from({ length: 240 }, (_, i) =>
      send(
        senders[i % 3]!,
        boxes.filter((_, b) => (i >> b) % 2 === 1 || b === i % 4),
      ),
    );
    let deleted = 0;
    const ackPage = async (device: DeviceAddress) => {
      const { messages } = await h.call(D.fetchMailbox, { device, limit: 7 });
      if (messages.length === 0) return;
      const { results } = await h.call(D.batch, {
        items: [{ op: 'ack', request: { device, messageIds: messages.map((m) => m.messageId) } }],
      });
      const [result] = results;
      if (result && 'ok' in result && 'deleted' in result.ok) deleted += result.ok.deleted;
    };
    const batchOf = (i: number, size = 8) => ({ items: sends.slice(i * 8, i * 8 + size) });
    // Half the sends first, so the acks below find messages; then the other half (in batches
    // of 8, many at once), resends of some, a send refused for a device missing from it, and
    // acks (two per page may race: only one deletes), all concurrently.
    await Promise.all(Array.from({ length: 15 }, (_, i) => h.call(D.batch, batchOf(i))));
    await Promise.all([
      ...Array.from({ length: 15 }, (_, i) => h.call(D.batch, batchOf(15 + i))),
      ...Array.from({ length: 10 }, (_, i) => h.call(D.batch, batchOf(i * 2, 4))),
      h.call(D.batch, { items: [send(senders[0]!, [{ userId: boxes[0]!.userId, deviceId: 9 }])] }),
      ...Array.from({ length: 24 }, (_, i) => ackPage(boxes[i % 4]!)),
    ]);
    // A mailbox's count is the sum of its slots (one per concurrent statement).
    const counted = await sql<{ user_id: string; kept: number; real: string; slots: number }>(
      h.db.url,
      `SELECT b.recipient_user_id AS user_id, sum(b.entry_count)::int AS kept,
              count(*)::int AS slots,
              (SELECT count(*) FROM message_delivery.mailbox_entries m
               WHERE m.recipient_user_id = b.recipient_user_id
                 AND m.recipient_device_id = b.recipient_device_id) AS real
       FROM message_delivery.mailboxes b WHERE b.recipient_user_id = ANY($1)
       GROUP BY b.recipient_user_id, b.recipient_device_id
       ORDER BY 1`,
      [boxes.map((b) => b.userId)],
    );
    expect(counted).toHaveLength(4);
    const stored = sends.reduce(
      (n, s) => n + (s.op === 'send-pairwise' ? s.request.envelopes.length : 0),
      0,
    );
    for (const row of counted) expect(row.kept).toBe(Number(row.real));
    // Every stored envelope counted once (resends and the refused send not at all), every
    // deleted one subtracted once.
    expect(deleted).toBeGreaterThan(0);
    // Concurrent statements wrote their counts to slots of their own.
    expect(Math.max(...counted.map((row) => row.slots))).toBeGreaterThan(1);
    expect(counted.reduce((n, row) => n + row.kept, 0)).toBe(stored - deleted);
  });

  it('refuses an empty or oversized batch, or a malformed item, with VALIDATION_FAILED', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob = { userId: userId('bob'), deviceId: 1 };
    // Sent raw, past the client's own checks: the service refuses them itself.
    const raw = async (data: unknown) => {
      const reply = await h.nc.request(
        `${h.namespace}.${D.batch.subject}`,
        JSON.stringify({ pattern: D.batch.subject, id: 'x', data }),
        { timeout: 10_000 },
      );
      return JSON.parse(new TextDecoder().decode(reply.data)) as unknown;
    };
    const refused = { err: expect.objectContaining({ code: 'VALIDATION_FAILED' }) };
    const wire = (item: Item) => ({
      ...item,
      request: JSON.parse(JSON.stringify({ ...item.request, envelopes: [] })) as unknown,
    });
    expect(await raw({ items: [] })).toMatchObject(refused);
    const ack = { op: 'ack', request: { device: alice, messageIds: ['1'] } };
    expect(await raw({ items: [ack] })).toEqual({
      id: 'x',
      response: { results: [{ ok: { deleted: 0 } }] },
      isDisposed: true,
    });
    expect(
      await raw({ items: Array.from({ length: MAX_DELIVERY_BATCH_ITEMS + 1 }, () => ack) }),
    ).toMatchObject(refused);
    expect(await raw({ items: [{ op: 'explode', request: {} }] })).toMatchObject(refused);
    expect(await raw({ items: [wire(send(alice, [bob]))] })).toMatchObject(refused);
  });
});
