/**
 * The service as its own process, started the way the `serve` target starts it: it serves
 * over NATS, closes gracefully on SIGTERM (exit 0), and refuses to start without its
 * database URL, naming the variable but never printing values.
 */
import { namespacedName, Rpc, STREAMS } from '@parley/contracts';
import { initProtocol } from '@parley/protocol';
import { request } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import {
  createTestDatabase,
  spawnServiceProcess,
  testNatsUrl,
  uniqueSubjectPrefix,
} from '@parley/testing';
import { connect } from 'nats';
import { makeDevice, registerRequest } from './helpers';

const run = (env: Record<string, string>) => spawnServiceProcess('prekey-directory', env);

describe('prekey-directory process', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    await initProtocol();
    db = await createTestDatabase({ label: 'prekeys_process' });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('serves over NATS and exits 0 on SIGTERM', async () => {
    const namespace = uniqueSubjectPrefix('pd-process');
    const proc = run({
      DATABASE_URL: db.url,
      PARLEY_NATS_URL: testNatsUrl(),
      PARLEY_NATS_PREFIX: namespace,
      PARLEY_INSTANCE_ID: 'process-1',
    });
    const nc = await connect({ servers: testNatsUrl() });
    try {
      const dev = makeDevice('proc-user', 1);
      // Retry until the process is up (tsx start-up takes a few seconds).
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await request(
            nc,
            Rpc.prekeys.registerDevice,
            registerRequest(dev, dev.oneTimePreKeys(1, 2)),
            {
              namespace,
              timeoutMs: 2000,
            },
          );
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const { bundles } = await request(
        nc,
        Rpc.prekeys.fetchBundles,
        { userId: 'proc-user' },
        { namespace },
      );
      expect(bundles[0]!.oneTimePreKey?.id).toBe(1);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain('NATS connection drained');
    } finally {
      proc.child.kill('SIGKILL');
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(namespacedName(namespace, STREAMS.events)).catch(() => undefined);
      await nc.close();
    }
  }, 40_000);

  it('refuses to start without DATABASE_URL, naming it', async () => {
    const proc = run({ PARLEY_NATS_URL: testNatsUrl(), PARLEY_LOG_LEVEL: 'silent' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('DATABASE_URL: required but not set');
  }, 30_000);
});
