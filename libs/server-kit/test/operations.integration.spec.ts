/**
 * Operations of a service with an HTTP listener: /health/live, /health/ready (real
 * PostgreSQL `select 1`, real NATS connection state), /metrics, and request ids carried
 * from HTTP through NATS into the handler's logs.
 */
import { Body, Controller, Get, Headers, Inject, Module, Post } from '@nestjs/common';
import { startNatsServer, testDatabaseUrl, withDatabase } from '@parley/testing';
import type { NatsServer } from '@parley/testing';
import { Pool } from 'pg';
import { bootstrapService } from '../src/lib/bootstrap/bootstrap-service';
import type { RunningService } from '../src/lib/bootstrap/bootstrap-service';
import { RpcClient } from '../src/lib/bootstrap/rpc.client';
import { createLogger } from '../src/lib/logging/logger';
import { currentRequestId } from '../src/lib/observability/request-context';
import { DemoRpc } from './demo/demo.contracts';
import { DemoModule } from './demo/demo.module';
import { bytes, demoConfig, LogCapture, uniqueNamespace } from './helpers';

/** Stands in for a service's database provider. */
class DemoDatabase {
  readonly pool = new Pool({
    connectionString: withDatabase(testDatabaseUrl(), 'postgres'),
    max: 2,
  });
  /** Points the probe at a server that is not there, like a database outage. */
  broken = new Pool({ connectionString: 'postgresql://postgres@127.0.0.1:1/postgres', max: 1 });
  down = false;
  query(): Promise<unknown> {
    return (this.down ? this.broken : this.pool).query('select 1');
  }
}

@Controller('ops-demo')
class OpsDemoController {
  constructor(@Inject(RpcClient) private readonly rpc: RpcClient) {}

  @Get('echo')
  async echo(): Promise<{ requestId: string | undefined; instance: string }> {
    const reply = await this.rpc.request(DemoRpc.echo, { text: 'hi', bytes: bytes(1) });
    return { requestId: currentRequestId(), instance: reply.instance };
  }

  /** A body makes Fastify continue from stream callbacks: the id must survive that. */
  @Post('echo')
  async echoBody(
    @Body() body: { text: string },
    @Headers('x-request-id') header: string | undefined,
  ): Promise<{ requestId: string | undefined; header: string | undefined; text: string }> {
    const reply = await this.rpc.request(DemoRpc.echo, { text: body.text, bytes: bytes(2) });
    return { requestId: currentRequestId(), header, text: reply.text };
  }
}

@Module({
  imports: [DemoModule],
  controllers: [OpsDemoController],
  providers: [DemoDatabase],
})
class OpsDemoModule {}

async function startOps(
  natsUrl: string,
  namespace: string,
  capture: LogCapture,
): Promise<RunningService & { url: string }> {
  const service = await bootstrapService({
    service: 'demo',
    module: OpsDemoModule,
    config: demoConfig(namespace, { PARLEY_HTTP_PORT: '0', PARLEY_NATS_URL: natsUrl }),
    http: true,
    logger: createLogger({
      service: 'demo',
      instanceId: 'ops',
      level: 'debug',
      destination: capture,
    }),
    shutdownHooks: false,
    readiness: { database: (app) => app.get(DemoDatabase, { strict: false }).query() },
  });
  return Object.assign(service, { url: service.httpUrl ?? '' });
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of one sample line of the Prometheus text format, or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

describe('probes, metrics and request ids', () => {
  let nats: NatsServer;
  let service: RunningService & { url: string };
  const capture = new LogCapture();
  const namespace = uniqueNamespace('ops');

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: false });
    service = await startOps(nats.url, namespace, capture);
  });
  afterAll(async () => {
    const db = service.app.get(DemoDatabase, { strict: false });
    await service.close();
    await Promise.all([db.pool.end(), db.broken.end()]);
    await nats.stop();
  });

  it('live answers 200; ready is 200 with NATS and the database up', async () => {
    expect(await getJson(`${service.url}/health/live`)).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
    expect(await getJson(`${service.url}/health/ready`)).toEqual({
      status: 200,
      body: { status: 'ok', checks: { nats: 'ok', database: 'ok' } },
    });
  });

  it('ready is 503 naming the database while it cannot be reached', async () => {
    const db = service.app.get(DemoDatabase, { strict: false });
    db.down = true;
    try {
      const ready = await getJson(`${service.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({
        status: 'unavailable',
        checks: { nats: 'ok', database: 'failed' },
      });
      // Liveness does not depend on it: restarting would not help.
      expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    } finally {
      db.down = false;
    }
  });

  it('counts requests per subject and outcome, with latency histograms', async () => {
    const res = await fetch(`${service.url}/ops-demo/echo`);
    expect(res.status).toBe(200);
    await service.nats.request(
      `${namespace}.${DemoRpc.fail.subject}`,
      new TextEncoder().encode(
        JSON.stringify({ pattern: DemoRpc.fail.subject, id: '1', data: { kind: 'not-found' } }),
      ),
    );
    const metrics = await fetch(`${service.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    const echo = { service: 'demo', subject: DemoRpc.echo.subject, outcome: 'ok' };
    expect(sample(text, 'parley_rpc_server_requests_total', echo)).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'parley_rpc_server_duration_seconds_count', echo)).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      sample(text, 'parley_rpc_server_requests_total', {
        subject: DemoRpc.fail.subject,
        outcome: 'NOT_FOUND',
      }),
    ).toBe(1);
    expect(
      sample(text, 'parley_rpc_client_requests_total', {
        subject: DemoRpc.echo.subject,
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toContain('parley_mailbox_depth');
    expect(text).toContain('parley_push_results_total');
  });

  it('carries the HTTP x-request-id into the NATS handler and its logs', async () => {
    const res = await fetch(`${service.url}/ops-demo/echo`, {
      headers: { 'x-request-id': 'req-abc-123' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    expect(await res.json()).toMatchObject({ requestId: 'req-abc-123' });
    const handled = capture
      .records()
      .filter((r) => r['msg'] === 'request handled' && r['subject'] === DemoRpc.echo.subject);
    expect(handled.map((r) => r['requestId'])).toContain('req-abc-123');
  });

  it('keeps the id through a request body, and makes one when the client sent none or junk', async () => {
    const post = await fetch(`${service.url}/ops-demo/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'with-body-1' },
      body: JSON.stringify({ text: 'hello' }),
    });
    expect(await post.json()).toEqual({
      requestId: 'with-body-1',
      header: 'with-body-1',
      text: 'hello',
    });

    const junk = await fetch(`${service.url}/ops-demo/echo`, {
      headers: { 'x-request-id': 'bad id\twith spaces' },
    });
    const generated = junk.headers.get('x-request-id') ?? '';
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(await junk.json()).toMatchObject({ requestId: generated });
    expect(
      capture.records().some((r) => r['requestId'] === generated && r['msg'] === 'request handled'),
    ).toBe(true);
  });

  it('ready is 503 while NATS is down, 200 after the reconnect, which is counted', async () => {
    await nats.kill();
    await until(async () => (await fetch(`${service.url}/health/ready`)).status === 503);
    expect((await getJson(`${service.url}/health/ready`)).body).toMatchObject({
      checks: { nats: 'failed', database: 'ok' },
    });
    await nats.start();
    await until(async () => (await fetch(`${service.url}/health/ready`)).status === 200, 30_000);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(
      sample(text, 'parley_nats_reconnects_total', { service: 'demo' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'parley_nats_connected', { service: 'demo' })).toBe(1);
  });

  it('ready turns 503 once shutdown begins', async () => {
    await service.server.stopAccepting(1000);
    const ready = await getJson(`${service.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ checks: { shutdown: 'stopping' } });
  });
});
