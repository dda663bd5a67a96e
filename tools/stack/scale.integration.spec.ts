/**
 * Scaling without Docker: three message-delivery processes started the way
 * `stack.ts up --scale message-delivery=3` starts them share the sends through their NATS
 * queue group; one is killed with SIGKILL in the middle of a load, and the client's
 * retries (same clientMessageId) land on the survivors: every acknowledged send is in its
 * mailbox exactly once. Real PostgreSQL (a fresh migrated database) and NATS; one
 * prekey-directory process answers the device-set checks of the sends.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Rpc } from '@parley/contracts';
import {
  generateIdentityKeyPair,
  generateSignedPreKey,
  initProtocol,
  publicSignedPreKey,
  secureRandom,
} from '@parley/protocol';
import { request, runWithRequestId } from '@parley/server-kit';
import { createTestDatabase, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { TestDatabase } from '@parley/testing';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import { Client } from 'pg';
import type { ServiceInstance } from './services';
import { isRunning, parseServiceFlags, startServices, stopServices } from './services';

const REPO_ROOT = path.resolve(__dirname, '../..');
const SEND = Rpc.delivery.sendPairwise;
const RECIPIENTS = ['bob-0', 'bob-1', 'bob-2', 'bob-3'];

/** One sample of the Prometheus text format (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function metrics(s: ServiceInstance): Promise<string> {
  return (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
}

async function sendsServed(s: ServiceInstance): Promise<number> {
  return sample(await metrics(s), 'parley_rpc_server_requests_total', {
    subject: SEND.subject,
    outcome: 'ok',
  });
}

describe('stack service flags', () => {
  const known = ['gateway', 'message-delivery', 'prekey-directory'];

  it('parses --services and --scale (both spellings)', () => {
    expect(parseServiceFlags(['--services', '--scale', 'message-delivery=3'], known)).toEqual({
      services: known,
      scale: { 'message-delivery': 3 },
    });
    expect(parseServiceFlags(['--services=gateway', '--scale=message-delivery=2'], known)).toEqual({
      services: ['gateway', 'message-delivery'],
      scale: { 'message-delivery': 2 },
    });
    expect(parseServiceFlags(['--export'], known)).toEqual({ services: undefined, scale: {} });
  });

  it('refuses unknown services and malformed scales', () => {
    expect(() => parseServiceFlags(['--scale', 'mailer=2'], known)).toThrow(
      /unknown service mailer/,
    );
    expect(() => parseServiceFlags(['--scale', 'gateway'], known)).toThrow(/service=N/);
  });
});

describe('three message-delivery instances', () => {
  let db: TestDatabase;
  let nc: NatsConnection;
  let stateDir: string;
  let instances: ServiceInstance[] = [];
  const namespace = uniqueSubjectPrefix('scale');
  const acked = new Set<string>();
  let retries = 0;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'scale' });
    stateDir = mkdtempSync(path.join(tmpdir(), 'parley-scale-'));
    nc = await connect({ servers: testNatsUrl() });
    instances = await startServices({
      repoRoot: REPO_ROOT,
      stateDir,
      services: ['prekey-directory', 'message-delivery'],
      scale: { 'message-delivery': 3 },
      env: {
        DATABASE_URL: db.url,
        PARLEY_NATS_URL: testNatsUrl(),
        PARLEY_NATS_PREFIX: namespace,
        PARLEY_LOG_LEVEL: 'debug',
        DELIVERY_DB_POOL_SIZE: '4',
        DELIVERY_STATEMENTS_IN_FLIGHT: '1',
      },
    });
    // Real devices in the directory: message-delivery checks each send's device set.
    await initProtocol();
    for (const userId of ['alice', ...RECIPIENTS]) {
      const identity = generateIdentityKeyPair(secureRandom);
      const spk = publicSignedPreKey(generateSignedPreKey(identity, 1, secureRandom, Date.now()));
      await request(
        nc,
        Rpc.prekeys.registerDevice,
        { userId, deviceId: 1, identityKey: identity.publicKey, signedPreKey: spk },
        { namespace },
      );
    }
    all = instances;
    instances = instances.filter((s) => s.service === 'message-delivery');
  }, 120_000);

  let all: ServiceInstance[] = [];
  afterAll(async () => {
    await stopServices(all, 5_000);
    await nc.close();
    await db.drop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** A send retried (same clientMessageId) while the services answer UNAVAILABLE. */
  async function sendWithRetries(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await request(
          nc,
          SEND,
          {
            sender: { userId: 'alice', deviceId: 1 },
            clientMessageId: id,
            envelopes: [
              {
                recipient: { userId: RECIPIENTS[id.length % 4] ?? 'bob-0', deviceId: 1 },
                type: 'message',
                content: new Uint8Array([1, 2, 3]),
              },
            ],
          },
          { namespace, timeoutMs: 2_000 },
        );
        acked.add(id);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== 'UNAVAILABLE' || attempt >= 10) throw error;
        retries += 1;
        await sleep(50 * attempt);
      }
    }
  }

  async function load(prefix: string, count: number, concurrency: number, onAck?: () => void) {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const id = `${prefix}-${next++}`;
          await sendWithRetries(id);
          onAck?.();
        }
      }),
    );
  }

  it('each instance has its own id, port and log, and is ready', async () => {
    expect(instances.map((s) => s.instance)).toEqual([
      'message-delivery-1',
      'message-delivery-2',
      'message-delivery-3',
    ]);
    expect(new Set(instances.map((s) => s.httpPort)).size).toBe(3);
    for (const s of instances) {
      expect((await fetch(`http://127.0.0.1:${s.httpPort}/health/live`)).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${s.httpPort}/health/ready`);
      expect(await ready.json()).toEqual({ status: 'ok', checks: { nats: 'ok', database: 'ok' } });
      expect(readFileSync(s.log, 'utf8')).toContain(`"instance":"${s.instance}"`);
    }
  });

  it('shares the load: every instance serves sends', async () => {
    await load('warm', 300, 12);
    const served = await Promise.all(instances.map(sendsServed));
    console.log(`sends served per instance: ${served.join(', ')}`);
    expect(served.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
    for (const n of served) expect(n).toBeGreaterThan(0);
  });

  it('carries the caller’s request id into the serving instance’s log', async () => {
    await runWithRequestId('scale-trace-0001', () => sendWithRetries('traced-1'));
    await sleep(200);
    const logged = instances.filter((s) =>
      readFileSync(s.log, 'utf8')
        .split('\n')
        .some((l) => l.includes('"requestId":"scale-trace-0001"') && l.includes('request handled')),
    );
    expect(logged).toHaveLength(1);
  });

  it('loses nothing when one instance is killed with SIGKILL mid-load', async () => {
    const victim = instances[1]!;
    let ackedInPhase = 0;
    let killed = false;
    await load('kill', 600, 16, () => {
      ackedInPhase += 1;
      if (!killed && ackedInPhase >= 150) {
        killed = true;
        process.kill(victim.pid, 'SIGKILL');
      }
    });
    expect(killed).toBe(true);
    expect(isRunning(victim)).toBe(false);
    console.log(`kill phase: 600 sends acknowledged, ${retries} retries`);

    // Every acknowledged send is stored once, with exactly one mailbox entry.
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ id: string; sends: number; entries: number }>(`
        SELECT s.client_message_id AS id, count(DISTINCT s.id)::int AS sends,
               count(e.seq)::int AS entries
        FROM message_delivery.sends s
        LEFT JOIN message_delivery.mailbox_entries e ON e.send_id = s.id
        GROUP BY s.client_message_id`);
      const stored = new Map(rows.map((r) => [r.id, r]));
      expect(acked.size).toBe(300 + 1 + 600);
      for (const id of acked) expect(stored.get(id)).toEqual({ id, sends: 1, entries: 1 });
      expect(stored.size).toBe(acked.size);

      // The survivors kept serving, and report the mailbox depth.
      const survivors = instances.filter((s) => s !== victim);
      const text = await metrics(survivors[0]!);
      expect(text).toMatch(new RegExp(`^parley_mailbox_depth ${acked.size}$`, 'm'));
      // And how many sends their batch statements carried (group commit at work).
      expect(text).toMatch(/^parley_commit_batch_items_count\{batcher="sends"\} [1-9]/m);
      // And where their time went: waiting for a free statement, and the statement itself.
      expect(text).toMatch(/^parley_commit_queue_seconds_count\{batcher="sends"\} [1-9]/m);
      expect(text).toMatch(/^parley_commit_statement_seconds_count\{batcher="sends"\} [1-9]/m);
      for (const s of survivors) expect(await sendsServed(s)).toBeGreaterThan(0);
    } finally {
      await pg.end();
    }
  });
});

describe('stack.ts up --services / ps / down (the command line)', () => {
  it('starts the scaled instances in the background, lists them, and stops them on down', async () => {
    const db = await createTestDatabase({ label: 'stackcli' });
    const stateDir = mkdtempSync(path.join(tmpdir(), 'parley-stackcli-'));
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      PARLEY_STACK_DIR: stateDir,
      PARLEY_NATS_PREFIX: uniqueSubjectPrefix('stackcli'),
    };
    const stack = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs'),
          'tools/stack/stack.ts',
          ...args,
        ],
        { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 120_000 },
      );
    let instances: ServiceInstance[] = [];
    try {
      const up = stack('up', '--services=message-delivery', '--scale', 'message-delivery=2');
      expect(up.status).toBe(0);
      instances = (
        JSON.parse(readFileSync(path.join(stateDir, 'started.json'), 'utf8')) as {
          services: ServiceInstance[];
        }
      ).services;
      expect(instances.map((s) => s.instance)).toEqual([
        'message-delivery-1',
        'message-delivery-2',
      ]);
      for (const s of instances) {
        expect(isRunning(s)).toBe(true);
        expect((await fetch(`http://127.0.0.1:${s.httpPort}/health/ready`)).status).toBe(200);
      }
      const ps = stack('ps');
      expect(ps.stdout.match(/running/g)).toHaveLength(2);

      const down = stack('down');
      expect(down.status).toBe(0);
      expect(down.stderr).toContain('stopping 2 service instance(s)');
      for (const s of instances) expect(isRunning(s)).toBe(false);
      // Graceful: each instance drained its NATS connection on SIGTERM.
      for (const s of instances)
        expect(readFileSync(s.log, 'utf8')).toContain('NATS connection drained');
      expect(stack('ps').stdout).toBe('');
    } finally {
      await stopServices(instances, 2_000);
      await db.drop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 180_000);
});
