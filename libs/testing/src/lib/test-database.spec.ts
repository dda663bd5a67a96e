import { Client } from 'pg';
import { createTestDatabase, templateName, withTestDatabase } from './test-database';
import { testDatabaseUrl, withDatabase } from './test-env';

const ADMIN_URL = withDatabase(testDatabaseUrl(), 'postgres');

async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const tablesOf = (url: string) =>
  query<{ t: string }>(
    url,
    `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  ).then((rows) => rows.map((r) => r.t));

describe('createTestDatabase', () => {
  it('gives a fresh database with every service migrated, and drop() removes it', async () => {
    const db = await createTestDatabase({ label: 'spec' });
    const straggler = new Client({ connectionString: db.url });
    straggler.on('error', () => undefined);
    try {
      expect(await tablesOf(db.url)).toEqual(
        expect.arrayContaining([
          'gateway.auth_challenges',
          'group_membership.membership_changes',
          'message_delivery.mailbox_entries',
          'prekey_directory.one_time_prekeys',
          'push_notification.push_registrations',
          'prekey_directory._prisma_migrations',
        ]),
      );
      // Left open on purpose: drop() must still succeed.
      await straggler.connect();
    } finally {
      await db.drop();
    }
    const exists = await query<{ n: number }>(
      ADMIN_URL,
      `SELECT count(*)::int AS n FROM pg_database WHERE datname = '${db.name}'`,
    );
    expect(exists).toEqual([{ n: 0 }]);
    await straggler.end().catch(() => undefined);
  });

  it('keeps databases apart and makes them quickly, many at once', async () => {
    const started = performance.now();
    const dbs = await Promise.all(
      Array.from({ length: 6 }, () => createTestDatabase({ label: 'many' })),
    );
    const elapsed = performance.now() - started;
    try {
      expect(new Set(dbs.map((d) => d.name)).size).toBe(6);
      await query(
        dbs[0]!.url,
        "INSERT INTO prekey_directory.accounts (user_id) VALUES ('only-here')",
      );
      expect(await query(dbs[1]!.url, 'SELECT * FROM prekey_directory.accounts')).toEqual([]);
      expect(await query(dbs[0]!.url, 'SELECT user_id FROM prekey_directory.accounts')).toEqual([
        { user_id: 'only-here' },
      ]);
      // Template copies, not six migration runs (generous bound for a loaded 2-core machine).
      expect(elapsed).toBeLessThan(15_000);
    } finally {
      await Promise.all(dbs.map((d) => d.drop()));
    }
  });

  it('names the template after the migrations on disk', () => {
    expect(templateName()).toMatch(/^parley_tpl_[0-9a-f]{16}$/);
    expect(templateName()).toBe(templateName());
  });

  it('gives an empty database when asked, and withTestDatabase drops it afterwards', async () => {
    let name = '';
    await withTestDatabase(
      async (db) => {
        name = db.name;
        expect(await tablesOf(db.url)).toEqual([]);
      },
      { migrated: false },
    );
    expect(await query(ADMIN_URL, `SELECT 1 FROM pg_database WHERE datname = '${name}'`)).toEqual(
      [],
    );
  });
});
