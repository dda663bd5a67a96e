/**
 * Probes of a service with an HTTP listener:
 * - `/health/live`: the process answers (restart it when this fails);
 * - `/health/ready`: it can do its work: NATS is connected, every readiness check (the
 *   service's database `select 1`) passes, and it is not shutting down. Load balancers
 *   and `depends_on: service_healthy` use this one.
 * Registered on Fastify directly, not as Nest controllers, so no app guard, throttler or
 * exception filter (the gateway's bearer auth) stands in front of them.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** A named readiness check; it resolves when the dependency answers and throws when not. */
export type ReadinessCheck = (app: INestApplicationContext) => Promise<unknown>;

export type ReadinessChecks = Readonly<Record<string, ReadinessCheck>>;

export interface ProbeState {
  /** NATS connection up (not closed, not between reconnects). */
  natsConnected(): boolean;
  /** Shutdown has begun: stop sending us traffic. */
  stopping(): boolean;
}

export interface ReadinessReport {
  readonly status: 'ok' | 'unavailable';
  readonly checks: Record<string, 'ok' | 'failed' | 'timeout' | 'stopping'>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(
  check: ReadinessCheck,
  app: INestApplicationContext,
): Promise<'ok' | 'failed' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check(app).then(() => 'ok' as const), timeout]);
  } catch {
    return 'failed';
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(
  app: INestApplicationContext,
  state: ProbeState,
  checks: ReadinessChecks,
): Promise<ReadinessReport> {
  const results: ReadinessReport['checks'] = {
    nats: state.natsConnected() ? 'ok' : 'failed',
  };
  if (state.stopping()) results['shutdown'] = 'stopping';
  const names = Object.keys(checks);
  const outcomes = await Promise.all(
    names.map((name) => runCheck(checks[name] ?? (() => Promise.resolve()), app)),
  );
  names.forEach((name, i) => (results[name] = outcomes[i] ?? 'failed'));
  const ok = Object.values(results).every((r) => r === 'ok');
  return { status: ok ? 'ok' : 'unavailable', checks: results };
}

/** Adds /health/live, /health/ready and /metrics to the app's Fastify instance. */
export function registerOperationalRoutes(
  app: NestFastifyApplication,
  state: ProbeState,
  checks: ReadinessChecks,
  metrics: () => Promise<{ contentType: string; body: string }>,
): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/health/live', (_req, reply) => reply.send({ status: 'ok' }));
  fastify.get('/health/ready', async (_req, reply) => {
    const report = await readiness(app, state, checks);
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });
  fastify.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await metrics();
    return reply.header('content-type', contentType).send(body);
  });
}
