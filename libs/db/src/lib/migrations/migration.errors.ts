/** Why migrating stopped. The code is stable; the message names the service and migration. */
export type MigrationErrorCode =
  /** A migration folder is malformed (no migration.sql, or a name out of Prisma's pattern). */
  | 'MIGRATION_SOURCE_INVALID'
  /** An applied migration's file changed since: write a new migration instead. */
  | 'MIGRATION_CHECKSUM_MISMATCH'
  /** The database has applied a migration this checkout does not have. */
  | 'MIGRATION_UNKNOWN_APPLIED'
  /** A migration was left half-applied (by a tool without transactions): repair by hand. */
  | 'MIGRATION_INCOMPLETE'
  /** A migration's SQL failed; its transaction was rolled back. */
  | 'MIGRATION_APPLY_FAILED'
  /** Another migrator held the lock for longer than the wait allowed. */
  | 'MIGRATION_LOCK_TIMEOUT';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly service?: string,
    readonly migration?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
