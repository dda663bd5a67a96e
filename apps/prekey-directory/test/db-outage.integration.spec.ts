/** Without its database the service answers UNAVAILABLE (`dependency`), not INTERNAL. */
import { Rpc } from '@parley/contracts';
import type { Harness } from './helpers';
import { failure, makeDevice, registerRequest, startHarness } from './helpers';

const P = Rpc.prekeys;

describe('prekey directory without its database', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('outage');
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers UNAVAILABLE for reads and writes once the database is gone', async () => {
    const dev = makeDevice('outage-user', 1);
    await h.call(P.registerDevice, registerRequest(dev));
    await h.db.drop();
    const errors = await Promise.all([
      failure(h.call(P.fetchBundles, { userId: dev.userId })),
      failure(h.call(P.getStock, { userId: dev.userId, deviceId: 1 })),
      failure(
        h.call(P.uploadOneTimePreKeys, {
          userId: dev.userId,
          deviceId: 1,
          preKeys: dev.oneTimePreKeys(1, 1),
        }),
      ),
    ]);
    expect(errors.map((e) => [e.code, e.details])).toEqual(
      Array.from({ length: 3 }, () => ['UNAVAILABLE', { reason: 'dependency' }]),
    );
    // Refusals that need no database still come first.
    const stranger = makeDevice('outage-other', 1);
    const forged = { ...registerRequest(dev), signedPreKey: stranger.signedPreKey };
    expect((await failure(h.call(P.registerDevice, forged))).code).toBe('INVALID_SIGNATURE');
  });
});
