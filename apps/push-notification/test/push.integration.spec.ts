/**
 * The service against real PostgreSQL and NATS, with the providers' fakes: registrations
 * over NATS, and wake-ups from `stored-for-offline-device` events (content-free, one per
 * coalescing window, endpoint-gone and transient failures handled, nothing lost while the
 * service is down).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceAddress, ParleyError } from '@parley/contracts';
import { Rpc } from '@parley/contracts';
import type { Harness } from './support/harness';
import { device, startHarness, waitFor } from './support/harness';

const P = Rpc.push;
// Wide enough that a burst is handled inside it even on a loaded CI machine.
const WINDOW_MS = 5000;
const APNS_TOKEN = 'cd'.repeat(32);

async function failure(p: Promise<unknown>): Promise<ParleyError> {
  try {
    await p;
  } catch (error) {
    return error as ParleyError;
  }
  throw new Error('expected a failure');
}

describe('push-notification over NATS', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('push', { PUSH_COALESCE_WINDOW_MS: String(WINDOW_MS) });
  });
  afterAll(async () => {
    await h.close();
  });

  const rows = (dev: DeviceAddress) =>
    h.sql<{ provider: string; endpoint: string; failure_count: number; last_push_at: Date | null }>(
      `SELECT provider, endpoint, failure_count, last_push_at
       FROM push_notification.push_registrations
       WHERE user_id = $1 AND device_id = $2 ORDER BY provider`,
      [dev.userId, dev.deviceId],
    );

  describe('registrations', () => {
    it('registers, replaces on re-register (one per device and provider) and unregisters', async () => {
      const dev = device('reg');
      const first = h.webPush.subscribe();
      const before = Date.now();
      const reply = await h.call(P.register, {
        device: dev,
        endpoint: { provider: 'webpush', endpoint: first.endpoint, keys: first.keys },
      });
      expect(reply.registeredAt).toBeGreaterThanOrEqual(before - 1000);

      const second = h.webPush.subscribe();
      await h.call(P.register, {
        device: dev,
        endpoint: { provider: 'webpush', endpoint: second.endpoint, keys: second.keys },
      });
      await h.call(P.register, { device: dev, endpoint: { provider: 'fcm', token: 'fcm-1' } });
      expect((await rows(dev)).map((r) => [r.provider, r.endpoint])).toEqual([
        ['webpush', second.endpoint],
        ['fcm', 'fcm-1'],
      ]);

      await expect(h.call(P.unregister, { device: dev, provider: 'fcm' })).resolves.toEqual({
        removed: 1,
      });
      await h.call(P.register, {
        device: dev,
        endpoint: {
          provider: 'apns',
          token: APNS_TOKEN,
          topic: 'chat.parley.app',
          environment: 'sandbox',
        },
      });
      await expect(h.call(P.unregister, { device: dev })).resolves.toEqual({ removed: 2 });
      await expect(h.call(P.unregister, { device: dev })).resolves.toEqual({ removed: 0 });
      expect(await rows(dev)).toEqual([]);
    });

    it('refuses malformed endpoints with VALIDATION_FAILED', async () => {
      const dev = device('bad');
      const sub = h.webPush.subscribe();
      const error = await failure(
        h.call(P.register, {
          device: dev,
          endpoint: {
            provider: 'webpush',
            endpoint: sub.endpoint.replace('https:', 'http:'),
            keys: sub.keys,
          },
        }),
      );
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(await rows(dev)).toEqual([]);
    });

    it('refuses Web Push endpoints on hosts that are not allowed push services', async () => {
      const dev = device('ssrf');
      const sub = h.webPush.subscribe();
      const error = await failure(
        h.call(P.register, {
          device: dev,
          endpoint: { provider: 'webpush', endpoint: 'https://10.0.0.5/admin', keys: sub.keys },
        }),
      );
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toContain('endpoint.endpoint');
      expect(await rows(dev)).toEqual([]);
    });
  });

  describe('wake-ups', () => {
    it('wakes an offline device with a content-free Web Push', async () => {
      const dev = device('wake');
      const sub = await h.subscribeWebPush(dev);
      await h.publishOffline(dev, 'secret-message-id-1');
      const [push] = await waitFor(
        () => (h.webPush.pushesTo(sub).length > 0 ? h.webPush.pushesTo(sub) : undefined),
        'the push',
      );
      expect(JSON.parse(push!.plaintext)).toEqual({ type: 'wakeup', v: 1 });
      // Neither the message nor the device is named anywhere in what the push service sees.
      const wire = `${push!.plaintext}${JSON.stringify(push!.headers)}`;
      expect(wire).not.toContain('secret-message-id-1');
      expect(wire).not.toContain(dev.userId);
      await h.drained();
      expect((await rows(dev))[0]!.last_push_at).not.toBeNull();
    });

    it('pushes every provider the device registered', async () => {
      const dev = device('multi');
      const sub = await h.subscribeWebPush(dev);
      const token = 'ef'.repeat(32);
      await h.call(P.register, {
        device: dev,
        endpoint: { provider: 'apns', token, topic: 'chat.parley.app', environment: 'production' },
      });
      await h.call(P.register, {
        device: dev,
        endpoint: { provider: 'fcm', token: `fcm-${dev.userId}` },
      });
      await h.publishOffline(dev);
      await h.drained();
      expect(h.webPush.pushesTo(sub)).toHaveLength(1);
      expect(h.apns.requests.filter((r) => r.path === `/3/device/${token}`)).toHaveLength(1);
      expect(h.fcm.sends.filter((r) => r.body.includes(`fcm-${dev.userId}`))).toHaveLength(1);
    });

    it('acks events for devices without a registration and pushes nothing', async () => {
      const pushesBefore = h.webPush.received.length + h.apns.requests.length + h.fcm.sends.length;
      await h.publishOffline(device('nobody'));
      await h.drained();
      expect(h.webPush.received.length + h.apns.requests.length + h.fcm.sends.length).toBe(
        pushesBefore,
      );
    });

    it('coalesces a burst of 50 into one push, and pushes again after the window', async () => {
      const dev = device('burst');
      const sub = await h.subscribeWebPush(dev);
      await Promise.all(Array.from({ length: 50 }, () => h.publishOffline(dev)));
      await h.drained();
      expect(h.webPush.pushesTo(sub)).toHaveLength(1);
      const firstAt = (await rows(dev))[0]!.last_push_at!.getTime();

      // Still inside the window: dropped.
      await h.publishOffline(dev);
      await h.drained();
      expect(h.webPush.pushesTo(sub)).toHaveLength(1);

      await sleep(Math.max(0, firstAt + WINDOW_MS + 100 - Date.now()));
      await h.publishOffline(dev);
      await waitFor(
        () => (h.webPush.pushesTo(sub).length === 2 ? true : undefined),
        'a second push',
      );
      await h.drained();
      expect(h.webPush.pushesTo(sub)).toHaveLength(2);
    });

    it('pushes to several devices at once, so a slow push service holds up no other device', async () => {
      const devices = Array.from({ length: 8 }, (_, i) => device(`slow${i}`));
      for (const dev of devices) {
        await h.call(P.register, {
          device: dev,
          endpoint: { provider: 'fcm', token: `slow-${dev.userId}` },
        });
      }
      h.fcm.script(() => ({ status: 200, body: { name: 'ok' }, delayMs: 300 }));
      try {
        const started = Date.now();
        await Promise.all(devices.map((dev) => h.publishOffline(dev)));
        await waitFor(
          () =>
            h.fcm.sends.filter((r) => r.body.includes('slow-')).length === 8 ? true : undefined,
          'the slow pushes',
        );
        await h.drained();
        // One after another would take 8 x 300 ms.
        expect(h.fcm.maxConcurrentSends()).toBeGreaterThan(1);
        expect(Date.now() - started).toBeLessThan(8 * 300);
      } finally {
        h.fcm.script(undefined);
      }
    });

    it('skips events older than the push TTL (a replayed stream wakes nobody)', async () => {
      const dev = device('stale');
      const sub = await h.subscribeWebPush(dev);
      await h.publishOffline(dev, undefined, Date.now() - 25 * 3600 * 1000);
      await h.drained();
      expect(h.webPush.pushesTo(sub)).toHaveLength(0);
      expect((await rows(dev))[0]!.last_push_at).toBeNull();
    });

    it('coalesces across instances sharing the consumer: one push for a burst', async () => {
      const extra = await h.startExtra('push-2');
      try {
        const dev = device('shared');
        const sub = await h.subscribeWebPush(dev);
        await Promise.all(Array.from({ length: 40 }, () => h.publishOffline(dev)));
        await h.drained();
        expect(h.webPush.pushesTo(sub)).toHaveLength(1);
      } finally {
        await extra.close();
      }
    });

    it('drops a registration whose endpoint is gone (410) and acks the event', async () => {
      const dev = device('gone');
      const sub = await h.subscribeWebPush(dev);
      h.webPush.answer(sub, 410);
      await h.publishOffline(dev);
      await h.drained();
      expect(await rows(dev)).toEqual([]);
    });

    it('drops an APNs registration on 410 Unregistered and an FCM one on 404 UNREGISTERED', async () => {
      const dev = device('gone2');
      const token = '12'.repeat(32);
      await h.call(P.register, {
        device: dev,
        endpoint: { provider: 'apns', token, topic: 'chat.parley.app', environment: 'production' },
      });
      await h.call(P.register, {
        device: dev,
        endpoint: { provider: 'fcm', token: `gone-${dev.userId}` },
      });
      h.apns.script((req) =>
        req.path.endsWith(token)
          ? { status: 410, body: { reason: 'Unregistered' } }
          : { status: 200 },
      );
      h.fcm.script((req) =>
        req.body.includes(`gone-${dev.userId}`)
          ? {
              status: 404,
              body: {
                error: { code: 404, status: 'NOT_FOUND', details: [{ errorCode: 'UNREGISTERED' }] },
              },
            }
          : { status: 200, body: { name: 'x' } },
      );
      try {
        await h.publishOffline(dev);
        await h.drained();
        expect(await rows(dev)).toEqual([]);
      } finally {
        h.apns.script(undefined);
        h.fcm.script(undefined);
      }
    });

    it('retries a transient failure: the event comes back and the push goes out', async () => {
      const dev = device('retry');
      const token = `retry-${dev.userId}`;
      await h.call(P.register, { device: dev, endpoint: { provider: 'fcm', token } });
      let calls = 0;
      h.fcm.script((req) => {
        if (!req.body.includes(token)) return { status: 200, body: { name: 'x' } };
        calls++;
        return calls === 1
          ? { status: 503, body: { error: { code: 503, status: 'UNAVAILABLE' } } }
          : { status: 200, body: { name: 'ok' } };
      });
      try {
        await h.publishOffline(dev);
        await waitFor(() => (calls >= 2 ? true : undefined), 'the retried push');
        await h.drained();
        expect(calls).toBe(2);
        const [row] = await rows(dev);
        expect(row!.last_push_at).not.toBeNull();
        expect(row!.failure_count).toBe(0);
      } finally {
        h.fcm.script(undefined);
      }
    });

    it("waits for the push service's Retry-After before the event comes back", async () => {
      const dev = device('later');
      const token = `later-${dev.userId}`;
      await h.call(P.register, { device: dev, endpoint: { provider: 'fcm', token } });
      const at: number[] = [];
      h.fcm.script((req) => {
        if (!req.body.includes(token)) return { status: 200, body: { name: 'x' } };
        at.push(Date.now());
        return at.length === 1
          ? { status: 429, body: { error: { code: 429 } }, headers: { 'retry-after': '1' } }
          : { status: 200, body: { name: 'ok' } };
      });
      try {
        await h.publishOffline(dev);
        await waitFor(() => (at.length >= 2 ? true : undefined), 'the retried push');
        // PUSH_RETRY_DELAY_MS is 200 ms here; the service asked for 1 s.
        expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(900);
        await h.drained();
      } finally {
        h.fcm.script(undefined);
      }
    });

    it('counts a rejected push, keeps the registration and acks the event', async () => {
      const dev = device('rejected');
      const token = `rejected-${dev.userId}`;
      await h.call(P.register, { device: dev, endpoint: { provider: 'fcm', token } });
      h.fcm.script((req) =>
        req.body.includes(token)
          ? { status: 400, body: { error: { code: 400, status: 'INVALID_ARGUMENT' } } }
          : { status: 200, body: { name: 'x' } },
      );
      try {
        await h.publishOffline(dev);
        await h.drained();
        expect((await rows(dev))[0]!.failure_count).toBe(1);
      } finally {
        h.fcm.script(undefined);
      }
    });
  });

  describe('logs', () => {
    it('name outcomes but never a token, an endpoint path, a subscription key or a credential', async () => {
      const dev = device('logs');
      const sub = await h.subscribeWebPush(dev);
      const apnsToken = 'a1b2c3d4'.repeat(8);
      const fcmToken = `fcm-secret-${dev.userId}`;
      await h.call(P.register, {
        device: dev,
        endpoint: {
          provider: 'apns',
          token: apnsToken,
          topic: 'chat.parley.app',
          environment: 'production',
        },
      });
      await h.call(P.register, { device: dev, endpoint: { provider: 'fcm', token: fcmToken } });
      h.apns.script(() => ({ status: 410, body: { reason: 'Unregistered' } }));
      try {
        await h.publishOffline(dev);
        await h.drained();
      } finally {
        h.apns.script(undefined);
      }
      const logs = h.logs();
      expect(logs).toContain('wake-up pushed');
      expect(logs).toContain('push endpoint gone: registration removed');
      const secrets = [
        apnsToken,
        fcmToken,
        sub.endpoint,
        sub.endpoint.slice(sub.endpoint.lastIndexOf('/') + 1),
        sub.keys.p256dh,
        sub.keys.auth,
        h.env['WEB_PUSH_VAPID_PRIVATE_KEY']!,
        ...h.fcm.accessTokens,
        'PRIVATE KEY',
      ];
      for (const secret of secrets) expect(logs).not.toContain(secret);
    });
  });

  describe('restart', () => {
    it('loses no event while the service is down: pushes go out when it is back', async () => {
      const a = device('down-a');
      const b = device('down-b');
      const subA = await h.subscribeWebPush(a);
      const subB = await h.subscribeWebPush(b);
      await h.stop();
      await h.publishOffline(a);
      await h.publishOffline(a);
      await h.publishOffline(a);
      await h.publishOffline(b);
      await sleep(300);
      expect(h.webPush.pushesTo(subA)).toHaveLength(0);

      await h.start();
      await waitFor(
        () =>
          h.webPush.pushesTo(subA).length === 1 && h.webPush.pushesTo(subB).length === 1
            ? true
            : undefined,
        'the pushes after restart',
      );
      await h.drained();
      // The three events of device a were coalesced into one wake-up.
      expect(h.webPush.pushesTo(subA)).toHaveLength(1);
      expect(h.webPush.pushesTo(subB)).toHaveLength(1);
    });
  });
});

describe('push-notification with a provider left unconfigured, and an HTTP port', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('push-noapns', {
      APNS_KEY_ID: '',
      APNS_TEAM_ID: '',
      APNS_PRIVATE_KEY: '',
      PARLEY_HTTP_PORT: '0',
    });
  });

  it('counts push results by provider and result in /metrics', async () => {
    const dev = device('metrics');
    const sub = await h.subscribeWebPush(dev);
    await h.publishOffline(dev);
    await h.drained();
    expect(h.webPush.pushesTo(sub)).toHaveLength(1);
    const text = await (await fetch(`${h.service!.httpUrl!}/metrics`)).text();
    expect(text).toMatch(
      /parley_push_results_total\{provider="webpush",result="delivered"\} [1-9]/,
    );
  });

  it('answers the readiness probe with its database check', async () => {
    const res = await fetch(`${h.service!.httpUrl!}/health/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', checks: { database: 'ok' } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses registrations for it with CONFLICT provider-not-configured', async () => {
    const error = await failure(
      h.call(P.register, {
        device: device('noapns'),
        endpoint: {
          provider: 'apns',
          token: APNS_TOKEN,
          topic: 'chat.parley.app',
          environment: 'production',
        },
      }),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ reason: 'provider-not-configured' });
  });
});
