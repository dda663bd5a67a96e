/**
 * Which storage layout for a sender-key fan-out (not part of CI):
 *
 *   npx jest -c apps/message-delivery/jest.stress.config.ts group-layout
 *
 * A: ONE ciphertext in `sends.content` + a content-less entry per recipient device (chosen);
 * B: a copy of the ciphertext in every recipient's entry.
 * Each: one fan-out statement of a 1 KiB ciphertext to 10, 100 and 1000 devices, repeated;
 * median statement time (commit included) and WAL bytes written per fan-out.
 */
import { Client } from 'pg';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase } from '@parley/testing';

const REPEAT = Number(process.env['LAYOUT_REPEAT'] ?? 15);
const CIPHERTEXT_BYTES = 1024;

const SHARED = `
  WITH s AS (
    INSERT INTO message_delivery.sends (sender_user_id, sender_device_id, client_message_id,
                                        group_id, group_epoch, content, recipient_count)
    VALUES ('sender', 1, $1, 'g', 0, $2, $3) RETURNING id, stored_at)
  INSERT INTO message_delivery.mailbox_entries
    (recipient_user_id, recipient_device_id, send_id, type, content, stored_at)
  SELECT 'u' || i, 1, s.id, 'sender_key', NULL, s.stored_at
  FROM s CROSS JOIN generate_series(1, $3::int) AS i`;

const COPIED = `
  WITH s AS (
    INSERT INTO message_delivery.sends (sender_user_id, sender_device_id, client_message_id,
                                        group_id, group_epoch, content, recipient_count)
    VALUES ('sender', 1, $1, 'g', 0, NULL, $3) RETURNING id, stored_at)
  INSERT INTO message_delivery.mailbox_entries
    (recipient_user_id, recipient_device_id, send_id, type, content, stored_at)
  SELECT 'u' || i, 1, s.id, 'message', $2, s.stored_at
  FROM s CROSS JOIN generate_series(1, $3::int) AS i`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('sender-key storage layout', () => {
  let db: TestDatabase;
  let pg: Client;
  const rows: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'delivery_layout' });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    console.log(
      [
        `sender-key fan-out of ${CIPHERTEXT_BYTES} bytes, median of ${REPEAT} (ms per statement, WAL KiB):`,
        '  recipients | shared ciphertext     | copy per device',
        ...rows,
      ].join('\n'),
    );
    await pg.end();
    await db.drop();
  });

  async function measure(sql: string, label: string, n: number) {
    const ciphertext = Buffer.alloc(CIPHERTEXT_BYTES, 7);
    const times: number[] = [];
    const wal: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const before = (await pg.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn'))
        .rows[0]!.lsn;
      const t0 = performance.now();
      await pg.query(sql, [`${label}-${n}-${i}`, ciphertext, n]);
      times.push(performance.now() - t0);
      const bytes = await pg.query<{ b: string }>(
        'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS b',
        [before],
      );
      wal.push(Number(bytes.rows[0]!.b));
    }
    return { ms: median(times), walKiB: median(wal) / 1024 };
  }

  it.each([10, 100, 1000])('%i recipients', async (n) => {
    // Interleaved so both see the same machine load.
    const shared = await measure(SHARED, 'shared', n);
    const copied = await measure(COPIED, 'copied', n);
    rows.push(
      `  ${String(n).padStart(10)} | ${shared.ms.toFixed(2).padStart(7)} ms ${shared.walKiB
        .toFixed(0)
        .padStart(6)} KiB | ${copied.ms.toFixed(2).padStart(7)} ms ${copied.walKiB
        .toFixed(0)
        .padStart(6)} KiB`,
    );
    expect(shared.ms).toBeGreaterThan(0);
  });
});
