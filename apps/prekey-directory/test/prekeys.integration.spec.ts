/**
 * The prekey directory against real PostgreSQL and NATS: register, upload, fetch with keys
 * made by the protocol, refusals with their codes, and nothing stored when refused.
 */
import { Client } from 'pg';
import { Events, namespaced, parleyErrorFromJSON, Rpc } from '@parley/contracts';
import type { SerializedParleyError } from '@parley/contracts';
import { SessionRecord, utf8, verifyPreKeyBundle } from '@parley/protocol';
import type { Harness } from './helpers';
import { failure, makeDevice, registerRequest, startHarness, userId } from './helpers';

const P = Rpc.prekeys;

/** The typed error inside a raw reply packet (`{ err }` as Nest's NATS transport sends it). */
function errorOf(reply: Uint8Array) {
  const packet = JSON.parse(new TextDecoder().decode(reply)) as { err?: SerializedParleyError };
  if (!packet.err) throw new Error('expected an error reply');
  return parleyErrorFromJSON(packet.err);
}

describe('prekey directory over NATS', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('prekeys');
  });
  afterAll(async () => {
    await h.close();
  });

  async function rowCounts(user: string) {
    const pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    try {
      const count = async (table: string) =>
        Number(
          (
            await pg.query<{ n: string }>(
              `SELECT count(*) AS n FROM prekey_directory.${table} WHERE user_id = $1`,
              [user],
            )
          ).rows[0]!.n,
        );
      return {
        accounts: await count('accounts'),
        devices: await count('devices'),
        signed: await count('signed_prekeys'),
        oneTime: await count('one_time_prekeys'),
      };
    } finally {
      await pg.end();
    }
  }

  it('registers, uploads and serves a bundle that the protocol verifies', async () => {
    const alice = makeDevice(userId('alice'), 1);
    const initial = alice.oneTimePreKeys(1, 5);
    const reg = await h.call(P.registerDevice, registerRequest(alice, initial));
    expect(reg).toMatchObject({ userId: alice.userId, deviceId: 1, oneTimePreKeyCount: 5 });
    expect(Math.abs(reg.registeredAt - Date.now())).toBeLessThan(60_000);

    const more = alice.oneTimePreKeys(100, 10);
    await expect(
      h.call(P.uploadOneTimePreKeys, { userId: alice.userId, deviceId: 1, preKeys: more }),
    ).resolves.toEqual({ stored: 10, total: 15 });

    const { bundles, userId: u } = await h.call(P.fetchBundles, { userId: alice.userId });
    expect(u).toBe(alice.userId);
    expect(bundles).toHaveLength(1);
    const bundle = bundles[0]!;
    expect(bundle.deviceId).toBe(1);
    expect(bundle.identityKey).toEqual(alice.identity.publicKey);
    expect(bundle.signedPreKey).toEqual(alice.signedPreKey);
    // The lowest id goes first; it is exactly the key the device uploaded.
    expect(bundle.oneTimePreKey).toEqual(initial[0]);
    expect(() => {
      verifyPreKeyBundle(bundle);
    }).not.toThrow();

    const stock = await h.call(P.getStock, { userId: alice.userId, deviceId: 1 });
    expect(stock).toMatchObject({ oneTimePreKeys: 14, signedPreKeyId: 1, lowThreshold: 25 });

    // The identity-key lookup (the gateway's login) hands out no one-time prekey.
    const device = await h.call(P.getDevice, { userId: alice.userId, deviceId: 1 });
    expect(device.identityKey).toEqual(alice.identity.publicKey);
    expect((await h.call(P.getStock, { userId: alice.userId, deviceId: 1 })).oneTimePreKeys).toBe(
      14,
    );
  });

  it('a fetched bundle starts a real X3DH session that the owner accepts with its prekeys', async () => {
    const bob = makeDevice(userId('bob'), 4);
    await h.call(P.registerDevice, registerRequest(bob, bob.oneTimePreKeys(10, 3)));
    const alice = makeDevice(userId('alice'), 1);
    const { bundles } = await h.call(P.fetchBundles, { userId: bob.userId, deviceId: 4 });
    const bundle = bundles[0]!;

    const aliceSession = SessionRecord.empty();
    aliceSession.initiate(alice.identity, bundle, alice.random);
    const first = aliceSession.encrypt(utf8.encode('hello via the directory'));
    const bobSession = SessionRecord.empty();
    const opened = bobSession.decrypt(first, bob.identity, bob.preKeys, bob.random);
    expect(utf8.decode(opened.plaintext)).toBe('hello via the directory');
    expect(opened.usedOneTimePreKeyId).toBe(bundle.oneTimePreKey?.id);
    expect(opened.usedOneTimePreKeyId).toBe(10);
    expect(opened.remoteIdentityKey).toEqual(alice.identity.publicKey);
  });

  it('lists the devices of several users in one call, spending no one-time prekey', async () => {
    const bob = userId('list-bob');
    const b1 = makeDevice(bob, 3);
    const b2 = makeDevice(bob, 1);
    const carol = makeDevice(userId('list-carol'), 9);
    await h.call(P.registerDevice, registerRequest(b1, b1.oneTimePreKeys(1, 2)));
    await h.call(P.registerDevice, registerRequest(b2));
    await h.call(P.registerDevice, registerRequest(carol));
    const reply = await h.call(P.listDevices, {
      userIds: [carol.userId, 'list-nobody', bob],
    });
    expect(reply.users.map((u) => [u.userId, u.devices.map((d) => d.deviceId)])).toEqual([
      [carol.userId, [9]],
      ['list-nobody', []],
      [bob, [1, 3]],
    ]);
    const bobDevices = reply.users[2]!.devices;
    expect(bobDevices[0]!.identityKey).toEqual(b2.identity.publicKey);
    expect(bobDevices[1]!.identityKey).toEqual(b1.identity.publicKey);
    expect(Math.abs(bobDevices[0]!.registeredAt - Date.now())).toBeLessThan(60_000);
    expect((await h.call(P.getStock, { userId: bob, deviceId: 3 })).oneTimePreKeys).toBe(2);
    const dup = await failure(h.call(P.listDevices, { userIds: [bob, bob] }));
    expect(dup.code).toBe('VALIDATION_FAILED');
  });

  it('announces prekeys.devices-changed before answering a registration that adds a device', async () => {
    const user = userId('announced');
    const seen: string[] = [];
    const sub = h.nc.subscribe(namespaced(h.namespace, Events.prekeys.devicesChanged.subject), {
      callback: (_e, msg) => {
        const event = Events.prekeys.devicesChanged.schema.parse(msg.json());
        seen.push(`${event.userId}/${event.deviceId}`);
      },
    });
    try {
      await h.nc.flush();
      const first = makeDevice(user, 1);
      await h.call(P.registerDevice, registerRequest(first));
      // Published before the reply on the directory's connection: already here.
      expect(seen).toEqual([`${user}/1`]);
      await h.call(P.registerDevice, registerRequest(first));
      await h.call(P.registerDevice, registerRequest(makeDevice(user, 2)));
      await h.nc.flush();
      // The repeat registration of device 1 changed nothing and announced nothing.
      expect(seen).toEqual([`${user}/1`, `${user}/2`]);
    } finally {
      sub.unsubscribe();
    }
  });

  it('serves every device of a user, or one of them', async () => {
    const user = userId('multi');
    const d1 = makeDevice(user, 1);
    const d2 = makeDevice(user, 7);
    await h.call(P.registerDevice, registerRequest(d1, d1.oneTimePreKeys(1, 2)));
    await h.call(P.registerDevice, registerRequest(d2));
    const all = await h.call(P.fetchBundles, { userId: user });
    expect(all.bundles.map((b) => b.deviceId)).toEqual([1, 7]);
    expect(all.bundles[0]!.oneTimePreKey?.id).toBe(1);
    // No one-time prekey left for device 7: the bundle comes without one (X3DH without DH4).
    expect(all.bundles[1]!.oneTimePreKey).toBeUndefined();
    for (const b of all.bundles)
      expect(() => {
        verifyPreKeyBundle(b);
      }).not.toThrow();
    const one = await h.call(P.fetchBundles, { userId: user, deviceId: 1 });
    expect(one.bundles.map((b) => [b.deviceId, b.oneTimePreKey?.id])).toEqual([[1, 2]]);
  });

  it('refuses a forged signed prekey with INVALID_SIGNATURE and stores nothing', async () => {
    const mallory = makeDevice(userId('mallory'), 1);
    const victim = makeDevice(userId('victim'), 1);
    // A signed prekey signed by someone else's identity key.
    const forged = {
      ...registerRequest(mallory, mallory.oneTimePreKeys(1, 3)),
      signedPreKey: victim.signedPreKey,
    };
    const e = await failure(h.call(P.registerDevice, forged));
    expect(e.code).toBe('INVALID_SIGNATURE');
    // One flipped bit in a genuine signature.
    const signature = new Uint8Array(mallory.signedPreKey.signature);
    signature[0]! ^= 1;
    const flipped = {
      ...registerRequest(mallory),
      signedPreKey: { ...mallory.signedPreKey, signature },
    };
    expect((await failure(h.call(P.registerDevice, flipped))).code).toBe('INVALID_SIGNATURE');
    // A genuine signature over another key id.
    const renumbered = {
      ...registerRequest(mallory),
      signedPreKey: { ...mallory.signedPreKey, id: 2 },
    };
    expect((await failure(h.call(P.registerDevice, renumbered))).code).toBe('INVALID_SIGNATURE');
    await expect(rowCounts(mallory.userId)).resolves.toEqual({
      accounts: 0,
      devices: 0,
      signed: 0,
      oneTime: 0,
    });
  });

  it('re-registering with the same identity key is idempotent; another identity key is a CONFLICT', async () => {
    const dev = makeDevice(userId('rereg'), 3);
    const keys = dev.oneTimePreKeys(1, 4);
    const first = await h.call(P.registerDevice, registerRequest(dev, keys));
    const again = await h.call(P.registerDevice, registerRequest(dev, keys));
    expect(again).toEqual(first);
    const impostor = makeDevice(dev.userId, 3);
    const e = await failure(
      h.call(P.registerDevice, registerRequest(impostor, impostor.oneTimePreKeys(50, 2))),
    );
    expect(e.code).toBe('CONFLICT');
    expect(e.details).toEqual({ reason: 'identity-key-mismatch' });
    const fetched = await h.call(P.fetchBundles, { userId: dev.userId, deviceId: 3 });
    expect(fetched.bundles[0]!.identityKey).toEqual(dev.identity.publicKey);
    await expect(rowCounts(dev.userId)).resolves.toMatchObject({
      devices: 1,
      signed: 1,
      oneTime: 3,
    });
  });

  it('uploads: repeated ids with the same key are ignored, with another key are a CONFLICT', async () => {
    const dev = makeDevice(userId('upload'), 1);
    await h.call(P.registerDevice, registerRequest(dev));
    const batch = dev.oneTimePreKeys(1, 100);
    await expect(
      h.call(P.uploadOneTimePreKeys, { userId: dev.userId, deviceId: 1, preKeys: batch }),
    ).resolves.toEqual({ stored: 100, total: 100 });
    // A retry of the same batch (lost reply) plus new keys: only the new ones count.
    const retry = [...batch.slice(90), ...dev.oneTimePreKeys(101, 5)];
    await expect(
      h.call(P.uploadOneTimePreKeys, { userId: dev.userId, deviceId: 1, preKeys: retry }),
    ).resolves.toEqual({ stored: 5, total: 105 });
    // Id 200 is new, id 1 is taken by another key: the whole batch is refused.
    const clash = [
      ...dev.oneTimePreKeys(200, 1),
      { id: 1, publicKey: dev.oneTimePreKeys(300, 1)[0]!.publicKey },
    ];
    const e = await failure(
      h.call(P.uploadOneTimePreKeys, { userId: dev.userId, deviceId: 1, preKeys: clash }),
    );
    expect(e.code).toBe('CONFLICT');
    expect(e.details).toEqual({ reason: 'one-time-prekey-id-reused' });
    await expect(h.call(P.getStock, { userId: dev.userId, deviceId: 1 })).resolves.toMatchObject({
      oneTimePreKeys: 105,
    });
  });

  it('bounds the stock of a device (CONFLICT prekey-stock-full)', async () => {
    const dev = makeDevice(userId('full'), 1);
    await h.call(P.registerDevice, registerRequest(dev));
    for (let i = 0; i < 10; i++) {
      await h.call(P.uploadOneTimePreKeys, {
        userId: dev.userId,
        deviceId: 1,
        preKeys: dev.oneTimePreKeys(i * 100, 100),
      });
    }
    const e = await failure(
      h.call(P.uploadOneTimePreKeys, {
        userId: dev.userId,
        deviceId: 1,
        preKeys: dev.oneTimePreKeys(5000, 1),
      }),
    );
    expect(e.details).toEqual({ reason: 'prekey-stock-full' });
    await expect(rowCounts(dev.userId)).resolves.toMatchObject({ oneTime: 1000 });
  });

  it('rotates the signed prekey (verified), serves only the newest and keeps the old one', async () => {
    const dev = makeDevice(userId('rotate'), 2);
    await h.call(P.registerDevice, registerRequest(dev));
    const next = dev.signed(2);
    const rotated = await h.call(P.rotateSignedPreKey, {
      userId: dev.userId,
      deviceId: 2,
      signedPreKey: next,
    });
    expect(rotated.signedPreKeyId).toBe(2);
    // Same key again: idempotent, same time.
    await expect(
      h.call(P.rotateSignedPreKey, { userId: dev.userId, deviceId: 2, signedPreKey: next }),
    ).resolves.toEqual(rotated);
    const { bundles } = await h.call(P.fetchBundles, { userId: dev.userId });
    expect(bundles[0]!.signedPreKey).toEqual(next);
    const stock = await h.call(P.getStock, { userId: dev.userId, deviceId: 2 });
    expect(stock).toMatchObject({ signedPreKeyId: 2, signedPreKeyCreatedAt: rotated.rotatedAt });
    await expect(rowCounts(dev.userId)).resolves.toMatchObject({ signed: 2 });

    const stranger = makeDevice(userId('stranger'), 1);
    const forged = await failure(
      h.call(P.rotateSignedPreKey, {
        userId: dev.userId,
        deviceId: 2,
        signedPreKey: stranger.signed(3),
      }),
    );
    expect(forged.code).toBe('INVALID_SIGNATURE');
    const reused = await failure(
      h.call(P.rotateSignedPreKey, {
        userId: dev.userId,
        deviceId: 2,
        signedPreKey: dev.signed(1),
      }),
    );
    expect(reused.details).toEqual({ reason: 'signed-prekey-id-reused' });
    expect((await h.call(P.getStock, { userId: dev.userId, deviceId: 2 })).signedPreKeyId).toBe(2);
  });

  it('answers NOT_FOUND for unknown users and devices', async () => {
    const dev = makeDevice(userId('known'), 1);
    await h.call(P.registerDevice, registerRequest(dev));
    const cases = [
      h.call(P.fetchBundles, { userId: 'nobody-here' }),
      h.call(P.fetchBundles, { userId: 'nobody-here', deviceId: 1 }),
      h.call(P.fetchBundles, { userId: dev.userId, deviceId: 2 }),
      h.call(P.getStock, { userId: dev.userId, deviceId: 2 }),
      h.call(P.getDevice, { userId: dev.userId, deviceId: 2 }),
      h.call(P.uploadOneTimePreKeys, {
        userId: dev.userId,
        deviceId: 2,
        preKeys: dev.oneTimePreKeys(1, 1),
      }),
      h.call(P.rotateSignedPreKey, {
        userId: 'nobody-here',
        deviceId: 1,
        signedPreKey: dev.signed(5),
      }),
    ];
    const errors = await Promise.all(cases.map(failure));
    expect(errors.map((e) => [e.code, e.details])).toEqual([
      ['NOT_FOUND', { resource: 'user' }],
      ['NOT_FOUND', { resource: 'user' }],
      ['NOT_FOUND', { resource: 'device' }],
      ['NOT_FOUND', { resource: 'device' }],
      ['NOT_FOUND', { resource: 'device' }],
      ['NOT_FOUND', { resource: 'device' }],
      ['NOT_FOUND', { resource: 'device' }],
    ]);
  });

  it('answers VALIDATION_FAILED for malformed payloads sent raw, naming the field', async () => {
    const dev = makeDevice(userId('raw'), 1);
    const send = async (subject: string, data: unknown) => {
      const msg = await h.nc.request(
        namespaced(h.namespace, subject),
        new TextEncoder().encode(JSON.stringify({ pattern: subject, id: 'r', data })),
        { timeout: 5000 },
      );
      return msg.data;
    };
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    const good = {
      userId: dev.userId,
      deviceId: 1,
      identityKey: b64(dev.identity.publicKey),
      signedPreKey: {
        id: 1,
        publicKey: b64(dev.signedPreKey.publicKey),
        signature: b64(dev.signedPreKey.signature),
      },
    };
    const bad: [unknown, string][] = [
      [{ ...good, identityKey: b64(new Uint8Array(31)) }, 'identityKey'],
      [{ ...good, deviceId: 0 }, 'deviceId'],
      [{ ...good, userId: 'a.b' }, 'userId'],
      [
        { ...good, signedPreKey: { ...good.signedPreKey, signature: 'not base64!' } },
        'signedPreKey.signature',
      ],
      [{ ...good, oneTimePreKeys: [] }, 'oneTimePreKeys'],
    ];
    for (const [data, path] of bad) {
      const e = errorOf(await send(P.registerDevice.subject, data));
      expect([e.code, (e.details as { issues: { path: string }[] }).issues[0]!.path]).toEqual([
        'VALIDATION_FAILED',
        path,
      ]);
    }
    const tooMany = Array.from({ length: 101 }, (_, i) => ({
      id: i,
      publicKey: b64(new Uint8Array(32)),
    }));
    const e = errorOf(
      await send(P.uploadOneTimePreKeys.subject, {
        userId: dev.userId,
        deviceId: 1,
        preKeys: tooMany,
      }),
    );
    expect(e.code).toBe('VALIDATION_FAILED');
    await expect(rowCounts(dev.userId)).resolves.toMatchObject({ devices: 0 });
    // Still serving.
    await expect(h.call(P.registerDevice, registerRequest(dev))).resolves.toMatchObject({
      deviceId: 1,
    });
  });
});
