/**
 * Service fixtures: a migrated database and a NATS namespace of its own, the three
 * provider fakes, and instances of the real service configured against them; a caller
 * speaking the contracts and a publisher of `stored-for-offline-device` events.
 */
import type { DeviceAddress, ReplyOf, RequestOf, RpcContract } from '@parley/contracts';
import { Events, namespacedName, Rpc, STREAMS } from '@parley/contracts';
import type { RunningService } from '@parley/server-kit';
import { createLogger, ensureStream, loadConfig, publishEvent, request } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateVAPIDKeys } from 'web-push';
import type { PushNotificationConfig } from '../../src/app/push-notification.config';
import { PushNotificationEnvSchema } from '../../src/app/push-notification.config';
import { startPushNotification } from '../../src/app/start-push-notification';
import { WAKE_UP_DURABLE } from '../../src/wakeups/wakeup.consumer';
import type { FakeApns, FakeFcm } from './provider-fakes';
import { startFakeApns, startFakeFcm } from './provider-fakes';
import type { TestSubscription, WebPushEndpoint } from './web-push-endpoint';
import { startWebPushEndpoint } from './web-push-endpoint';

export const FCM_PROJECT = 'parley-test';

export interface Harness {
  readonly namespace: string;
  readonly db: TestDatabase;
  readonly nc: NatsConnection;
  readonly webPush: WebPushEndpoint;
  readonly apns: FakeApns;
  readonly fcm: FakeFcm;
  readonly env: Record<string, string>;
  /** Everything the service instances logged so far (debug level and up). */
  logs(): string;
  /** The instance running now (undefined between stop() and start()). */
  service: RunningService | undefined;
  call<C extends RpcContract>(contract: C, payload: RequestOf<C>): Promise<ReplyOf<C>>;
  /** Publishes a stored-for-offline-device event as message-delivery does. */
  publishOffline(recipient: DeviceAddress, messageId?: string, at?: number): Promise<void>;
  /** Registers a fresh Web Push subscription for the device. */
  subscribeWebPush(device: DeviceAddress): Promise<TestSubscription>;
  /** Resolves when the push consumer has no event left to handle or to ack. */
  drained(timeoutMs?: number): Promise<void>;
  sql<T>(text: string, values?: unknown[]): Promise<T[]>;
  start(): Promise<RunningService>;
  /** Another instance on the same database and namespace (closed by close()). */
  startExtra(instanceId: string): Promise<RunningService>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

let serial = 0;

/** A device nobody else in this database uses. */
export function device(label: string, deviceId = 1): DeviceAddress {
  return { userId: `${label}-${process.pid}-${++serial}`, deviceId };
}

export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export async function startHarness(
  label: string,
  env: Record<string, string> = {},
): Promise<Harness> {
  const vapid = generateVAPIDKeys();
  const namespace = uniqueSubjectPrefix(label);
  const [db, webPush, apns, fcm, nc] = await Promise.all([
    createTestDatabase({ label: `push_${label}` }),
    startWebPushEndpoint(vapid.publicKey),
    startFakeApns(),
    startFakeFcm(FCM_PROJECT),
    connect({ servers: testNatsUrl() }),
  ]);
  const fullEnv: Record<string, string> = {
    PARLEY_NATS_URL: testNatsUrl(),
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_INSTANCE_ID: 'push-1',
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_SHUTDOWN_TIMEOUT_MS: '5000',
    DATABASE_URL: db.url,
    PUSH_RETRY_DELAY_MS: '200',
    WEB_PUSH_VAPID_PUBLIC_KEY: vapid.publicKey,
    WEB_PUSH_VAPID_PRIVATE_KEY: vapid.privateKey,
    WEB_PUSH_VAPID_SUBJECT: 'mailto:ops@parley.test',
    WEB_PUSH_CA_CERTS: webPush.caCert,
    WEB_PUSH_ALLOWED_HOSTS: '127.0.0.1',
    APNS_KEY_ID: 'KEYID12345',
    APNS_TEAM_ID: 'TEAMID1234',
    APNS_PRIVATE_KEY: apns.keyPem,
    APNS_PRODUCTION_URL: apns.url,
    APNS_SANDBOX_URL: apns.url,
    FCM_PROJECT_ID: FCM_PROJECT,
    FCM_CLIENT_EMAIL: fcm.clientEmail,
    FCM_PRIVATE_KEY: fcm.keyPem,
    FCM_BASE_URL: fcm.url,
    FCM_TOKEN_URL: fcm.tokenUrl,
    ...env,
  };
  const config: PushNotificationConfig = loadConfig(PushNotificationEnvSchema, fullEnv);
  // message-delivery creates the stream in production; here events may be published first.
  await ensureStream(nc, 'events', { namespace });

  const extras: RunningService[] = [];
  // Every line the service logs, kept in memory (tests check what never appears in logs).
  const logLines: string[] = [];
  const testLogger = (instanceId: string) =>
    createLogger({
      service: 'push-notification',
      instanceId,
      level: 'debug',
      destination: {
        write: (line: string) => {
          logLines.push(line);
          if (process.env['PUSH_TEST_LOG']) process.stdout.write(line);
        },
      },
    });
  const h: Harness = {
    namespace,
    db,
    nc,
    webPush,
    apns,
    fcm,
    env: fullEnv,
    service: undefined,
    logs: () => logLines.join(''),
    call: (contract, payload) => request(nc, contract, payload, { namespace, timeoutMs: 5000 }),
    async publishOffline(recipient, messageId = `m-${++serial}`, at = Date.now()) {
      await publishEvent(
        nc,
        Events.delivery.storedForOfflineDevice,
        { recipient, messageId, at },
        { namespace, msgId: `stored-offline.${messageId}` },
      );
    },
    async subscribeWebPush(dev) {
      const sub = webPush.subscribe();
      await h.call(Rpc.push.register, {
        device: dev,
        endpoint: { provider: 'webpush', endpoint: sub.endpoint, keys: sub.keys },
      });
      return sub;
    },
    async drained(timeoutMs = 10_000) {
      const jsm = await nc.jetstreamManager();
      const stream = namespacedName(namespace, STREAMS.events);
      await waitFor(
        async () => {
          const info = await jsm.consumers.info(stream, WAKE_UP_DURABLE);
          return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
        },
        'the push consumer to drain',
        timeoutMs,
      );
    },
    async sql<T>(text: string, values: unknown[] = []) {
      const pg = new Client({ connectionString: db.url });
      await pg.connect();
      try {
        return (await pg.query(text, values)).rows as T[];
      } finally {
        await pg.end();
      }
    },
    async start() {
      h.service = await startPushNotification(config, {
        logger: testLogger('push-1'),
        shutdownHooks: false,
      });
      return h.service;
    },
    async startExtra(instanceId) {
      const extra = await startPushNotification(
        { ...config, PARLEY_INSTANCE_ID: instanceId },
        { logger: testLogger(instanceId), shutdownHooks: false },
      );
      extras.push(extra);
      return extra;
    },
    async stop() {
      await h.service?.close();
      h.service = undefined;
    },
    async close() {
      await Promise.all(extras.map((s) => s.close()));
      await h.stop();
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(namespacedName(namespace, STREAMS.events)).catch(() => undefined);
      await nc.close();
      await Promise.all([webPush.close(), apns.close(), fcm.close()]);
      await db.drop();
    },
  };
  await h.start();
  return h;
}
