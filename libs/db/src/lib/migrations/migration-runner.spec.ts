import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { ScratchDatabase } from '../../../test/support/scratch-database';
import { createScratchDatabase, withClient } from '../../../test/support/scratch-database';
import { MigrationError } from './migration.errors';
import { migrate, migrationLockKey } from './migration-runner';
import { checksumOf, readMigrations } from './migration-source';

/** A prisma/ folder of its own, with made-up migrations for prekey-directory. */
function prismaFolder() {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-migrations-'));
  const write = (name: string, sql: string) => {
    const folder = path.join(dir, 'prekey-directory', 'migrations', name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'migration.sql'), sql);
  };
  const remove = (name: string) => { rmSync(path.join(dir, 'prekey-directory', 'migrations', name), { recursive: true }); };
  return { dir, write, remove };
}

const SERVICES = ['prekey-directory'] as const;

async function expectMigrationError(promise: Promise<unknown>, code: string) {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as MigrationError).code).toBe(code);
  return error as MigrationError;
}

describe('migrate', () => {
  let db: ScratchDatabase;
  let folder: ReturnType<typeof prismaFolder>;
  const run = (extra: { lockTimeoutMs?: number } = {}) =>
    migrate({ connectionString: db.url, prismaDir: folder.dir, services: SERVICES, ...extra });
  const query = <T extends object>(sql: string) =>
    withClient(db.url, async (c) => (await c.query<T>(sql)).rows);
  const appliedNames = async () =>
    (
      await query<{ migration_name: string }>(
        'SELECT migration_name FROM prekey_directory._prisma_migrations ORDER BY started_at',
      )
    ).map((r) => r.migration_name);

  beforeEach(async () => {
    db = await createScratchDatabase('runner');
    folder = prismaFolder();
  });
  afterEach(async () => {
    await db.drop();
    rmSync(folder.dir, { recursive: true, force: true });
  });

  it('applies the migrations in name order, each once, and records them like Prisma', async () => {
    // Written out of order: the runner must sort by folder name.
    folder.write('20260102000000_add_column', 'ALTER TABLE prekey_directory.t ADD COLUMN note TEXT;');
    folder.write(
      '20260101000000_create',
      'CREATE TABLE prekey_directory.t (id INT PRIMARY KEY);\nINSERT INTO prekey_directory.t VALUES (1);',
    );
    folder.write('20260103000000_fill', "UPDATE prekey_directory.t SET note = 'x';");

    const result = await run();

    expect(result.applied.map((m) => m.name)).toEqual([
      '20260101000000_create',
      '20260102000000_add_column',
      '20260103000000_fill',
    ]);
    expect(await query('SELECT id, note FROM prekey_directory.t')).toEqual([{ id: 1, note: 'x' }]);
    expect(await appliedNames()).toEqual(result.applied.map((m) => m.name));
    const rows = await query<{ checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      'SELECT checksum, finished_at, applied_steps_count FROM prekey_directory._prisma_migrations',
    );
    const checksums = readMigrations(folder.dir, 'prekey-directory').map((m) => m.checksum);
    expect(rows.map((r) => r.checksum).sort()).toEqual([...checksums].sort());
    expect(rows.every((r) => r.finished_at instanceof Date && r.applied_steps_count === 1)).toBe(true);
  });

  it('is idempotent: a second run applies nothing, a new migration is applied alone', async () => {
    folder.write('20260101000000_create', 'CREATE TABLE prekey_directory.t (id INT);');
    await run();

    expect(await run()).toEqual({ applied: [], alreadyApplied: 1 });

    folder.write('20260102000000_more', 'INSERT INTO prekey_directory.t VALUES (7);');
    const third = await run();
    expect(third.applied.map((m) => m.name)).toEqual(['20260102000000_more']);
    expect(third.alreadyApplied).toBe(1);
    expect(await query('SELECT id FROM prekey_directory.t')).toEqual([{ id: 7 }]);
  });

  it('refuses an applied migration that was edited, and applies nothing after it', async () => {
    folder.write('20260101000000_create', 'CREATE TABLE prekey_directory.t (id INT);');
    await run();
    folder.write('20260101000000_create', 'CREATE TABLE prekey_directory.t (id BIGINT);');
    folder.write('20260102000000_next', 'CREATE TABLE prekey_directory.u (id INT);');

    const error = await expectMigrationError(run(), 'MIGRATION_CHECKSUM_MISMATCH');
    expect(error.migration).toBe('20260101000000_create');
    expect(await query("SELECT to_regclass('prekey_directory.u') AS u")).toEqual([{ u: null }]);
  });

  it('refuses a database that applied a migration this checkout lacks', async () => {
    folder.write('20260101000000_create', 'CREATE TABLE prekey_directory.t (id INT);');
    folder.write('20260102000000_gone', 'SELECT 1;');
    await run();
    folder.remove('20260102000000_gone');

    await expectMigrationError(run(), 'MIGRATION_UNKNOWN_APPLIED');
  });

  it('rolls a failing migration back whole, tracking row included', async () => {
    folder.write('20260101000000_ok', 'CREATE TABLE prekey_directory.t (id INT);');
    folder.write(
      '20260102000000_broken',
      'CREATE TABLE prekey_directory.half (id INT);\nINSERT INTO prekey_directory.missing VALUES (1);',
    );

    const error = await expectMigrationError(run(), 'MIGRATION_APPLY_FAILED');
    expect(error.message).toContain('20260102000000_broken');
    expect(await appliedNames()).toEqual(['20260101000000_ok']);
    expect(await query("SELECT to_regclass('prekey_directory.half') AS half")).toEqual([{ half: null }]);
  });

  it('refuses a malformed migration folder', async () => {
    folder.write('create_things', 'SELECT 1;');
    await expectMigrationError(run(), 'MIGRATION_SOURCE_INVALID');
  });

  it('lets concurrent runners apply each migration exactly once', async () => {
    folder.write('20260101000000_create', 'CREATE TABLE prekey_directory.runs (n INT);');
    // Slow enough that all runners are inside migrate() while the first one applies it.
    folder.write(
      '20260102000000_slow',
      'SELECT pg_sleep(0.3);\nINSERT INTO prekey_directory.runs VALUES (1);',
    );
    folder.write('20260103000000_after', 'INSERT INTO prekey_directory.runs VALUES (2);');

    const results = await Promise.all([run(), run(), run(), run()]);

    expect(results.flatMap((r) => r.applied).map((m) => m.name).sort()).toEqual([
      '20260101000000_create',
      '20260102000000_slow',
      '20260103000000_after',
    ]);
    expect(await query('SELECT n FROM prekey_directory.runs ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await appliedNames()).toHaveLength(3);
  });

  it('gives up with MIGRATION_LOCK_TIMEOUT while another migrator holds the lock', async () => {
    folder.write('20260101000000_create', 'CREATE TABLE prekey_directory.t (id INT);');
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [migrationLockKey('prekey_directory')]);
      const started = Date.now();
      await expectMigrationError(run({ lockTimeoutMs: 300 }), 'MIGRATION_LOCK_TIMEOUT');
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      await holder.end();
    }
    // Once the holder is gone the lock is free again.
    expect((await run()).applied).toHaveLength(1);
  });

  it("computes Prisma's checksum: SHA-256 of the file's bytes, lowercase hex", () => {
    // Values from `sha256sum`.
    expect(checksumOf('SELECT 1;\n')).toBe('b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd');
    expect(checksumOf('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
