/**
 * Throughput of the real service in its own process (issue #7 targets: store >= 20,000
 * envelopes/s, drain >= 15,000 messages/s). Not part of CI:
 *
 *   npx jest -c apps/message-delivery/jest.stress.config.ts throughput
 *   STRESS_BATCH=1 npx jest -c apps/message-delivery/jest.stress.config.ts throughput   # no group commit
 *
 * Sends: many concurrent pairwise sends over NATS (each checked against the real directory,
 * which runs in this process), for STRESS_SECONDS each, K envelopes per send; every reply
 * counted is a committed send, and the mailboxes are counted afterwards to prove it.
 * Drain: mailboxes seeded in SQL, drained with fetch (100/page) + ack by 1 and by 8 devices
 * at once. Rates are printed, not asserted (they depend on the machine and its load).
 */
import { MAX_MAILBOX_PAGE, Rpc } from '@parley/contracts';
import type { DeviceAddress, RequestOf } from '@parley/contracts';
import type { Harness } from '../helpers';
import { content, sql, startHarness } from '../helpers';
import type { DeliveryProcess } from '../process';
import { spawnServiceProcess } from '@parley/testing';
import { spawnDelivery, waitUntilServing } from '../process';

const D = Rpc.delivery;
const SECONDS = Number(process.env['STRESS_SECONDS'] ?? 6);
const BATCH = process.env['STRESS_BATCH'] ?? '128';
const USERS = 1000;
const SEND_SHAPES: readonly { envelopes: number; concurrency: number }[] = [
  { envelopes: 1, concurrency: 256 },
  { envelopes: 10, concurrency: 128 },
  { envelopes: 50, concurrency: 64 },
];
const DRAIN_PER_DEVICE = Number(process.env['STRESS_DRAIN_N'] ?? 20_000);

describe('message-delivery throughput', () => {
  let h: Harness;
  let proc: DeliveryProcess;
  let directory: DeliveryProcess;
  const users = Array.from({ length: USERS }, (_, i) => `stress-u${i}`);
  const report: string[] = [];

  beforeAll(async () => {
    h = await startHarness('stress', {}, { delivery: false, directory: false });
    const profile = process.env['STRESS_PROFILE'];
    const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
    directory = spawnServiceProcess(
      'prekey-directory',
      {
        PARLEY_LOG_LEVEL: 'warn',
        DATABASE_URL: h.directoryDb.url,
        PARLEY_NATS_URL: h.natsUrl,
        PARLEY_NATS_PREFIX: h.namespace,
        PARLEY_INSTANCE_ID: 'stress-directory',
      },
      nodeArgs,
    );
    proc = spawnDelivery(
      {
        DATABASE_URL: h.db.url,
        PARLEY_NATS_URL: h.natsUrl,
        PARLEY_NATS_PREFIX: h.namespace,
        PARLEY_INSTANCE_ID: 'stress-1',
        DELIVERY_BATCH_MAX_SENDS: BATCH,
        DELIVERY_DB_POOL_SIZE: '10',
        // Every recipient is offline: no gateway listens, so each entry also costs a live
        // attempt (no responders) and a JetStream publish, as in production for offline devices.
        DELIVERY_LIVE_TIMEOUT_MS: '2000',
      },
      // STRESS_PROFILE=/dir writes V8 CPU profiles of both services there on exit.
      nodeArgs,
    );
    await waitUntilServing(h.nc, h.namespace);
    await h.register(...users.map((userId) => ({ userId, deviceId: 1 })));
  });

  afterAll(async () => {
    proc.child.kill('SIGTERM');
    directory.child.kill('SIGTERM');
    await Promise.all([proc.exited, directory.exited]);
    if (process.env['STRESS_TRACE']) console.log(proc.output());
    console.log(
      [`message-delivery throughput (DELIVERY_BATCH_MAX_SENDS=${BATCH}):`, ...report].join('\n'),
    );
    await h.close();
  });

  it.each(SEND_SHAPES)(
    'stores sends of $envelopes envelope(s), $concurrency in flight',
    async ({ envelopes, concurrency }) => {
      const sender = { userId: `stress-sender-${envelopes}`, deviceId: 1 };
      let serial = 0;
      let acked = 0;
      let envelopesAcked = 0;
      const body = content('x', 256);
      const next = (): RequestOf<typeof D.sendPairwise> => {
        const n = serial++;
        const start = (n * envelopes) % USERS;
        return {
          sender,
          clientMessageId: `s${envelopes}-${n}`,
          envelopes: Array.from({ length: envelopes }, (_, i) => ({
            recipient: { userId: users[(start + i) % USERS]!, deviceId: 1 },
            type: 'message' as const,
            content: body,
          })),
        };
      };
      const started = performance.now();
      const until = started + SECONDS * 1000;
      let retries = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            const req = next();
            // A client retries a send that got no answer, with the same clientMessageId.
            for (;;) {
              try {
                await h.call(D.sendPairwise, req, 30_000);
                break;
              } catch (error) {
                if ((error as { code?: string }).code !== 'UNAVAILABLE') throw error;
                retries++;
              }
            }
            acked++;
            envelopesAcked += envelopes;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const [row] = await sql<{ n: string }>(
        h.db.url,
        'SELECT sum(recipient_count) AS n FROM message_delivery.sends WHERE sender_user_id = $1',
        [sender.userId],
      );
      // Every acknowledged send is stored (more may be stored than acked only if a reply was lost).
      expect(Number(row!.n)).toBe(envelopesAcked);
      report.push(
        `  store, ${envelopes} envelope(s)/send, ${concurrency} in flight: ` +
          `${Math.round(envelopesAcked / seconds)} envelopes/s (${Math.round(acked / seconds)} sends/s, ` +
          `${retries} retried after UNAVAILABLE)`,
      );
    },
  );

  async function seed(devices: readonly DeviceAddress[], perDevice: number): Promise<void> {
    await sql(
      h.db.url,
      `WITH d AS (SELECT * FROM unnest($1::varchar[], $2::bigint[]) AS d(user_id, device_id)),
       s AS (
         INSERT INTO message_delivery.sends
           (sender_user_id, sender_device_id, client_message_id, recipient_count)
         SELECT 'drain-sender', 1, d.user_id || '-' || i, 1
         FROM d CROSS JOIN generate_series(1, $3::int) AS i
         RETURNING id, client_message_id, stored_at)
       INSERT INTO message_delivery.mailbox_entries
         (recipient_user_id, recipient_device_id, send_id, type, content, stored_at)
       SELECT d.user_id, d.device_id, s.id, 'message', decode(repeat('00', 256), 'hex'), s.stored_at
       FROM s JOIN d ON s.client_message_id LIKE d.user_id || '-%'
       ORDER BY s.id`,
      [devices.map((d) => d.userId), devices.map((d) => d.deviceId), perDevice],
    );
  }

  /** The plain client: fetch a page, ack it, again. */
  async function drain(device: DeviceAddress): Promise<number> {
    let drained = 0;
    for (;;) {
      const page = await h.call(D.fetchMailbox, { device, limit: MAX_MAILBOX_PAGE }, 30_000);
      if (page.messages.length === 0) return drained;
      await h.call(D.ack, { device, messageIds: page.messages.map((m) => m.messageId) }, 30_000);
      drained += page.messages.length;
    }
  }

  /** Reads ahead with the cursor and acks each page without waiting (up to 4 acks out). */
  async function drainPipelined(device: DeviceAddress): Promise<number> {
    let drained = 0;
    let after: string | undefined;
    const acks = new Set<Promise<unknown>>();
    for (;;) {
      const page = await h.call(
        D.fetchMailbox,
        { device, limit: MAX_MAILBOX_PAGE, ...(after === undefined ? {} : { after }) },
        30_000,
      );
      if (page.messages.length === 0) break;
      after = page.messages.at(-1)!.messageId;
      drained += page.messages.length;
      const ack = h.call(
        D.ack,
        { device, messageIds: page.messages.map((m) => m.messageId) },
        30_000,
      );
      acks.add(ack);
      void ack.finally(() => acks.delete(ack));
      if (acks.size >= 4) await Promise.race(acks);
    }
    await Promise.all(acks);
    return drained;
  }

  it.each([
    [1, 'fetch then ack'],
    [8, 'fetch then ack'],
    [1, 'pipelined'],
    [8, 'pipelined'],
  ] as const)('drains %i device(s) at once, %s', async (n, mode) => {
    const devices = Array.from({ length: n }, (_, i) => ({
      userId: `drain${n}-${mode === 'pipelined' ? 'p' : 's'}-d${i}`,
      deviceId: 1,
    }));
    const perDevice = Math.round(DRAIN_PER_DEVICE / n);
    await seed(devices, perDevice);
    const started = performance.now();
    const counts = await Promise.all(devices.map(mode === 'pipelined' ? drainPipelined : drain));
    const seconds = (performance.now() - started) / 1000;
    expect(counts).toEqual(devices.map(() => perDevice));
    const [left] = await sql<{ n: string }>(
      h.db.url,
      'SELECT count(*) AS n FROM message_delivery.mailbox_entries WHERE recipient_user_id = ANY($1)',
      [devices.map((d) => d.userId)],
    );
    expect(Number(left!.n)).toBe(0);
    report.push(
      `  drain (${mode}), ${n} device(s) x ${perDevice} messages of 256 bytes, 100/page: ` +
        `${Math.round((n * perDevice) / seconds)} messages/s`,
    );
  });
});
