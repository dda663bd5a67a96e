/**
 * The service as its own process, started the way the `serve` target starts it: it serves
 * over NATS, closes gracefully on SIGTERM (exit 0), and refuses to start without its
 * database URL, naming the variable but never printing values.
 */
import { namespacedName, Rpc, STREAMS } from '@parley/contracts';
import { createGroup, deterministicRandom, initProtocol } from '@parley/protocol';
import { request } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import {
  createTestDatabase,
  spawnServiceProcess,
  testNatsUrl,
  uniqueSubjectPrefix,
} from '@parley/testing';
import { connect } from 'nats';
import { groupIdHex, makeDevice } from './helpers';

const run = (env: Record<string, string>) => spawnServiceProcess('group-membership', env);

describe('group-membership process', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    await initProtocol();
    db = await createTestDatabase({ label: 'groups_process' });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('serves over NATS and exits 0 on SIGTERM', async () => {
    const namespace = uniqueSubjectPrefix('gm-process');
    const proc = run({
      DATABASE_URL: db.url,
      PARLEY_NATS_URL: testNatsUrl(),
      PARLEY_NATS_PREFIX: namespace,
      PARLEY_INSTANCE_ID: 'process-1',
    });
    const nc = await connect({ servers: testNatsUrl() });
    try {
      const alice = makeDevice('proc-alice', 1);
      const built = createGroup(alice.identity, alice.member, [], deterministicRandom('proc'), 1);
      const groupId = groupIdHex(built.state.groupId);
      const create = {
        groupId,
        actor: { userId: 'proc-alice', deviceId: 1 },
        members: ['proc-alice'],
        change: built.change,
      };
      // Retry until the process is up (tsx start-up takes a few seconds); create is idempotent.
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await request(nc, Rpc.groups.create, create, { namespace, timeoutMs: 2000 });
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const list = await request(
        nc,
        Rpc.groups.listMembers,
        { groupId, requester: 'proc-alice' },
        { namespace },
      );
      expect(list).toEqual({
        groupId,
        epoch: 0,
        members: [{ userId: 'proc-alice', role: 'admin' }],
      });
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
