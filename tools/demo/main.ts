/**
 * `bash tools/parley.sh demo` (or `npm run demo`): the whole system on this machine. Starts
 * the five services as separate processes (on the stack's PostgreSQL and NATS, with a fresh
 * database and NATS namespace), runs the scripted conversation on the client SDK, prints
 * the transcript, and stops every process it started. Exit 0 when every expected delivery
 * happened, 1 otherwise.
 *
 *   npx tsx tools/demo/main.ts                   the end-to-end demo
 *   npx tsx tools/demo/main.ts --protocol-only   the in-process protocol demo (no services)
 */
import path from 'node:path';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from '@parley/testing';
import { runProtocolDemo } from './protocol-demo';
import { runScenario } from './scenario';
import type { LocalStack } from './services';
import { startLocalStack } from './services';
import { transcript } from './transcript';

const USAGE = 'usage: tools/demo/main.ts [--protocol-only]';

async function endToEnd(): Promise<void> {
  const databaseUrl = process.env['DATABASE_URL'] || DEFAULT_DATABASE_URL;
  const natsUrl = process.env['NATS_URL'] || process.env['PARLEY_NATS_URL'] || DEFAULT_NATS_URL;
  transcript.section('0. the stack: five services as separate processes, PostgreSQL, NATS');
  transcript.line(
    `PostgreSQL ${new URL(databaseUrl).host}, NATS ${natsUrl}; starting the services...`,
  );
  let stack: LocalStack | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`demo: ${signal}, stopping the services\n`);
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    stack = await startLocalStack({ databaseUrl, natsUrl });
    for (const s of stack.services) {
      transcript.detail(
        `${s.service} ready (pid ${s.pid}, port ${s.httpPort}, log ${path.relative(process.cwd(), s.log)})`,
      );
    }
    transcript.line(
      `gateway at ${stack.url}; database ${stack.database}, NATS namespace ${stack.namespace}`,
    );
    await runScenario(stack.url);
  } finally {
    if (stack) {
      transcript.section('9. stopping every process the demo started');
      await stack.stop();
      transcript.line(
        `stopped ${stack.services.length} services, dropped database ${stack.database}`,
      );
    }
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== '--protocol-only');
  if (unknown.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (argv.includes('--protocol-only')) {
    await runProtocolDemo();
    process.stdout.write('\ndemo finished: every message decrypted as expected\n');
    return 0;
  }
  await endToEnd();
  process.stdout.write('\ndemo finished: every expected message was delivered and decrypted\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
