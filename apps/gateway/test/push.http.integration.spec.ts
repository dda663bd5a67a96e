/* eslint-disable @typescript-eslint/no-unsafe-member-access -- HTTP bodies are untyped JSON that the assertions inspect */
/**
 * PUT/DELETE /v1/push end to end: the real gateway, prekey directory and push-notification
 * service on PostgreSQL and NATS. The registration is always the authenticated device's.
 */
import type { RunningService } from '@parley/server-kit';
import { loadConfig } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, testNatsUrl } from '@parley/testing';
import { Client } from 'pg';
import { generateVAPIDKeys } from 'web-push';
// Only tests reach into another app: the real push-notification service answers the gateway.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PushNotificationEnvSchema } from '../../push-notification/src/app/push-notification.config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startPushNotification } from '../../push-notification/src/app/start-push-notification';
import { TestDevice } from './support/device';
import type { Stack } from './support/harness';
import { http, startStack } from './support/harness';

let stack: Stack;
let pushDb: TestDatabase;
let push: RunningService;
let seq = 0;
const newUser = () => `push-user-${process.pid}-${++seq}`;

const P256DH = Buffer.alloc(65, 4).toString('base64url');
const AUTH = Buffer.alloc(16, 7).toString('base64url');
const webPushBody = (id: string) => ({
  provider: 'webpush',
  endpoint: `https://push.example.test/send/${id}`,
  keys: { p256dh: P256DH, auth: AUTH },
});

beforeAll(async () => {
  stack = await startStack('gw-push');
  pushDb = await createTestDatabase({ label: 'gw_push' });
  const vapid = generateVAPIDKeys();
  push = await startPushNotification(
    loadConfig(PushNotificationEnvSchema, {
      PARLEY_NATS_URL: testNatsUrl(),
      PARLEY_NATS_PREFIX: stack.namespace,
      PARLEY_INSTANCE_ID: 'push-1',
      PARLEY_LOG_LEVEL: 'silent',
      DATABASE_URL: pushDb.url,
      WEB_PUSH_VAPID_PUBLIC_KEY: vapid.publicKey,
      WEB_PUSH_VAPID_PRIVATE_KEY: vapid.privateKey,
      WEB_PUSH_VAPID_SUBJECT: 'mailto:ops@parley.test',
      WEB_PUSH_ALLOWED_HOSTS: 'push.example.test',
    }),
    { shutdownHooks: false },
  );
});
afterAll(async () => {
  await push.close();
  await stack.close();
  await pushDb.drop();
});

async function registrations(userId: string): Promise<{ device_id: string; endpoint: string }[]> {
  const client = new Client({ connectionString: pushDb.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ device_id: string; endpoint: string }>(
      `SELECT device_id::text, endpoint FROM push_notification.push_registrations
       WHERE user_id = $1 ORDER BY provider`,
      [userId],
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('PUT/DELETE /v1/push', () => {
  it("registers and replaces the authenticated device's endpoint, then removes it", async () => {
    const alice = new TestDevice(newUser(), 3);
    await alice.register(stack.url);
    const before = Date.now();
    const put = await http(stack.url, 'PUT', '/v1/push', {
      token: alice.token!,
      body: webPushBody('a1'),
    });
    expect(put.status).toBe(200);
    expect(put.body.registeredAt).toBeGreaterThanOrEqual(before - 1000);
    const again = await http(stack.url, 'PUT', '/v1/push', {
      token: alice.token!,
      body: webPushBody('a2'),
    });
    expect(again.status).toBe(200);
    expect(await registrations(alice.userId)).toEqual([
      { device_id: '3', endpoint: 'https://push.example.test/send/a2' },
    ]);

    const del = await http(stack.url, 'DELETE', '/v1/push?provider=webpush', {
      token: alice.token!,
    });
    expect(del).toMatchObject({ status: 200, body: { removed: 1 } });
    const none = await http(stack.url, 'DELETE', '/v1/push', { token: alice.token! });
    expect(none).toMatchObject({ status: 200, body: { removed: 0 } });
    expect(await registrations(alice.userId)).toEqual([]);
  });

  it('never registers for another device than the token says', async () => {
    const bob = new TestDevice(newUser(), 1);
    await bob.register(stack.url);
    const res = await http(stack.url, 'PUT', '/v1/push', {
      token: bob.token!,
      body: { ...webPushBody('b1'), device: { userId: 'mallory', deviceId: 9 } },
    });
    expect(res.status).toBe(200);
    expect(await registrations(bob.userId)).toHaveLength(1);
    expect(await registrations('mallory')).toEqual([]);
  });

  it('answers 401 without a token, 400 for bad bodies and queries, 409 for an unconfigured provider', async () => {
    const carol = new TestDevice(newUser(), 1);
    await carol.register(stack.url);
    expect((await http(stack.url, 'PUT', '/v1/push', { body: webPushBody('c0') })).status).toBe(
      401,
    );
    expect((await http(stack.url, 'DELETE', '/v1/push')).status).toBe(401);

    const insecure = await http(stack.url, 'PUT', '/v1/push', {
      token: carol.token!,
      body: { ...webPushBody('c1'), endpoint: 'http://push.example.test/send/c1' },
    });
    expect(insecure.status).toBe(400);
    expect(insecure.body.error.code).toBe('VALIDATION_FAILED');
    const unknown = await http(stack.url, 'PUT', '/v1/push', {
      token: carol.token!,
      body: { provider: 'carrier-pigeon', token: 'x' },
    });
    expect(unknown.status).toBe(400);
    const badQuery = await http(stack.url, 'DELETE', '/v1/push?provider=pigeon', {
      token: carol.token!,
    });
    expect(badQuery.status).toBe(400);

    const fcm = await http(stack.url, 'PUT', '/v1/push', {
      token: carol.token!,
      body: { provider: 'fcm', token: 'fcm-token-1' },
    });
    expect(fcm.status).toBe(409);
    expect(fcm.body.error).toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'provider-not-configured' },
    });
  });
});
