/**
 * Applies the SQL migrations of each service to its PostgreSQL schema.
 *
 * - Tracking: `<schema>._prisma_migrations`, the table `prisma migrate` itself keeps (same
 *   columns, same checksum), one per service schema.
 * - Safety: an applied migration whose file changed since, or one the database has but this
 *   checkout lacks, stops everything (MigrationError) before anything is applied.
 * - Atomicity: one transaction per migration, the tracking row included, so a failing
 *   migration leaves nothing behind. (So no `CREATE INDEX CONCURRENTLY` in a migration.)
 * - Concurrency: a session advisory lock per service schema, so instances starting together
 *   apply each migration once; the others wait, then find nothing to do.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { resolvePrismaDir } from '../prisma-dir';
import type { ServiceName } from '../services';
import { SERVICE_NAMES, serviceSchema } from '../services';
import { MigrationError } from './migration.errors';
import type { MigrationFile } from './migration-source';
import { readMigrations } from './migration-source';

export const MIGRATIONS_TABLE = '_prisma_migrations';

/** How long a runner waits for another one to finish by default. */
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
const LOCK_POLL_MS = 25;

export interface MigrateOptions {
  readonly connectionString: string;
  /** Services to migrate; all of them by default. */
  readonly services?: readonly ServiceName[];
  /** The `prisma/` folder; found by resolvePrismaDir() by default. */
  readonly prismaDir?: string;
  readonly lockTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface AppliedMigration {
  readonly service: ServiceName;
  readonly name: string;
  readonly durationMs: number;
}

export interface MigrateResult {
  /** Migrations this call applied, in order. */
  readonly applied: AppliedMigration[];
  /** Migrations that were already applied. */
  readonly alreadyApplied: number;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A 64-bit advisory lock key of its own per schema (as text: pg takes it as bigint). */
export function migrationLockKey(schema: string): string {
  const digest = createHash('sha256').update(`parley:migrate:${schema}`).digest();
  return digest.readBigInt64BE(0).toString();
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const prismaDir = options.prismaDir ?? resolvePrismaDir();
  const services = options.services ?? SERVICE_NAMES;
  const log = options.log ?? (() => undefined);
  const client = new Client({ connectionString: options.connectionString });
  // A dropped connection surfaces as a failed query below; without a listener it would crash.
  client.on('error', () => undefined);
  await client.connect();
  const applied: AppliedMigration[] = [];
  let alreadyApplied = 0;
  try {
    for (const service of services) {
      const files = readMigrations(prismaDir, service);
      const result = await migrateService(client, service, files, options.lockTimeoutMs, log);
      applied.push(...result.applied);
      alreadyApplied += result.alreadyApplied;
    }
  } finally {
    await client.end();
  }
  return { applied, alreadyApplied };
}

async function migrateService(
  client: Client,
  service: ServiceName,
  files: readonly MigrationFile[],
  lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS,
  log: (line: string) => void,
): Promise<MigrateResult> {
  const schema = serviceSchema(service);
  const table = `${ident(schema)}.${ident(MIGRATIONS_TABLE)}`;
  const lockKey = migrationLockKey(schema);
  await acquireLock(client, lockKey, lockTimeoutMs, service);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const { rows } = await client.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at FROM ${table}
       WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name`,
    );
    const pending = checkHistory(service, files, rows);
    const applied: AppliedMigration[] = [];
    for (const file of pending) {
      const started = performance.now();
      await applyOne(client, table, service, file);
      const durationMs = Math.round(performance.now() - started);
      applied.push({ service, name: file.name, durationMs });
      log(`${service}: applied ${file.name} (${durationMs} ms)`);
    }
    return { applied, alreadyApplied: files.length - pending.length };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey]);
  }
}

/** Refuses a history that does not fit the files; returns the files still to apply. */
function checkHistory(
  service: ServiceName,
  files: readonly MigrationFile[],
  rows: readonly AppliedRow[],
): MigrationFile[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const done = new Set<string>();
  for (const row of rows) {
    const file = byName.get(row.migration_name);
    if (!file) {
      throw new MigrationError(
        'MIGRATION_UNKNOWN_APPLIED',
        `${service}: the database has applied ${row.migration_name}, which this checkout does not have`,
        service,
        row.migration_name,
      );
    }
    if (row.finished_at === null) {
      throw new MigrationError(
        'MIGRATION_INCOMPLETE',
        `${service}: ${row.migration_name} was started but never finished; repair the schema by hand, then mark it rolled back`,
        service,
        row.migration_name,
      );
    }
    if (row.checksum !== file.checksum) {
      throw new MigrationError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `${service}: ${row.migration_name} was edited after it was applied; add a new migration instead`,
        service,
        row.migration_name,
      );
    }
    done.add(row.migration_name);
  }
  return files.filter((f) => !done.has(f.name));
}

async function applyOne(client: Client, table: string, service: ServiceName, file: MigrationFile) {
  await client.query('BEGIN');
  try {
    await client.query(file.sql);
    await client.query(
      `INSERT INTO ${table} (id, checksum, finished_at, migration_name, applied_steps_count)
       VALUES ($1, $2, now(), $3, 1)`,
      [randomUUID(), file.checksum, file.name],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(
      'MIGRATION_APPLY_FAILED',
      `${service}: ${file.name} failed and was rolled back: ${reason}`,
      service,
      file.name,
      { cause: error },
    );
  }
}

async function acquireLock(client: Client, key: string, timeoutMs: number, service: ServiceName) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [key],
    );
    if (rows[0]?.locked) return;
    if (Date.now() >= deadline) {
      throw new MigrationError(
        'MIGRATION_LOCK_TIMEOUT',
        `${service}: another migrator held the lock for more than ${timeoutMs} ms`,
        service,
      );
    }
    await sleep(LOCK_POLL_MS);
  }
}
