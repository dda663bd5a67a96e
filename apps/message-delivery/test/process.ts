/**
 * message-delivery as its own process, started like the `serve` target starts it (tsx on
 * src/main.ts): for the kill -9 tests and for stress runs that must not share the event loop
 * with the load generator.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Rpc } from '@parley/contracts';
import { request } from '@parley/server-kit';
import type { NatsConnection } from 'nats';

const REPO = path.resolve(__dirname, '../../..');

export interface DeliveryProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/**
 * A service of this repo as a process (`app`: its folder under apps/): node itself with tsx as
 * a loader, so the child IS the service (the tsx CLI would run it as a grandchild that a
 * SIGKILL of the CLI leaves running). `nodeArgs`: e.g. --cpu-prof.
 */
export function spawnService(
  app: string,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): DeliveryProcess {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', `apps/${app}/src/main.ts`],
    {
      cwd: REPO,
      env: {
        PATH: process.env['PATH'] ?? '',
        PARLEY_LOG_LEVEL: 'warn',
        TSX_TSCONFIG_PATH: `apps/${app}/tsconfig.app.json`,
        ...env,
      },
    },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, exited, output: () => output };
}

export function spawnDelivery(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): DeliveryProcess {
  return spawnService('message-delivery', env, nodeArgs);
}

/** Waits until an instance answers in `namespace` (tsx start-up takes a few seconds). */
export async function waitUntilServing(
  nc: NatsConnection,
  namespace: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await request(
        nc,
        Rpc.delivery.fetchMailbox,
        { device: { userId: 'probe', deviceId: 1 }, limit: 1 },
        { namespace, timeoutMs: 1000 },
      );
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
