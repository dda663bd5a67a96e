/**
 * The real services for the SDK's process-level tests (the CLI's and the browser's): each
 * service its own process, started and health-checked by the stack's launcher, on a fresh
 * database and NATS namespace. Logs in tmp/sdk-e2e/logs.
 */
import path from 'node:path';
import {
  createTestDatabase,
  testDatabaseUrl,
  testNatsUrl,
  uniqueSubjectPrefix,
} from '@parley/testing';
/* eslint-disable @nx/enforce-module-boundaries -- the stack's process launcher is a script, not a lib */
import type { ServiceInstance } from '../../../../tools/stack/services';
import {
  availableServices,
  isRunning,
  startServices,
  stopServices,
} from '../../../../tools/stack/services';
/* eslint-enable @nx/enforce-module-boundaries */

const REPO_ROOT = path.resolve(__dirname, '../../../..');

const started = new Set<ServiceInstance>();
// The processes are detached: should a test run end without afterAll, still kill them.
process.once('exit', () => {
  for (const s of started) if (isRunning(s)) process.kill(s.pid, 'SIGKILL');
});

export interface ServiceProcesses {
  /** The gateway's base URL. */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startServiceProcesses(label: string): Promise<ServiceProcesses> {
  const db = await createTestDatabase({ serverUrl: testDatabaseUrl(), label: `sdk_${label}` });
  let instances: ServiceInstance[];
  try {
    instances = await startServices({
      repoRoot: REPO_ROOT,
      stateDir: path.join(REPO_ROOT, 'tmp', 'sdk-e2e', label),
      services: availableServices(REPO_ROOT),
      env: {
        DATABASE_URL: db.url,
        PARLEY_NATS_URL: testNatsUrl(),
        PARLEY_NATS_PREFIX: uniqueSubjectPrefix(`sdk-${label}`),
        PARLEY_LOG_LEVEL: process.env['SDK_LOG_LEVEL'] ?? 'warn',
        PARLEY_SHUTDOWN_TIMEOUT_MS: '3000',
      },
    });
  } catch (error) {
    await db.drop().catch(() => undefined);
    throw error;
  }
  for (const s of instances) started.add(s);
  const stop = async () => {
    await stopServices(instances, 8_000);
    for (const s of instances) started.delete(s);
    await db.drop().catch(() => undefined);
  };
  const gateway = instances.find((s) => s.service === 'gateway');
  if (!gateway) {
    await stop();
    throw new Error('no gateway among the services');
  }
  return { url: `http://127.0.0.1:${gateway.httpPort}`, stop };
}
