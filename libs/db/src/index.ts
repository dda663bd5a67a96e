export { SERVICE_NAMES, isServiceName, serviceSchema } from './lib/services';
export type { ServiceName } from './lib/services';
export { resolvePrismaDir } from './lib/prisma-dir';
export { migrate, migrationLockKey, MIGRATIONS_TABLE } from './lib/migrations/migration-runner';
export type {
  AppliedMigration,
  MigrateOptions,
  MigrateResult,
} from './lib/migrations/migration-runner';
export { checksumOf, readMigrations } from './lib/migrations/migration-source';
export type { MigrationFile } from './lib/migrations/migration-source';
export { MigrationError } from './lib/migrations/migration.errors';
export type { MigrationErrorCode } from './lib/migrations/migration.errors';
export { createServicePrisma } from './lib/prisma-client.factory';
export type { PrismaClientClass, ServicePrismaOptions } from './lib/prisma-client.factory';
