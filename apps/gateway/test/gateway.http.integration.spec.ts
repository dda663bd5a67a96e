/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- HTTP bodies are untyped JSON that the assertions inspect */
/**
 * The gateway's HTTP API end to end: real gateway, real prekey directory, real PostgreSQL
 * and NATS, real keys from libs/protocol.
 */
import { base64ToBytes, bytesToBase64 } from '@parley/contracts';
import {
  generateSignedPreKey,
  publicSignedPreKey,
  secureRandom,
  verifyPreKeyBundle,
} from '@parley/protocol';
import { Client } from 'pg';
import type { Stack } from './support/harness';
import { http, startStack } from './support/harness';
import { TestDevice } from './support/device';

let stack: Stack;
let seq = 0;
const newUser = () => `user-${process.pid}-${++seq}`;

beforeAll(async () => {
  stack = await startStack('gw-http');
});
afterAll(async () => {
  await stack.close();
});

async function directoryDeviceCount(userId: string): Promise<number> {
  const client = new Client({ connectionString: stack.directoryDb.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM prekey_directory.devices WHERE user_id = $1',
      [userId],
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

describe('register, authenticate, upload, fetch', () => {
  it('serves a bundle that verifies with the protocol, each one-time prekey once', async () => {
    const alice = new TestDevice(newUser(), 1);
    const reg = await alice.register(stack.url, 2);
    expect(reg.body).toMatchObject({ userId: alice.userId, deviceId: 1, oneTimePreKeyCount: 2 });

    // A fresh login through challenge + signature gives a second working token.
    const token = await alice.login(stack.url);
    const uploaded = await http(
      stack.url,
      'POST',
      `/v1/users/${alice.userId}/devices/1/one-time-prekeys`,
      {
        token,
        body: alice.uploadBody(alice.oneTimePreKeys(3)),
      },
    );
    expect(uploaded.status).toBe(200);
    // 2 at registration + 3 now: logging in spent no one-time prekey.
    expect(uploaded.body).toEqual({ stored: 3, total: 5 });

    const bob = new TestDevice(newUser(), 7);
    await bob.register(stack.url);
    const fetched = await http(stack.url, 'GET', `/v1/users/${alice.userId}/bundles`, {
      token: bob.token!,
    });
    expect(fetched.status).toBe(200);
    expect(fetched.body.userId).toBe(alice.userId);
    expect(fetched.body.bundles).toHaveLength(1);
    const wire = fetched.body.bundles[0];
    const bundle = {
      identityKey: base64ToBytes(wire.identityKey),
      signedPreKey: {
        id: wire.signedPreKey.id,
        publicKey: base64ToBytes(wire.signedPreKey.publicKey),
        signature: base64ToBytes(wire.signedPreKey.signature),
      },
      oneTimePreKey: {
        id: wire.oneTimePreKey.id,
        publicKey: base64ToBytes(wire.oneTimePreKey.publicKey),
      },
    };
    expect(bundle.identityKey).toEqual(alice.identity.publicKey);
    expect(() => {
      verifyPreKeyBundle(bundle);
    }).not.toThrow();

    const one = await http(stack.url, 'GET', `/v1/users/${alice.userId}/devices/1/bundle`, {
      token: bob.token!,
    });
    expect(one.status).toBe(200);
    expect(one.body.bundles[0].oneTimePreKey.id).not.toBe(wire.oneTimePreKey.id);

    const stock = await http(stack.url, 'GET', `/v1/users/${alice.userId}/devices/1/prekey-stock`, {
      token,
    });
    expect(stock.status).toBe(200);
    expect(stock.body.signedPreKeyId).toBe(1);
  });

  it('refuses a forged registration signature and stores nothing', async () => {
    const mallory = new TestDevice(newUser(), 1);
    const other = new TestDevice('x', 1);
    const nonce = await mallory.challenge(stack.url);
    const res = await http(stack.url, 'POST', '/v1/devices', {
      body: mallory.registrationBody(nonce, [], other.identity),
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    expect(await directoryDeviceCount(mallory.userId)).toBe(0);
    // The nonce was burned by the failed attempt: a correct signature with it fails too.
    const retry = await http(stack.url, 'POST', '/v1/devices', {
      body: mallory.registrationBody(nonce),
    });
    expect(retry.status).toBe(401);
    expect(await directoryDeviceCount(mallory.userId)).toBe(0);
  });

  it('refuses to register a taken device under another identity key (409), allows the same key again', async () => {
    const owner = new TestDevice(newUser(), 1);
    await owner.register(stack.url, 1);
    const squatter = new TestDevice(owner.userId, 1);
    const nonce = await squatter.challenge(stack.url);
    const taken = await http(stack.url, 'POST', '/v1/devices', {
      body: squatter.registrationBody(nonce),
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('CONFLICT');
    // Registering again with its own key is idempotent and yields a fresh token.
    const again = await owner.register(stack.url);
    expect(again.status).toBe(201);
    const bundle = await http(stack.url, 'GET', `/v1/users/${owner.userId}/bundles`, {
      token: owner.token!,
    });
    expect(Buffer.from(bundle.body.bundles[0].identityKey, 'base64')).toEqual(
      Buffer.from(owner.identity.publicKey),
    );
  });

  it('refuses a login signed by another key, and a replayed nonce', async () => {
    const carol = new TestDevice(newUser(), 2);
    await carol.register(stack.url);
    const thief = new TestDevice('thief', 1);
    const nonce = await carol.challenge(stack.url);
    const forged = await http(stack.url, 'POST', '/v1/auth/token', {
      body: carol.loginBody(nonce, thief.identity),
    });
    expect(forged.status).toBe(401);

    const nonce2 = await carol.challenge(stack.url);
    const ok = await http(stack.url, 'POST', '/v1/auth/token', { body: carol.loginBody(nonce2) });
    expect(ok.status).toBe(200);
    const replay = await http(stack.url, 'POST', '/v1/auth/token', {
      body: carol.loginBody(nonce2),
    });
    expect(replay.status).toBe(401);
  });

  it('rotates the own signed prekey; refuses a bad signature (400) and another device (403)', async () => {
    const hana = new TestDevice(newUser(), 1);
    const ivan = new TestDevice(newUser(), 1);
    await hana.register(stack.url, 1);
    await ivan.register(stack.url);
    const wire = (spk: ReturnType<typeof publicSignedPreKey>) => ({
      signedPreKey: {
        id: spk.id,
        publicKey: bytesToBase64(spk.publicKey),
        signature: bytesToBase64(spk.signature),
      },
    });
    const next = publicSignedPreKey(
      generateSignedPreKey(hana.identity, 2, secureRandom, Date.now()),
    );
    const path = `/v1/users/${hana.userId}/devices/1/signed-prekey`;

    const forged = publicSignedPreKey(
      generateSignedPreKey(ivan.identity, 3, secureRandom, Date.now()),
    );
    const bad = await http(stack.url, 'PUT', path, { token: hana.token!, body: wire(forged) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_SIGNATURE');
    const other = await http(stack.url, 'PUT', path, { token: ivan.token!, body: wire(next) });
    expect(other.status).toBe(403);

    const ok = await http(stack.url, 'PUT', path, { token: hana.token!, body: wire(next) });
    expect(ok.status).toBe(200);
    expect(ok.body.signedPreKeyId).toBe(2);
    const fetched = await http(stack.url, 'GET', `/v1/users/${hana.userId}/devices/1/bundle`, {
      token: ivan.token!,
    });
    expect(fetched.body.bundles[0].signedPreKey.id).toBe(2);
  });

  it('lets exactly one of two racing answers use a nonce', async () => {
    const jo = new TestDevice(newUser(), 1);
    await jo.register(stack.url);
    const nonce = await jo.challenge(stack.url);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        http(stack.url, 'POST', '/v1/auth/token', { body: jo.loginBody(nonce) }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401]);
  });

  it("forbids changing another device's keys (403)", async () => {
    const dave = new TestDevice(newUser(), 1);
    const eve = new TestDevice(newUser(), 1);
    await dave.register(stack.url);
    await eve.register(stack.url);
    const res = await http(
      stack.url,
      'POST',
      `/v1/users/${dave.userId}/devices/1/one-time-prekeys`,
      {
        token: eve.token!,
        body: eve.uploadBody(eve.oneTimePreKeys(1)),
      },
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    const ownUserOtherDevice = await http(
      stack.url,
      'GET',
      `/v1/users/${eve.userId}/devices/2/prekey-stock`,
      {
        token: eve.token!,
      },
    );
    expect(ownUserOtherDevice.status).toBe(403);
  });

  it('answers 401 without, with a bad or with an expired token', async () => {
    const frank = new TestDevice(newUser(), 1);
    await frank.register(stack.url);
    const path = `/v1/users/${frank.userId}/bundles`;
    expect((await http(stack.url, 'GET', path)).status).toBe(401);
    expect((await http(stack.url, 'GET', path, { token: 'A'.repeat(43) })).status).toBe(401);
    expect((await http(stack.url, 'GET', path, { token: 'not a token' })).status).toBe(401);

    const client = new Client({ connectionString: stack.gatewayDb.url });
    await client.connect();
    try {
      await client.query(
        "UPDATE gateway.device_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1",
        [frank.userId],
      );
    } finally {
      await client.end();
    }
    const expired = await http(stack.url, 'GET', path, { token: frank.token! });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('answers 400 for malformed JSON and invalid fields, 413 for an oversize body', async () => {
    const bad = await http(stack.url, 'POST', '/v1/auth/challenge', { rawBody: '{"userId": "a",' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');

    const wrongType = await http(stack.url, 'POST', '/v1/auth/challenge', {
      rawBody: 'userId=a&deviceId=1',
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe('VALIDATION_FAILED');

    const invalid = await http(stack.url, 'POST', '/v1/auth/challenge', {
      body: { userId: 'a.b', deviceId: 0 },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'deviceId',
      'userId',
    ]);

    const badKey = new TestDevice(newUser(), 1);
    const nonce = await badKey.challenge(stack.url);
    const body = badKey.registrationBody(nonce);
    const notBase64 = await http(stack.url, 'POST', '/v1/devices', {
      body: { ...body, identityKey: 'abc' },
    });
    expect(notBase64.status).toBe(400);

    const huge = await http(stack.url, 'POST', '/v1/auth/challenge', {
      rawBody: JSON.stringify({
        userId: 'a',
        deviceId: 1,
        pad: 'x'.repeat(stack.config.GATEWAY_BODY_LIMIT_BYTES),
      }),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 404 for an unknown user, device or route', async () => {
    const gina = new TestDevice(newUser(), 1);
    await gina.register(stack.url);
    const unknownUser = await http(stack.url, 'GET', '/v1/users/nobody-here/bundles', {
      token: gina.token!,
    });
    expect(unknownUser.status).toBe(404);
    expect(unknownUser.body.error.code).toBe('NOT_FOUND');
    const unknownDevice = await http(
      stack.url,
      'GET',
      `/v1/users/${gina.userId}/devices/99/bundle`,
      {
        token: gina.token!,
      },
    );
    expect(unknownDevice.status).toBe(404);
    const login = new TestDevice(newUser(), 1);
    const nonce = await login.challenge(stack.url);
    const unknownLogin = await http(stack.url, 'POST', '/v1/auth/token', {
      body: login.loginBody(nonce),
    });
    expect(unknownLogin.status).toBe(404);
    expect((await http(stack.url, 'GET', '/v1/nothing', { token: gina.token! })).status).toBe(404);
  });

  it('serves the OpenAPI document', async () => {
    const docs = await http(stack.url, 'GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.body.openapi).toMatch(/^3\./);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/auth/challenge',
        '/v1/auth/token',
        '/v1/devices',
        '/v1/users/{userId}/bundles',
        '/v1/users/{userId}/devices/{deviceId}/one-time-prekeys',
      ]),
    );
    expect((await http(stack.url, 'GET', '/docs-json')).status).toBe(200);
  });
});
