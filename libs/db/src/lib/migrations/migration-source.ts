/**
 * Reads migrations in Prisma's layout: `prisma/<service>/migrations/<timestamp>_<name>/migration.sql`,
 * applied in name order. The checksum is Prisma's (SHA-256 of the file's bytes, lowercase hex),
 * so the tracking table stays readable by `prisma migrate` should its engine ever run here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceName } from '../services';
import { MigrationError } from './migration.errors';

export interface MigrationFile {
  /** The folder name, e.g. `20261123080000_init`. */
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** Prisma's folder names: a 14-digit timestamp, `_`, a name. */
const MIGRATION_DIR_PATTERN = /^\d{14}_[A-Za-z0-9_]+$/;

export function checksumOf(sql: Buffer | string): string {
  return createHash('sha256').update(sql).digest('hex');
}

export function migrationsDir(prismaDir: string, service: ServiceName): string {
  return path.join(prismaDir, service, 'migrations');
}

export function readMigrations(prismaDir: string, service: ServiceName): MigrationFile[] {
  const dir = migrationsDir(prismaDir, service);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const file = path.join(dir, name, 'migration.sql');
      if (!MIGRATION_DIR_PATTERN.test(name) || !existsSync(file)) {
        throw new MigrationError(
          'MIGRATION_SOURCE_INVALID',
          `${service}: ${name} is not <14-digit timestamp>_<name>/migration.sql`,
          service,
          name,
        );
      }
      const bytes = readFileSync(file);
      return { name, sql: bytes.toString('utf8'), checksum: checksumOf(bytes) };
    });
}
