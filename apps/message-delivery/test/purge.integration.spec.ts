/**
 * The end of the idempotency window: sends older than DELIVERY_SEND_RETENTION_MS go once all
 * their entries were acked; unacked messages stay whatever their age.
 */
import type { DeviceAddress } from '@parley/contracts';
import { Rpc } from '@parley/contracts';
import { PURGE_PASS_ROWS, SendPurger } from '../src/delivery/send-purger';
import type { Harness } from './helpers';
import { mailboxCount, pairwise, sql, startHarness, userId } from './helpers';

const D = Rpc.delivery;
const RETENTION_MS = 1_000;

async function sendRows(h: Harness, sender: DeviceAddress): Promise<string[]> {
  const rows = await sql<{ client_message_id: string }>(
    h.db.url,
    `SELECT client_message_id FROM message_delivery.sends WHERE sender_user_id = $1 ORDER BY id`,
    [sender.userId],
  );
  return rows.map((r) => r.client_message_id);
}

async function ackAll(h: Harness, device: DeviceAddress): Promise<void> {
  const { messages } = await h.call(D.fetchMailbox, { device, limit: 100 });
  await h.call(D.ack, { device, messageIds: messages.map((m) => m.messageId) });
}

describe('purge of sends past the idempotency window', () => {
  let h: Harness;
  let purger: SendPurger;

  beforeAll(async () => {
    // The timer off: the test runs the purge itself (the timer is the next test's).
    h = await startHarness('purge', {
      DELIVERY_SEND_RETENTION_MS: String(RETENTION_MS),
      DELIVERY_PURGE_INTERVAL_MS: '0',
    });
    purger = h.service!.app.get(SendPurger, { strict: false });
  });
  afterAll(async () => {
    await h.close();
  });

  it('deletes expired, fully acked sends only; a resend after that is a new message', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob = { userId: userId('bob'), deviceId: 1 };
    const bob2 = { userId: bob.userId, deviceId: 2 };
    const carol = { userId: userId('carol'), deviceId: 1 };
    await h.register(alice, bob, bob2, carol);
    const acked = pairwise(alice, [carol], 'acked');
    const halfAcked = pairwise(alice, [bob, bob2], 'half-acked');
    const unacked = pairwise(alice, [carol], 'unacked');
    await h.call(D.sendPairwise, acked);
    await h.call(D.sendPairwise, halfAcked);
    await ackAll(h, carol);
    await ackAll(h, bob);
    await h.call(D.sendPairwise, unacked);

    // Acked but young: kept (a resend within the window is still recognised).
    expect(await purger.purgeExpired()).toBe(0);
    expect(await h.call(D.sendPairwise, acked)).toMatchObject({ deduplicated: true });

    await new Promise((resolve) => setTimeout(resolve, RETENTION_MS + 200));
    expect(await purger.purgeExpired()).toBe(1);
    expect(await sendRows(h, alice)).toEqual(['half-acked', 'unacked']);
    // Bob's second device and carol still have their messages.
    expect(await mailboxCount(h.db.url, bob2)).toBe(1);
    expect(await mailboxCount(h.db.url, carol)).toBe(1);

    // Past the window the same client message id is a new message.
    expect(await h.call(D.sendPairwise, acked)).toMatchObject({ deduplicated: false });
    await ackAll(h, bob2);
    await ackAll(h, carol);
    await new Promise((resolve) => setTimeout(resolve, RETENTION_MS + 200));
    expect(await purger.purgeExpired()).toBe(3);
    expect(await sendRows(h, alice)).toEqual([]);
  });

  it('purges a backlog larger than one pass in one run', async () => {
    const sender = { userId: userId('dora'), deviceId: 1 };
    const backlog = PURGE_PASS_ROWS * 2 + 7;
    // Expired sends whose entries were all acked, as a busy day leaves them.
    await sql(
      h.db.url,
      `INSERT INTO message_delivery.sends
         (sender_user_id, sender_device_id, client_message_id, recipient_count, stored_at)
       SELECT $1, 1, 'old-' || i, 1, now() - interval '1 hour'
       FROM generate_series(1, $2::int) AS i`,
      [sender.userId, backlog],
    );
    expect(await purger.purgeExpired()).toBe(backlog);
    expect(await sendRows(h, sender)).toEqual([]);
  });
});

describe('purge timer', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('purge_timer', {
      DELIVERY_SEND_RETENTION_MS: String(RETENTION_MS),
      DELIVERY_PURGE_INTERVAL_MS: '200',
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('runs on its own every interval', async () => {
    const erin = { userId: userId('erin'), deviceId: 1 };
    const finn = { userId: userId('finn'), deviceId: 1 };
    await h.register(erin, finn);
    await h.call(D.sendPairwise, pairwise(erin, [finn], 'timed'));
    await ackAll(h, finn);
    expect(await sendRows(h, erin)).toEqual(['timed']);
    const deadline = Date.now() + 10_000;
    while ((await sendRows(h, erin)).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await sendRows(h, erin)).toEqual([]);
  });
});
