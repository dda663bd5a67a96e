/**
 * Test fixtures: a migrated database of its own, a NATS namespace of its own, instances of
 * the real service, and a caller speaking the contracts.
 */
import { namespacedName, STREAMS } from '@parley/contracts';
import type { ParleyError, ReplyOf, RequestOf, RpcContract } from '@parley/contracts';
import type { RunningService } from '@parley/server-kit';
import { createLogger, loadConfig, request } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import type { MessageDeliveryConfig } from '../src/app/message-delivery.config';
import { MessageDeliveryEnvSchema } from '../src/app/message-delivery.config';
import { startMessageDelivery } from '../src/app/start-message-delivery';

export interface Harness {
  readonly namespace: string;
  readonly db: TestDatabase;
  readonly nc: NatsConnection;
  readonly service: RunningService;
  call<C extends RpcContract>(
    contract: C,
    payload: RequestOf<C>,
    timeoutMs?: number,
  ): Promise<ReplyOf<C>>;
  close(): Promise<void>;
}

export function testConfig(
  namespace: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): MessageDeliveryConfig {
  return loadConfig(MessageDeliveryEnvSchema, {
    PARLEY_NATS_URL: testNatsUrl(),
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_INSTANCE_ID: 'delivery-1',
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_SHUTDOWN_TIMEOUT_MS: '5000',
    DATABASE_URL: databaseUrl,
    ...env,
  });
}

export async function startHarness(
  label: string,
  env: Record<string, string> = {},
): Promise<Harness> {
  const namespace = uniqueSubjectPrefix(label);
  const db = await createTestDatabase({ label: `delivery_${label}` });
  const nc = await connect({ servers: testNatsUrl() });
  const logger = createLogger({
    service: 'message-delivery',
    instanceId: 'delivery-1',
    level: (process.env['DELIVERY_TEST_LOG_LEVEL'] as 'silent' | undefined) ?? 'silent',
  });
  const service = await startMessageDelivery(testConfig(namespace, db.url, env), {
    logger,
    shutdownHooks: false,
  });
  return {
    namespace,
    db,
    nc,
    service,
    call: (contract, payload, timeoutMs = 10_000) =>
      request(nc, contract, payload, { namespace, timeoutMs }),
    close: async () => {
      await service.close();
      // The stream is this namespace's own; leave nothing behind on the shared server.
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(namespacedName(namespace, STREAMS.events)).catch(() => undefined);
      await nc.close();
      await db.drop();
    },
  };
}

/** The ParleyError a promise rejects with. */
export async function failure(p: Promise<unknown>): Promise<ParleyError> {
  try {
    await p;
  } catch (error) {
    return error as ParleyError;
  }
  throw new Error('expected a failure');
}

let serial = 0;

/** A user id nobody else in this database uses. */
export function userId(label: string): string {
  return `${label}-${++serial}`;
}

/** A client message id nobody else used. */
export function clientMessageId(): string {
  return `cm-${Date.now().toString(36)}-${++serial}`;
}

/** Recognisable ciphertext-shaped bytes (the service never looks inside). */
export function content(label: string, size = 64): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  out.set(new TextEncoder().encode(label).subarray(0, size));
  return out;
}
