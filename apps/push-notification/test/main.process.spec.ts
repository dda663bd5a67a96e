/**
 * The service as its own process, started the way the `serve` target starts it: it serves
 * over NATS, closes gracefully on SIGTERM (exit 0), and refuses to start with a bad
 * environment, naming the variables but never printing values.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { namespacedName, Rpc, STREAMS } from '@parley/contracts';
import { request } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import {
  createTestDatabase,
  spawnServiceProcess,
  testNatsUrl,
  uniqueSubjectPrefix,
} from '@parley/testing';
import { connect } from 'nats';
import { generateVAPIDKeys } from 'web-push';

const run = (env: Record<string, string>) => spawnServiceProcess('push-notification', env);

describe('push-notification process', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ label: 'push_process' });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('serves over NATS, logs its providers without keys, and exits 0 on SIGTERM', async () => {
    const namespace = uniqueSubjectPrefix('push-process');
    const vapid = generateVAPIDKeys();
    const proc = run({
      DATABASE_URL: db.url,
      PARLEY_NATS_URL: testNatsUrl(),
      PARLEY_NATS_PREFIX: namespace,
      PARLEY_INSTANCE_ID: 'process-1',
      WEB_PUSH_VAPID_PUBLIC_KEY: vapid.publicKey,
      WEB_PUSH_VAPID_PRIVATE_KEY: vapid.privateKey,
      WEB_PUSH_VAPID_SUBJECT: 'mailto:ops@parley.test',
      WEB_PUSH_ALLOWED_HOSTS: 'push.example.test',
    });
    const nc = await connect({ servers: testNatsUrl() });
    try {
      const device = { userId: 'proc-user', deviceId: 1 };
      const endpoint = {
        provider: 'webpush' as const,
        endpoint: 'https://push.example.test/send/proc',
        keys: {
          p256dh: Buffer.alloc(65, 4).toString('base64url'),
          auth: Buffer.alloc(16, 7).toString('base64url'),
        },
      };
      // Retry until the process is up (tsx start-up takes a few seconds).
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await request(
            nc,
            Rpc.push.register,
            { device, endpoint },
            { namespace, timeoutMs: 2000 },
          );
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(200);
        }
      }
      await expect(request(nc, Rpc.push.unregister, { device }, { namespace })).resolves.toEqual({
        removed: 1,
      });
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain('"providers":["webpush"]');
      expect(proc.output()).toContain('NATS connection drained');
      expect(proc.output()).not.toContain(vapid.privateKey);
    } finally {
      proc.child.kill('SIGKILL');
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(namespacedName(namespace, STREAMS.events)).catch(() => undefined);
      await nc.close();
    }
  }, 40_000);

  it('refuses to start without DATABASE_URL or with half a provider, naming the variables', async () => {
    const proc = run({
      PARLEY_NATS_URL: testNatsUrl(),
      PARLEY_LOG_LEVEL: 'silent',
      APNS_KEY_ID: 'ABCDE12345',
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('DATABASE_URL: required but not set');
    expect(proc.output()).toContain('APNS_TEAM_ID: required when APNS_KEY_ID is set (APNs)');
    expect(proc.output()).toContain('APNS_PRIVATE_KEY: required when APNS_KEY_ID is set (APNs)');
  }, 30_000);
});
