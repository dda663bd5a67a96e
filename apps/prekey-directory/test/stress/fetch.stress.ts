/**
 * Throughput of racing bundle fetches with two instances in one queue group, and the
 * exactly-once property at that scale: every uploaded key handed out once, none twice.
 * Prints the figures; asserts only correctness (timings depend on the machine).
 */
import { Rpc } from '@parley/contracts';
import type { Harness } from '../helpers';
import { makeDevice, registerRequest, startHarness, userId } from '../helpers';

const P = Rpc.prekeys;
const DEVICES = Number(process.env['STRESS_DEVICES'] ?? 10);
const KEYS_PER_DEVICE = 1000;
const FETCHES = Number(process.env['STRESS_FETCHES'] ?? 12_000);
const IN_FLIGHT = Number(process.env['STRESS_IN_FLIGHT'] ?? 64);

describe('fetch throughput (stress)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('stress', { PREKEY_DB_POOL_SIZE: '20' });
    await h.startInstance('prekeys-2');
  });
  afterAll(async () => {
    await h.close();
  });

  it(`${FETCHES} fetches, ${IN_FLIGHT} in flight, over ${DEVICES} devices x ${KEYS_PER_DEVICE} keys`, async () => {
    const user = userId('stress');
    const handedOut = new Map<string, number>();
    for (let d = 1; d <= DEVICES; d++) {
      const dev = makeDevice(user, d);
      await h.call(P.registerDevice, registerRequest(dev));
      for (let first = 0; first < KEYS_PER_DEVICE; first += 100) {
        await h.call(P.uploadOneTimePreKeys, {
          userId: user,
          deviceId: d,
          preKeys: dev.oneTimePreKeys(first, 100),
        });
      }
    }
    const latencies: number[] = [];
    let next = 0;
    let empty = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < FETCHES) {
          const deviceId = (next++ % DEVICES) + 1;
          const t0 = performance.now();
          const { bundles } = await h.call(P.fetchBundles, { userId: user, deviceId }, 30_000);
          latencies.push(performance.now() - t0);
          const key = bundles[0]!.oneTimePreKey;
          if (!key) {
            empty++;
            continue;
          }
          const id = `${deviceId}/${key.id}`;
          handedOut.set(id, (handedOut.get(id) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
    console.log(
      `prekey fetch stress: ${FETCHES} fetches in ${seconds.toFixed(2)} s = ${(FETCHES / seconds).toFixed(0)} fetches/s; ` +
        `p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms; ${handedOut.size} keys handed out, ${empty} bundles without one`,
    );
    const total = DEVICES * KEYS_PER_DEVICE;
    expect(handedOut.size).toBe(Math.min(total, FETCHES));
    expect([...handedOut.values()].every((n) => n === 1)).toBe(true);
    expect(empty).toBe(Math.max(0, FETCHES - total));
  });
});
