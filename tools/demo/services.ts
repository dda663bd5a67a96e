/**
 * The five Parley services as separate processes for the demo, started by the stack's
 * launcher (tools/stack/services.ts: one node process per service under tsx's loader, each
 * health-checked on /health/ready), on a database and a NATS namespace of their own, so the
 * demo's alice, bob and carol never meet another run's. Logs go to tmp/demo/logs.
 * `stop()` stops every process started here and drops the database; if this process ends
 * some other way, its exit handler kills them.
 */
import path from 'node:path';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, uniqueSubjectPrefix } from '@parley/testing';
/* eslint-disable @nx/enforce-module-boundaries -- the stack's process launcher is a script, not a lib */
import type { ServiceInstance } from '../stack/services';
import { availableServices, isRunning, startServices, stopServices } from '../stack/services';
/* eslint-enable @nx/enforce-module-boundaries */

export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface LocalStack {
  /** The gateway's base URL. */
  readonly url: string;
  readonly services: readonly ServiceInstance[];
  readonly database: string;
  readonly namespace: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** PostgreSQL server to create the demo database on (DATABASE_URL of the stack). */
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly readyTimeoutMs?: number;
}

const started = new Set<ServiceInstance>();
// Last resort (an uncaught error, process.exit): no service outlives the demo.
process.once('exit', () => {
  for (const s of started) {
    if (isRunning(s)) process.kill(s.pid, 'SIGKILL');
  }
});

export async function startLocalStack(options: StartOptions): Promise<LocalStack> {
  const db: TestDatabase = await createTestDatabase({
    serverUrl: options.databaseUrl,
    label: 'demo',
  });
  const namespace = uniqueSubjectPrefix('demo');
  let instances: ServiceInstance[];
  try {
    instances = await startServices({
      repoRoot: REPO_ROOT,
      stateDir: path.join(REPO_ROOT, 'tmp', 'demo'),
      services: availableServices(REPO_ROOT),
      env: {
        DATABASE_URL: db.url,
        PARLEY_NATS_URL: options.natsUrl,
        PARLEY_NATS_PREFIX: namespace,
        PARLEY_LOG_LEVEL: process.env['DEMO_LOG_LEVEL'] ?? 'info',
        PARLEY_SHUTDOWN_TIMEOUT_MS: '3000',
      },
      readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
    });
  } catch (error) {
    await db.drop().catch(() => undefined);
    throw error;
  }
  for (const s of instances) started.add(s);
  const gateway = instances.find((s) => s.service === 'gateway');
  const stop = async () => {
    await stopServices(instances, 8_000);
    for (const s of instances) started.delete(s);
    await db.drop().catch(() => undefined);
  };
  if (!gateway) {
    await stop();
    throw new Error('the stack has no gateway service');
  }
  return {
    url: `http://127.0.0.1:${gateway.httpPort}`,
    services: instances,
    database: db.name,
    namespace,
    stop,
  };
}
