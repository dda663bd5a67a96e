/**
 * A device that was offline for a while drains a mailbox of 10,000 messages in order, in
 * pages (plus some hundreds sent through the service on top): once reading ahead with the
 * cursor, then fetch-and-ack until empty. Rates are
 * printed for the record, not asserted (they depend on the machine).
 */
import { Client } from 'pg';
import type { DeviceAddress } from '@parley/contracts';
import { MAX_MAILBOX_PAGE, Rpc } from '@parley/contracts';
import type { Harness } from './helpers';
import { content, startHarness, userId } from './helpers';

const D = Rpc.delivery;
const QUEUED = Number(process.env['DRAIN_N'] ?? 10_000);
/** Sends through the service on top of the seeded ones (a multiple of the page size apart). */
const SENT = Number(process.env['DRAIN_SENT'] ?? 500);
const SEND_CONCURRENCY = 32;

/** `n` pairwise sends of one 256-byte envelope each, the way the service stores them. */
async function seed(url: string, sender: DeviceAddress, device: DeviceAddress, n: number) {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    await pg.query(
      `WITH s AS (
         INSERT INTO message_delivery.sends
           (sender_user_id, sender_device_id, client_message_id, recipient_count)
         SELECT $1, $2, 'm-' || i, 1 FROM generate_series(0, $5::int - 1) AS i
         RETURNING id, client_message_id, stored_at)
       INSERT INTO message_delivery.mailbox_entries
         (recipient_user_id, recipient_device_id, send_id, type, content, stored_at)
       SELECT $3, $4, s.id, 'message',
              convert_to(s.client_message_id, 'UTF8') || decode(repeat('00', 256), 'hex'),
              s.stored_at
       FROM s ORDER BY s.id`,
      [sender.userId, sender.deviceId, device.userId, device.deviceId, n],
    );
  } finally {
    await pg.end();
  }
}

describe('draining a mailbox of 10,000 messages', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('drain');
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves every message once, in seq order, in pages, and empties on ack', async () => {
    const sender = { userId: userId('sender'), deviceId: 1 };
    const device = { userId: userId('offline'), deviceId: 1 };

    // Queued as the service stores sends (one send row and one entry each), in one
    // statement: the point here is the drain, and 10,000 sends through NATS would double the
    // test's time. Sends through the service are measured on a smaller batch below.
    const seedStart = performance.now();
    await seed(h.db.url, sender, device, QUEUED);
    const seedSeconds = (performance.now() - seedStart) / 1000;

    await h.register(device);
    let next = 0;
    const sendStart = performance.now();
    await Promise.all(
      Array.from({ length: SEND_CONCURRENCY }, async () => {
        while (next < SENT) {
          const i = QUEUED + next++;
          await h.call(D.sendPairwise, {
            sender,
            clientMessageId: `m-${i}`,
            envelopes: [{ recipient: device, type: 'message', content: content(`m-${i}`, 256) }],
          });
        }
      }),
    );
    const sendSeconds = (performance.now() - sendStart) / 1000;
    const total = QUEUED + SENT;

    // Pass 1: read ahead with the cursor, nothing acked.
    const readStart = performance.now();
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await h.call(D.fetchMailbox, {
        device,
        limit: MAX_MAILBOX_PAGE,
        ...(after === undefined ? {} : { after }),
      });
      pages++;
      for (const m of page.messages) {
        expect(new TextDecoder().decode(m.content)).toContain(m.clientMessageId);
        seen.push(m.messageId);
      }
      if (!page.more) break;
      after = page.messages.at(-1)!.messageId;
    }
    const readSeconds = (performance.now() - readStart) / 1000;
    expect(seen).toHaveLength(total);
    expect(pages).toBe(Math.ceil(total / MAX_MAILBOX_PAGE));
    const seqs = seen.map(BigInt);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);

    // Pass 2: fetch from the start and ack each page, as a reconnecting client does.
    const drainStart = performance.now();
    const drained: string[] = [];
    for (;;) {
      const page = await h.call(D.fetchMailbox, { device, limit: MAX_MAILBOX_PAGE });
      if (page.messages.length === 0) break;
      const ids = page.messages.map((m) => m.messageId);
      const { deleted } = await h.call(D.ack, { device, messageIds: ids });
      expect(deleted).toBe(ids.length);
      drained.push(...ids);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    expect(drained).toEqual(seen);
    expect(await h.call(D.fetchMailbox, { device })).toEqual({ messages: [], more: false });

    const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');
    console.log(
      [
        `message-delivery, ${total} messages of 256 bytes to one device:`,
        `  ${QUEUED} seeded in SQL: ${seedSeconds.toFixed(2)} s`,
        `  ${SENT} sent by ${SEND_CONCURRENCY} concurrent 1-envelope sends over NATS: ${sendSeconds.toFixed(2)} s (${rate(SENT, sendSeconds)} sends/s)`,
        `  read ahead with the cursor, ${MAX_MAILBOX_PAGE}/page: ${readSeconds.toFixed(2)} s (${rate(total, readSeconds)} messages/s)`,
        `  drained with fetch + ack, ${MAX_MAILBOX_PAGE}/page: ${drainSeconds.toFixed(2)} s (${rate(total, drainSeconds)} drained/s)`,
      ].join('\n'),
    );
  });
});
