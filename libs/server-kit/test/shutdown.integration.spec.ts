/**
 * Graceful shutdown: an in-flight slow request completes (while the resources it uses are
 * still open), new requests go to the other instance or get "no responders", and a real
 * SIGTERM to a service process does the same.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import { UnavailableError } from '@parley/contracts';
import { request } from '../src/lib/rpc/rpc-request';
import { DemoRpc } from './demo/demo.contracts';
import { DemoState } from './demo/demo.module';
import { bytes, NATS_URL, startDemo, uniqueNamespace } from './helpers';

const REPO = path.resolve(__dirname, '../../..');

describe('graceful shutdown', () => {
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await nc.close();
  });

  it('closing lets an in-flight slow request complete, then stops answering', async () => {
    const namespace = uniqueNamespace('shutdown');
    const demo = await startDemo(namespace, 'demo-slow');
    const started = once(demo.app.get(DemoState).events, 'slow-started');
    const slow = request(nc, DemoRpc.slow, { ms: 800 }, { namespace, timeoutMs: 5000 });
    await started;
    const t0 = Date.now();
    const closed = demo.close();
    const reply = await slow;
    await closed;
    expect(reply).toEqual({ resourceOpen: true, instance: 'demo-slow' });
    // close() waited for the request (about 800 ms), not a fixed grace period.
    expect(Date.now() - t0).toBeGreaterThan(600);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(demo.nats.isClosed()).toBe(true);
    const after = request(
      nc,
      DemoRpc.echo,
      { text: 'late', bytes: bytes(1) },
      { namespace, timeoutMs: 1000 },
    );
    await expect(after).rejects.toBeInstanceOf(UnavailableError);
  });

  it('while one instance drains, the other serves new requests', async () => {
    const namespace = uniqueNamespace('handover');
    const a = await startDemo(namespace, 'demo-a');
    const b = await startDemo(namespace, 'demo-b');
    try {
      // Land a slow request on instance a (queue groups pick at random: retry until a has one).
      const aStarted = once(a.app.get(DemoState).events, 'slow-started');
      const slows: Promise<unknown>[] = [];
      for (let i = 0; i < 20 && a.server.inFlightCount === 0; i++) {
        slows.push(request(nc, DemoRpc.slow, { ms: 700 }, { namespace, timeoutMs: 5000 }));
        await new Promise((r) => setTimeout(r, 20));
      }
      await aStarted;
      const closing = a.close();
      await new Promise((r) => setTimeout(r, 100));
      const during = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          request(
            nc,
            DemoRpc.echo,
            { text: `d${i}`, bytes: bytes(i) },
            { namespace, timeoutMs: 2000 },
          ),
        ),
      );
      expect(new Set(during.map((r) => r.instance))).toEqual(new Set(['demo-b']));
      const results = await Promise.all(slows);
      expect(results.every((r) => (r as { resourceOpen: boolean }).resourceOpen)).toBe(true);
      await closing;
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('SIGTERM to a service process lets its in-flight request complete', async () => {
    const namespace = uniqueNamespace('sigterm');
    const child = spawn(
      path.join(REPO, 'node_modules/.bin/tsx'),
      ['--tsconfig', 'libs/server-kit/tsconfig.json', 'libs/server-kit/test/demo/main.ts'],
      {
        cwd: REPO,
        env: {
          ...process.env,
          PARLEY_NATS_URL: NATS_URL,
          PARLEY_NATS_PREFIX: namespace,
          PARLEY_INSTANCE_ID: 'demo-proc',
          PARLEY_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: string[] = [];
    const exited = once(child, 'exit');
    const waitFor = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no "${text}" in ${out.join('')}`));
        }, 20_000);
        const check = () => {
          if (out.join('').includes(text)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', (d: Buffer) => {
          out.push(d.toString());
          check();
        });
        child.stderr.on('data', (d: Buffer) => out.push(d.toString()));
        check();
      });
    try {
      await waitFor('service started');
      const slow = request(nc, DemoRpc.slow, { ms: 800 }, { namespace, timeoutMs: 5000 });
      await waitFor('slow request started');
      child.kill('SIGTERM');
      await expect(slow).resolves.toEqual({ resourceOpen: true, instance: 'demo-proc' });
      const [code, signal] = (await exited) as [number | null, string | null];
      // A clean exit once the hooks ran (tsx relays its child's exit code).
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(out.join('')).toContain('NATS connection drained');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
