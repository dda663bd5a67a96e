/**
 * The development stack: PostgreSQL and NATS with JetStream, for development, tests, CI and
 * the demo.
 *
 *   npx tsx tools/stack/stack.ts up [--export]   start what is missing, create the database, migrate
 *   npx tsx tools/stack/stack.ts env [--export]  print DATABASE_URL=... and NATS_URL=...
 *   npx tsx tools/stack/stack.ts migrate         apply the migrations to DATABASE_URL
 *   npx tsx tools/stack/stack.ts down            stop what `up` started (nothing else)
 *
 * Services as processes (no Docker needed), N instances each, logs in tmp/stack/logs:
 *   npx tsx tools/stack/stack.ts up --services [--scale message-delivery=3 ...]
 *   npx tsx tools/stack/stack.ts up --services=gateway,message-delivery
 *   npx tsx tools/stack/stack.ts ps              the running instances and their ports
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
import type { ServiceInstance } from './services';
import {
  availableServices,
  isRunning,
  parseServiceFlags,
  startServices,
  stopServices,
} from './services';
import { formatEnv, resolveStackEnv } from './stack-env';
import { readState, updateState } from './state';

const REPO_ROOT = path.resolve(__dirname, '../..');
const USAGE =
  'usage: stack.ts up|env|migrate|down|ps [--export] [--services[=a,b]] [--scale service=N]';

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
      await upServices(flags, stack.databaseUrl, stack.natsUrl, stack.stateDir);
      log(`up in ${Math.round(performance.now() - started)} ms`);
      process.stdout.write(formatEnv(stack, exportPrefix));
      return 0;
    case 'migrate':
      await ensurePostgres({ ...stack, databaseFromEnv: true });
      await migrateAll();
      return 0;
    case 'ps':
      process.stdout.write(describe(readState(stack.stateDir).services ?? []));
      return 0;
    case 'down':
      await downServices(stack.stateDir);
      await Promise.all([stopNats(stack.stateDir), stopPostgres(stack.stateDir)]);
      log('down');
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 64;
  }
}

/** Starts the services named by the flags (none without --services or --scale). */
async function upServices(
  flags: readonly string[],
  databaseUrl: string,
  natsUrl: string,
  stateDir: string,
): Promise<void> {
  const known = availableServices(REPO_ROOT);
  const { services, scale } = parseServiceFlags(flags, known);
  if (!services && Object.keys(scale).length === 0) return;
  const running = (readState(stateDir).services ?? []).filter(isRunning);
  if (running.length > 0) {
    throw new Error(`services already running (${running.length}); run \`stack.ts down\` first`);
  }
  const instances = await startServices({
    repoRoot: REPO_ROOT,
    stateDir,
    services: services ?? Object.keys(scale),
    scale,
    env: { DATABASE_URL: databaseUrl, PARLEY_NATS_URL: natsUrl },
  });
  updateState(stateDir, (s) => (s.services = instances));
  process.stderr.write(describe(instances));
}

async function downServices(stateDir: string): Promise<void> {
  const instances = readState(stateDir).services ?? [];
  if (instances.length > 0) log(`stopping ${instances.length} service instance(s)`);
  await stopServices(instances);
  updateState(stateDir, (s) => delete s.services);
}

function describe(instances: readonly ServiceInstance[]): string {
  return instances
    .map(
      (s) =>
        `${s.instance}\tpid ${s.pid}\thttp://127.0.0.1:${s.httpPort}\t${isRunning(s) ? 'running' : 'stopped'}\t${s.log}\n`,
    )
    .join('');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
