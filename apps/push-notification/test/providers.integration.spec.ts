/**
 * The three provider adapters against local fakes of their services: what goes over the
 * wire (headers, credentials, body) and how each answer maps to a typed result. Web Push
 * payloads are decrypted as the browser would and must say nothing but "wake up".
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { generateVAPIDKeys } from 'web-push';
import { ApnsProvider } from '../src/providers/apns.provider';
import { FcmProvider } from '../src/providers/fcm.provider';
import { signJwt } from '../src/providers/provider-token';
import type { EndpointOf } from '../src/providers/push-provider';
import { WAKE_UP } from '../src/providers/push-provider';
import { WebPushProvider } from '../src/providers/web-push.provider';
import type { FakeApns, FakeFcm } from './support/provider-fakes';
import { fcmError, startFakeApns, startFakeFcm, verifyJwt } from './support/provider-fakes';
import type { WebPushEndpoint } from './support/web-push-endpoint';
import { startWebPushEndpoint } from './support/web-push-endpoint';

const APNS_TOKEN = 'ab'.repeat(32);
const common = { ttlSeconds: 3600, timeoutMs: 3000 };

describe('Web Push provider (RFC 8030/8291/8292)', () => {
  const vapid = generateVAPIDKeys();
  let service: WebPushEndpoint;
  let provider: WebPushProvider;

  beforeAll(async () => {
    service = await startWebPushEndpoint(vapid.publicKey);
    provider = new WebPushProvider({
      ...common,
      vapidPublicKey: vapid.publicKey,
      vapidPrivateKey: vapid.privateKey,
      subject: 'mailto:ops@parley.test',
      caCerts: service.caCert,
      allowedHosts: ['127.0.0.1'],
    });
  });
  afterAll(async () => {
    await provider.close();
    await service.close();
  });

  const endpointOf = (sub: ReturnType<WebPushEndpoint['subscribe']>): EndpointOf<'webpush'> => ({
    provider: 'webpush',
    endpoint: sub.endpoint,
    keys: sub.keys,
  });

  it('delivers a payload that decrypts (aes128gcm) to a content-free wake-up, with a valid VAPID JWT', async () => {
    const sub = service.subscribe();
    await expect(provider.send(endpointOf(sub), WAKE_UP)).resolves.toEqual({ kind: 'delivered' });
    expect(service.refused).toEqual([]);
    const [push] = service.pushesTo(sub);
    expect(push).toBeDefined();
    // Nothing but the wake-up: no sender, no message id, no content.
    expect(JSON.parse(push!.plaintext)).toEqual({ type: 'wakeup', v: 1 });
    expect(push!.vapid.claims).toMatchObject({
      aud: service.origin,
      sub: 'mailto:ops@parley.test',
    });
    expect(push!.headers).toMatchObject({
      'content-encoding': 'aes128gcm',
      ttl: '3600',
      urgency: 'high',
      topic: 'parley-wakeup',
    });
  });

  it('encrypts each push afresh (new salt and sender key)', async () => {
    const sub = service.subscribe();
    await provider.send(endpointOf(sub), WAKE_UP);
    await provider.send(endpointOf(sub), WAKE_UP);
    const [a, b] = service.pushesTo(sub);
    expect(a!.body.subarray(0, 16).equals(b!.body.subarray(0, 16))).toBe(false);
    expect(a!.plaintext).toBe(b!.plaintext);
  });

  it.each([
    [410, 'endpoint-gone'],
    [404, 'endpoint-gone'],
    [429, 'retryable'],
    [503, 'retryable'],
    [400, 'rejected'],
    [413, 'rejected'],
  ])('maps HTTP %i to %s', async (status, kind) => {
    const sub = service.subscribe();
    service.answer(sub, status, status === 429 ? { 'retry-after': '7' } : {});
    const result = await provider.send(endpointOf(sub), WAKE_UP);
    expect(result.kind).toBe(kind);
    if (status === 429) expect(result).toMatchObject({ retryAfterMs: 7000 });
  });

  it('calls an unreachable push service retryable', async () => {
    const sub = service.subscribe();
    const result = await provider.send(
      { ...endpointOf(sub), endpoint: 'https://127.0.0.1:1/push/nothing' },
      WAKE_UP,
    );
    expect(result.kind).toBe('retryable');
  });

  it('sends nothing to a host off the allowed list (no SSRF through client-given URLs)', async () => {
    const onlyBrowsers = new WebPushProvider({
      ...common,
      vapidPublicKey: vapid.publicKey,
      vapidPrivateKey: vapid.privateKey,
      subject: 'mailto:ops@parley.test',
      caCerts: service.caCert,
      allowedHosts: ['fcm.googleapis.com', '*.notify.windows.com'],
    });
    try {
      const sub = service.subscribe();
      expect(await onlyBrowsers.send(endpointOf(sub), WAKE_UP)).toEqual({
        kind: 'rejected',
        reason: 'push service host not allowed',
      });
      expect(service.pushesTo(sub)).toEqual([]);
      expect(onlyBrowsers.allows('https://wns2-par02p.notify.windows.com/w/?token=x')).toBe(true);
      expect(onlyBrowsers.allows('https://notify.windows.com.evil.test/w')).toBe(false);
      expect(onlyBrowsers.allows('https://fcm.googleapis.com/fcm/send/abc')).toBe(true);
      expect(onlyBrowsers.allows('https://fcm.googleapis.com.evil.test/x')).toBe(false);
    } finally {
      await onlyBrowsers.close();
    }
  });

  it('refuses a push service whose certificate is not trusted', async () => {
    const untrusting = new WebPushProvider({
      ...common,
      vapidPublicKey: vapid.publicKey,
      vapidPrivateKey: vapid.privateKey,
      subject: 'mailto:ops@parley.test',
      allowedHosts: ['127.0.0.1'],
    });
    try {
      const sub = service.subscribe();
      expect((await untrusting.send(endpointOf(sub), WAKE_UP)).kind).toBe('retryable');
      expect(service.pushesTo(sub)).toEqual([]);
    } finally {
      await untrusting.close();
    }
  });
});

describe('APNs provider (HTTP/2, ES256 provider token)', () => {
  let apns: FakeApns;
  let sandbox: FakeApns;
  let provider: ApnsProvider;

  beforeAll(async () => {
    [apns, sandbox] = await Promise.all([startFakeApns(), startFakeApns()]);
    provider = new ApnsProvider({
      ...common,
      keyId: 'KEYID12345',
      teamId: 'TEAMID1234',
      privateKey: apns.keyPem,
      productionUrl: apns.url,
      sandboxUrl: sandbox.url,
    });
  });
  afterAll(async () => {
    await provider.close();
    await Promise.all([apns.close(), sandbox.close()]);
  });
  afterEach(() => {
    apns.script(undefined);
  });

  const endpoint: EndpointOf<'apns'> = {
    provider: 'apns',
    token: APNS_TOKEN,
    topic: 'chat.parley.app',
    environment: 'production',
  };

  it('POSTs /3/device/<token> with a verifiable ES256 bearer token and a background wake-up', async () => {
    const before = Math.floor(Date.now() / 1000);
    await expect(provider.send(endpoint, WAKE_UP)).resolves.toEqual({ kind: 'delivered' });
    const req = apns.requests.at(-1)!;
    expect(req.path).toBe(`/3/device/${APNS_TOKEN}`);
    expect(req.headers[':method']).toBe('POST');
    expect(req.headers).toMatchObject({
      'apns-topic': 'chat.parley.app',
      'apns-push-type': 'background',
      'apns-priority': '5',
      'apns-collapse-id': 'parley-wakeup',
    });
    expect(Number(req.headers['apns-expiration'])).toBeGreaterThanOrEqual(before + 3600);
    const jwt = /^bearer (.+)$/.exec(String(req.headers.authorization))![1]!;
    const { header, claims } = verifyJwt(jwt, apns.publicKey, 'ES256');
    expect(header).toMatchObject({ alg: 'ES256', kid: 'KEYID12345' });
    expect(claims['iss']).toBe('TEAMID1234');
    expect(Number(claims['iat'])).toBeGreaterThanOrEqual(before - 1);
    expect(JSON.parse(req.body)).toEqual({
      aps: { 'content-available': 1 },
      parley: { type: 'wakeup', v: 1 },
    });
  });

  it('reuses one provider token and one HTTP/2 connection', async () => {
    const n = apns.requests.length;
    await Promise.all([provider.send(endpoint, WAKE_UP), provider.send(endpoint, WAKE_UP)]);
    const tokens = new Set(apns.requests.slice(n - 1).map((r) => r.headers.authorization));
    expect(tokens.size).toBe(1);
  });

  it('sends sandbox registrations to the sandbox host', async () => {
    await provider.send({ ...endpoint, environment: 'sandbox' }, WAKE_UP);
    expect(sandbox.requests).toHaveLength(1);
  });

  it.each([
    [410, 'Unregistered', 'endpoint-gone'],
    [404, undefined, 'endpoint-gone'],
    [400, 'BadDeviceToken', 'endpoint-gone'],
    [400, 'DeviceTokenNotForTopic', 'endpoint-gone'],
    [400, 'PayloadTooLarge', 'rejected'],
    [403, 'InvalidProviderToken', 'rejected'],
    [403, 'ExpiredProviderToken', 'retryable'],
    [429, 'TooManyRequests', 'retryable'],
    [500, 'InternalServerError', 'retryable'],
    [503, 'ServiceUnavailable', 'retryable'],
  ])('maps %i %s to %s', async (status, reason, kind) => {
    apns.script(() => ({ status, ...(reason ? { body: { reason } } : {}) }));
    const result = await provider.send(endpoint, WAKE_UP);
    expect(result.kind).toBe(kind);
    if (reason) expect(result).toMatchObject({ reason: `http ${status} ${reason}` });
  });

  it('signs a new provider token after APNs says the old one expired', async () => {
    let now = Date.now();
    const clocked = new ApnsProvider({
      ...common,
      keyId: 'KEYID12345',
      teamId: 'TEAMID1234',
      privateKey: apns.keyPem,
      productionUrl: apns.url,
      sandboxUrl: sandbox.url,
      now: () => now,
    });
    try {
      apns.script(() => ({ status: 403, body: { reason: 'ExpiredProviderToken' } }));
      expect((await clocked.send(endpoint, WAKE_UP)).kind).toBe('retryable');
      const first = apns.requests.at(-1)!.headers.authorization;
      apns.script(undefined);
      now += 2000;
      expect((await clocked.send(endpoint, WAKE_UP)).kind).toBe('delivered');
      expect(apns.requests.at(-1)!.headers.authorization).not.toBe(first);
    } finally {
      await clocked.close();
    }
  });

  it('calls an unreachable APNs host retryable', async () => {
    const down = new ApnsProvider({
      ...common,
      keyId: 'KEYID12345',
      teamId: 'TEAMID1234',
      privateKey: apns.keyPem,
      productionUrl: 'http://127.0.0.1:1',
      sandboxUrl: 'http://127.0.0.1:1',
    });
    try {
      expect((await down.send(endpoint, WAKE_UP)).kind).toBe('retryable');
    } finally {
      await down.close();
    }
  });
});

describe('FCM provider (HTTP v1, OAuth 2.0 service account)', () => {
  const projectId = 'parley-test';
  let fcm: FakeFcm;
  let provider: FcmProvider;

  beforeAll(async () => {
    fcm = await startFakeFcm(projectId);
    provider = new FcmProvider({
      ...common,
      projectId,
      clientEmail: fcm.clientEmail,
      privateKey: fcm.keyPem,
      baseUrl: fcm.url,
      tokenUrl: fcm.tokenUrl,
    });
  });
  afterAll(async () => {
    await fcm.close();
  });
  afterEach(() => {
    fcm.script(undefined);
  });

  const endpoint: EndpointOf<'fcm'> = { provider: 'fcm', token: 'fcm-token_abc:123' };

  it('exchanges a signed assertion for a token and sends a data-only wake-up with it', async () => {
    await expect(provider.send(endpoint, WAKE_UP)).resolves.toEqual({ kind: 'delivered' });
    expect(fcm.tokenRequests).toHaveLength(1);
    const send = fcm.sends.at(-1)!;
    expect(send.path).toBe(`/v1/projects/${projectId}/messages:send`);
    expect(send.headers.authorization).toBe(`Bearer ${fcm.accessTokens[0]!}`);
    expect(send.headers['content-type']).toMatch(/^application\/json/);
    const { message } = JSON.parse(send.body) as { message: Record<string, unknown> };
    expect(message['token']).toBe(endpoint.token);
    expect(message['data']).toEqual({ type: 'wakeup', v: '1' });
    expect(message['notification']).toBeUndefined();
    expect(message['android']).toMatchObject({
      priority: 'high',
      collapse_key: 'parley-wakeup',
      ttl: '3600s',
    });
  });

  it('shares one token request among concurrent first sends', async () => {
    const fresh = new FcmProvider({
      ...common,
      projectId,
      clientEmail: fcm.clientEmail,
      privateKey: fcm.keyPem,
      baseUrl: fcm.url,
      tokenUrl: fcm.tokenUrl,
    });
    const before = fcm.tokenRequests.length;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => fresh.send(endpoint, WAKE_UP)),
    );
    expect(results.every((r) => r.kind === 'delivered')).toBe(true);
    expect(fcm.tokenRequests.length).toBe(before + 1);
  });

  it('reuses the access token until it expires', async () => {
    const before = fcm.tokenRequests.length;
    await provider.send(endpoint, WAKE_UP);
    await provider.send(endpoint, WAKE_UP);
    expect(fcm.tokenRequests.length).toBe(before);
  });

  it.each([
    ['404 UNREGISTERED', fcmError(404, 'NOT_FOUND', 'UNREGISTERED'), 'endpoint-gone'],
    [
      '403 SENDER_ID_MISMATCH',
      fcmError(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH'),
      'endpoint-gone',
    ],
    ['400 INVALID_ARGUMENT', fcmError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'), 'rejected'],
    ['429 QUOTA_EXCEEDED', fcmError(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'), 'retryable'],
    ['503 UNAVAILABLE', fcmError(503, 'UNAVAILABLE', 'UNAVAILABLE'), 'retryable'],
    ['500 INTERNAL', fcmError(500, 'INTERNAL', 'INTERNAL'), 'retryable'],
  ])('maps %s to %s', async (_, answer, kind) => {
    fcm.script(() => ({ ...answer, headers: { 'retry-after': '3' } }));
    const result = await provider.send(endpoint, WAKE_UP);
    expect(result.kind).toBe(kind);
    if (kind === 'retryable') expect(result).toMatchObject({ retryAfterMs: 3000 });
  });

  it('gets a new access token after a 401 and succeeds with it', async () => {
    fcm.script(() => ({ status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } }));
    expect((await provider.send(endpoint, WAKE_UP)).kind).toBe('retryable');
    fcm.script(undefined);
    const tokensBefore = fcm.tokenRequests.length;
    expect((await provider.send(endpoint, WAKE_UP)).kind).toBe('delivered');
    expect(fcm.tokenRequests.length).toBe(tokensBefore + 1);
    expect(fcm.sends.at(-1)!.headers.authorization).toBe(`Bearer ${fcm.accessTokens.at(-1)!}`);
  });

  it('calls a refused service-account key retryable (no send without a token)', async () => {
    const other = new FcmProvider({
      ...common,
      projectId,
      clientEmail: 'someone-else@parley-test.iam.gserviceaccount.com',
      privateKey: fcm.keyPem,
      baseUrl: fcm.url,
      tokenUrl: fcm.tokenUrl,
    });
    const sends = fcm.sends.length;
    expect(await other.send(endpoint, WAKE_UP)).toMatchObject({
      kind: 'retryable',
      reason: 'oauth: token endpoint answered 400',
    });
    expect(fcm.sends.length).toBe(sends);
  });

  it('the fake really checks signatures (an assertion by another key does not verify)', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = signJwt('RS256', other, { iss: fcm.clientEmail });
    expect(() => verifyJwt(forged, fcm.publicKey, 'RS256')).toThrow('signature does not verify');
    expect(
      verifyJwt(signJwt('RS256', createPrivateKey(fcm.keyPem), { a: 1 }), fcm.publicKey, 'RS256')
        .claims,
    ).toEqual({ a: 1 });
  });
});
