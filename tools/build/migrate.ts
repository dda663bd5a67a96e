/**
 * The one-shot migration job (the `migrate` service of docker-compose.yml): applies every
 * service's pending SQL migrations to DATABASE_URL, then exits 0. Safe to run while
 * another copy runs (the runner takes an advisory lock) and again after (a no-op).
 */
import { migrate } from '@parley/db';
import { loadConfig } from '@parley/server-kit';
import { z } from 'zod';

export const MigrateEnvSchema = z.object({
  /** PostgreSQL URL of the Parley database (every service's schema lives in it). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgresql:// URL' }),
});

async function main(): Promise<void> {
  const config = loadConfig(MigrateEnvSchema);
  const log = (line: string) => {
    process.stdout.write(`${JSON.stringify({ level: 'info', service: 'migrate', msg: line })}\n`);
  };
  const result = await migrate({ connectionString: config.DATABASE_URL, log });
  log(`migrations: ${result.applied.length} applied, ${result.alreadyApplied} already in place`);
}

main().catch((error: unknown) => {
  // ConfigError names the variable only; a migration error names the file.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
