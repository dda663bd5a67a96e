/**
 * The development stack: PostgreSQL and NATS with JetStream, for development, tests, CI and
 * the demo.
 *
 *   npx tsx tools/stack/stack.ts up [--export]   start what is missing, create the database, migrate
 *   npx tsx tools/stack/stack.ts env [--export]  print DATABASE_URL=... and NATS_URL=...
 *   npx tsx tools/stack/stack.ts migrate         apply the migrations to DATABASE_URL
 *   npx tsx tools/stack/stack.ts down            stop what `up` started (nothing else)
 *
 * DATABASE_URL and NATS_URL are used when set; else the local servers (127.0.0.1:5432 and
 * :4222), started when they do not answer. Logs go to stderr, the variables to stdout, so
 * `eval "$(npx tsx tools/stack/stack.ts up --export)"` works.
 */
import path from 'node:path';
import { migrate } from '@parley/db';
import { ensureNats, stopNats } from './nats';
import { ensurePostgres, stopPostgres } from './postgres';
import { log } from './run';
import { formatEnv, resolveStackEnv } from './stack-env';

const REPO_ROOT = path.resolve(__dirname, '../..');
const USAGE = 'usage: stack.ts up|env|migrate|down [--export]';

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...flags] = argv;
  const exportPrefix = flags.includes('--export');
  const stack = resolveStackEnv(process.env, REPO_ROOT);
  const started = performance.now();
  const migrateAll = async () => {
    const result = await migrate({ connectionString: stack.databaseUrl, log });
    log(`migrations: ${result.applied.length} applied, ${result.alreadyApplied} already in place`);
  };
  switch (command) {
    case 'env':
      process.stdout.write(formatEnv(stack, exportPrefix));
      return 0;
    case 'up':
      await Promise.all([ensurePostgres(stack), ensureNats(stack)]);
      await migrateAll();
      log(`up in ${Math.round(performance.now() - started)} ms`);
      process.stdout.write(formatEnv(stack, exportPrefix));
      return 0;
    case 'migrate':
      await ensurePostgres({ ...stack, databaseFromEnv: true });
      await migrateAll();
      return 0;
    case 'down':
      await Promise.all([stopNats(stack.stateDir), stopPostgres(stack.stateDir)]);
      log('down');
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 64;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
