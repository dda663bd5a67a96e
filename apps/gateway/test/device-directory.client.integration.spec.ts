/**
 * DeviceDirectoryClient against contract-level responders on real NATS: the login path
 * asks `prekeys.getDevice` (no one-time prekey consumed) and falls back to a one-device
 * bundle fetch only while no directory answers getDevice. The real prekey-directory does
 * not serve getDevice yet, which is why this uses responders of its own.
 */
import { bytesToBase64, NotFoundError, Rpc } from '@parley/contracts';
import { createLogger, RpcClient, serveRpc } from '@parley/server-kit';
import type { BaseServiceConfig } from '@parley/server-kit';
import { testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { NatsConnection, Subscription } from 'nats';
import { connect } from 'nats';
import { DeviceDirectoryClient } from '../src/app/devices/device-directory.client';

const logger = createLogger({ service: 'gateway-test', instanceId: 't', level: 'silent' });
const identityKey = new Uint8Array(32).fill(5);
const device = { userId: 'alice', deviceId: 2 };

let nc: NatsConnection;
let subs: Subscription[] = [];
let namespace: string;
let client: DeviceDirectoryClient;
let bundleFetches = 0;

beforeEach(async () => {
  nc = await connect({ servers: testNatsUrl() });
  namespace = uniqueSubjectPrefix('gw-dirclient');
  const config = {
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_RPC_TIMEOUT_MS: 2000,
  } as BaseServiceConfig;
  client = new DeviceDirectoryClient(new RpcClient(nc, config), logger);
  bundleFetches = 0;
  subs = [
    serveRpc(
      nc,
      Rpc.prekeys.fetchBundles,
      (req) => {
        bundleFetches++;
        if (req.userId !== device.userId) return Promise.reject(new NotFoundError('user'));
        return Promise.resolve({
          userId: req.userId,
          bundles: [
            {
              deviceId: device.deviceId,
              identityKey,
              signedPreKey: {
                id: 1,
                publicKey: new Uint8Array(32).fill(1),
                signature: new Uint8Array(64),
              },
              oneTimePreKey: { id: 9, publicKey: new Uint8Array(32).fill(2) },
            },
          ],
        });
      },
      { namespace, logger },
    ),
  ];
  await nc.flush();
});

afterEach(async () => {
  subs.forEach((s) => {
    s.unsubscribe();
  });
  await nc.close();
});

it('uses prekeys.getDevice when a directory answers it, consuming no one-time prekey', async () => {
  subs.push(
    serveRpc(
      nc,
      Rpc.prekeys.getDevice,
      (req) => Promise.resolve({ ...req, identityKey, registeredAt: 1 }),
      { namespace, logger },
    ),
  );
  await nc.flush();
  expect(bytesToBase64(await client.identityKeyOf(device))).toBe(bytesToBase64(identityKey));
  expect(bundleFetches).toBe(0);
});

it('falls back to a one-device bundle fetch while no directory serves getDevice', async () => {
  expect(bytesToBase64(await client.identityKeyOf(device))).toBe(bytesToBase64(identityKey));
  expect(bundleFetches).toBe(1);
  await expect(client.identityKeyOf({ userId: 'nobody', deviceId: 1 })).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
});
