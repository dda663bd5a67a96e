/**
 * Policies that need their own settings or many devices: signed prekey pruning after the
 * grace period, the device limit and racing registrations.
 */
import { Client } from 'pg';
import { Events, MAX_DEVICES_PER_USER, namespacedName, Rpc, STREAMS } from '@parley/contracts';
import { ensureStream } from '@parley/server-kit';
import type { Harness } from './helpers';
import { failure, makeDevice, registerRequest, startHarness, userId } from './helpers';

const P = Rpc.prekeys;

describe('prekey directory policies (grace period 0)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('policies', { PREKEY_SIGNED_GRACE_MS: '0' });
  });
  afterAll(async () => {
    await h.close();
  });

  async function signedKeyIds(user: string): Promise<number[]> {
    const pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ key_id: string }>(
        'SELECT key_id FROM prekey_directory.signed_prekeys WHERE user_id = $1 ORDER BY key_id',
        [user],
      );
      return rows.map((r) => Number(r.key_id));
    } finally {
      await pg.end();
    }
  }

  it('prunes replaced signed prekeys once their grace period is over, never the current one', async () => {
    const dev = makeDevice(userId('prune'), 1);
    await h.call(P.registerDevice, registerRequest(dev));
    await h.call(P.rotateSignedPreKey, {
      userId: dev.userId,
      deviceId: 1,
      signedPreKey: dev.signed(2),
    });
    await h.call(P.rotateSignedPreKey, {
      userId: dev.userId,
      deviceId: 1,
      signedPreKey: dev.signed(3),
    });
    const ids = await signedKeyIds(dev.userId);
    expect(ids).not.toContain(1);
    expect(ids).toContain(3);
    const { bundles } = await h.call(P.fetchBundles, { userId: dev.userId });
    expect(bundles[0]!.signedPreKey.id).toBe(3);
  });

  it(`refuses device number ${MAX_DEVICES_PER_USER + 1} of a user (CONFLICT device-limit)`, async () => {
    const user = userId('many');
    for (let d = 1; d <= MAX_DEVICES_PER_USER; d++) {
      await h.call(P.registerDevice, registerRequest(makeDevice(user, d)));
    }
    const e = await failure(h.call(P.registerDevice, registerRequest(makeDevice(user, 99))));
    expect(e.code).toBe('CONFLICT');
    expect(e.details).toEqual({ reason: 'device-limit' });
    const { bundles } = await h.call(P.fetchBundles, { userId: user });
    expect(bundles).toHaveLength(MAX_DEVICES_PER_USER);
  });

  it('racing identical registrations of one device all succeed with one device stored', async () => {
    const dev = makeDevice(userId('twin'), 5);
    const req = registerRequest(dev, dev.oneTimePreKeys(1, 10));
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => h.call(P.registerDevice, req)),
    );
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(replies[0]!.oneTimePreKeyCount).toBe(10);
    expect((await h.call(P.fetchBundles, { userId: dev.userId })).bundles).toHaveLength(1);
  });

  it('racing registrations of one device id with different identity keys: exactly one wins', async () => {
    const user = userId('contest');
    const contenders = Array.from({ length: 6 }, () => makeDevice(user, 1));
    const results = await Promise.allSettled(
      contenders.map((d) => h.call(P.registerDevice, registerRequest(d))),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect((r.reason as { details?: unknown }).details).toEqual({
          reason: 'identity-key-mismatch',
        });
      }
    }
    const { bundles } = await h.call(P.fetchBundles, { userId: user });
    expect(bundles[0]!.identityKey).toEqual(contenders[winners[0]!]!.identity.publicKey);
  });

  it('a low-stock event that cannot be published does not fail the fetch, and the next fetch retries it', async () => {
    const dev = makeDevice(userId('nostream'), 1);
    await h.call(P.registerDevice, registerRequest(dev, dev.oneTimePreKeys(1, 5)));
    const jsm = await h.nc.jetstreamManager();
    const stream = namespacedName(h.namespace, STREAMS.events);
    // Without the stream, JetStream publishes find no responder.
    await jsm.streams.delete(stream);
    const during = await h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 });
    expect(during.bundles[0]!.oneTimePreKey?.id).toBe(1);

    await ensureStream(h.nc, 'events', { namespace: h.namespace });
    await h.call(P.fetchBundles, { userId: dev.userId, deviceId: 1 });
    const { state } = await jsm.streams.info(stream);
    expect(state.messages).toBe(1);
    const event = Events.prekeys.low.schema.parse(
      (await jsm.streams.getMessage(stream, { seq: state.first_seq })).json(),
    );
    expect(event).toMatchObject({ userId: dev.userId, deviceId: 1, remaining: 3, threshold: 25 });
  });
});
