/** With PARLEY_HTTP_PORT set the service answers the kit's readiness probe `GET /health/ready`. */
import type { Harness } from './helpers';
import { startHarness } from './helpers';

describe('prekey directory HTTP health probe', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('health', { PARLEY_HTTP_PORT: '0' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers 200 while the database is up', async () => {
    const url = h.instances[0]!.httpUrl;
    expect(url).toBeDefined();
    const res = await fetch(`${url!}/health/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { nats: 'ok', database: 'ok' } });
  });

  it('answers 503 once the database is gone', async () => {
    await h.db.drop();
    const res = await fetch(`${h.instances[0]!.httpUrl!}/health/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'unavailable',
      checks: { database: 'failed' },
    });
  });
});
