/**
 * Bundle fetches per second through the gateway's HTTP API (`npm run bench:prekeys`).
 * Starts prekey-directory and the gateway as separate processes (as deployed) against the
 * local PostgreSQL (a fresh migrated database, dropped afterwards) and NATS (a namespace of
 * its own), registers target devices with one-time prekeys and 50 requesting devices, then
 * drives GET /v1/users/:userId/bundles with 50 concurrent connections (autocannon), each
 * authenticated as its own device.
 *
 *   npm run bench:prekeys -- [--duration 10] [--connections 50] [--targets 100]
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { initProtocol } from '@parley/protocol';
import { createTestDatabase, freePort, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import { registerDevice } from './bench-device';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    targets: { type: 'string', default: '100' },
    prekeys: { type: 'string', default: '300' },
    /** Diagnostics: `docs` (HTTP only), `auth` (token check, 403 before NATS), `unknown` (auth + NATS + a directory miss). */
    probe: { type: 'string' },
  },
});
const DURATION_S = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const TARGETS = Number(args.targets);
const PREKEYS_PER_TARGET = Number(args.prekeys);

function startService(
  name: string,
  entry: string,
  tsconfig: string,
  env: Record<string, string>,
): ChildProcess {
  const child = spawn(
    process.execPath,
    [require.resolve('tsx/cli'), '--tsconfig', tsconfig, entry],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  child.on('exit', (code, signal) => {
    if (code !== 0 && !signal) console.error(`${name} exited with ${String(code)}`);
  });
  return child;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${url}`);
    await sleep(200);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<boolean>((resolve) =>
    child.once('exit', () => {
      resolve(true);
    }),
  );
  child.kill('SIGTERM');
  if (!(await Promise.race([exited, sleep(10_000).then(() => false)]))) child.kill('SIGKILL');
}

async function main(): Promise<void> {
  await initProtocol();
  const db = await createTestDatabase({ label: 'bench_prekeys' });
  const namespace = uniqueSubjectPrefix('bench-prekeys');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const common = {
    DATABASE_URL: db.url,
    PARLEY_NATS_URL: testNatsUrl(),
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_LOG_LEVEL: 'warn',
  };
  const children: ChildProcess[] = [];
  try {
    children.push(
      startService(
        'prekey-directory',
        'apps/prekey-directory/src/main.ts',
        'apps/prekey-directory/tsconfig.app.json',
        {
          ...common,
          PARLEY_INSTANCE_ID: 'bench-prekeys-1',
          PREKEY_DB_POOL_SIZE: '20',
        },
      ),
    );
    children.push(
      startService('gateway', 'apps/gateway/src/main.ts', 'apps/gateway/tsconfig.app.json', {
        ...common,
        PARLEY_INSTANCE_ID: 'bench-gateway-1',
        PARLEY_HTTP_PORT: String(port),
        GATEWAY_DB_POOL_SIZE: '20',
        // The benchmark measures throughput, not the limiter.
        GATEWAY_RATE_LIMIT: '10000000',
      }),
    );
    await waitForHttp(`${base}/docs-json`, 60_000);

    const setupStart = Date.now();
    const targets: string[] = [];
    for (let i = 0; i < TARGETS; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, TARGETS - i) }, async (_, j) => {
          const userId = `target-${i + j}`;
          await registerDevice(base, userId, 1, PREKEYS_PER_TARGET);
          targets.push(userId);
        }),
      );
    }
    const tokens = await Promise.all(
      Array.from({ length: CONNECTIONS }, (_, i) => registerDevice(base, `requester-${i}`, 1, 0)),
    );
    console.log(
      `setup: ${TARGETS} target devices x ${PREKEYS_PER_TARGET} one-time prekeys, ${CONNECTIONS} requesting devices (${Date.now() - setupStart} ms)`,
    );

    let clientIndex = 0;
    let requestIndex = 0;
    const run = (duration: number) =>
      autocannon({
        url: base,
        connections: CONNECTIONS,
        duration,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => ({
              ...req,
              path:
                args.probe === 'docs'
                  ? '/docs-json'
                  : args.probe === 'unknown'
                    ? '/v1/users/nobody/bundles'
                    : args.probe === 'auth'
                      ? '/v1/users/nobody/devices/1/prekey-stock'
                      : `/v1/users/${targets[requestIndex++ % targets.length] ?? ''}/bundles`,
            }),
          },
        ],
        setupClient: (client) => {
          client.setHeaders({
            authorization: `Bearer ${tokens[clientIndex++ % tokens.length] ?? ''}`,
          });
        },
      });
    await run(2); // warm-up: JIT, connection pools
    const result = await run(DURATION_S);
    const non2xx = result.non2xx;
    console.log(
      [
        `bundle fetches through the gateway (GET /v1/users/:userId/bundles), ${CONNECTIONS} concurrent clients, ${DURATION_S} s:`,
        `  requests/s   ${result.requests.average.toFixed(0)} (total ${result.requests.total})`,
        `  latency p50  ${result.latency.p50} ms`,
        `  latency p99  ${result.latency.p99} ms`,
        `  errors       ${result.errors}, timeouts ${result.timeouts}, non-2xx ${non2xx}`,
      ].join('\n'),
    );
    if ((non2xx > 0 && args.probe !== 'unknown' && args.probe !== 'auth') || result.errors > 0)
      process.exitCode = 1;
  } finally {
    await Promise.all(children.map(stop));
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
