/**
 * The kit against the real NATS server: a demo microservice answers, typed errors cross
 * NATS intact, validation fails as VALIDATION_FAILED, instances share a queue group.
 */
import type { NatsConnection } from 'nats';
import { connect, headers } from 'nats';
import {
  InternalError,
  MissingDevicesError,
  namespaced,
  NotFoundError,
  UnavailableError,
  ValidationFailedError,
} from '@parley/contracts';
import type { ParleyError } from '@parley/contracts';
import { request, requestJson, requestWire } from '../src/lib/rpc/rpc-request';
import { decodeReply } from '../src/lib/rpc/rpc-request';
import { ACCEPTS_BARE_HEADER, BARE_REPLY_HEADER, encodeJson } from '../src/lib/rpc/rpc-packet';
import { DemoRpc } from './demo/demo.contracts';
import { DemoState } from './demo/demo.module';
import type { LogCapture } from './helpers';
import { bytes, NATS_URL, startDemo, uniqueNamespace } from './helpers';

async function failure(p: Promise<unknown>): Promise<ParleyError> {
  try {
    await p;
  } catch (error) {
    return error as ParleyError;
  }
  throw new Error('expected a failure');
}

describe('RPC over NATS with the kit', () => {
  const namespace = uniqueNamespace('rpc');
  let nc: NatsConnection;
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let capture: LogCapture;
  const call = <C extends Parameters<typeof request>[1]>(
    c: C,
    payload: Parameters<typeof request<C>>[2],
    timeoutMs = 2000,
  ) => request(nc, c, payload, { namespace, timeoutMs });

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    demo = await startDemo(namespace);
    capture = demo.capture;
  });

  afterAll(async () => {
    await demo.close();
    await nc.close();
  });

  it('a demo service answers, with bytes decoded and encoded on both sides', async () => {
    const reply = await call(DemoRpc.echo, { text: 'hello', bytes: bytes(1, 2, 3) });
    expect(reply).toEqual({ text: 'hello', bytes: bytes(3, 2, 1), instance: 'demo-1' });
  });

  it('requestWire sends and returns the wire form (base64), errors typed as with request', async () => {
    const reply = await requestWire(
      nc,
      DemoRpc.echo,
      { text: 'hello', bytes: 'AQID' },
      { namespace, timeoutMs: 2000 },
    );
    expect(reply).toEqual({ text: 'hello', bytes: 'AwIB', instance: 'demo-1' });
    const e = await failure(
      requestWire(nc, DemoRpc.fail, { kind: 'missing-devices' }, { namespace, timeoutMs: 2000 }),
    );
    expect(e).toBeInstanceOf(MissingDevicesError);
  });

  it('listens only inside its namespace', async () => {
    const other = await failure(
      request(
        nc,
        DemoRpc.echo,
        { text: 'x', bytes: bytes(1) },
        { namespace: `${namespace}-other`, timeoutMs: 1000 },
      ),
    );
    expect(other).toBeInstanceOf(UnavailableError);
    expect(other.details).toEqual({ reason: 'no-responders' });
  });

  it('a typed error crosses NATS with its class, code and details', async () => {
    const e = await failure(call(DemoRpc.fail, { kind: 'missing-devices' }));
    expect(e).toBeInstanceOf(MissingDevicesError);
    expect(e.code).toBe('MISSING_DEVICES');
    expect(e.details).toEqual({
      missing: [{ userId: 'bob', deviceId: 2 }],
      extra: [{ userId: 'carol', deviceId: 7 }],
    });
    const nf = await failure(call(DemoRpc.fail, { kind: 'not-found' }));
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf.message).toBe('device not found');
  });

  it('an invalid payload gets VALIDATION_FAILED with the path', async () => {
    // Bypass the client's own check: send raw JSON, as a buggy or hostile caller would.
    const subject = namespaced(namespace, DemoRpc.echo.subject);
    const raw = await nc.request(
      subject,
      encodeJson({ pattern: DemoRpc.echo.subject, id: 'r1', data: { text: 'x', bytes: 'QR==' } }),
      { timeout: 2000 },
    );
    const e = await failure(Promise.resolve().then(() => decodeReply(DemoRpc.echo, raw.data)));
    expect(e).toBeInstanceOf(ValidationFailedError);
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e instanceof ValidationFailedError && e.issues[0]?.path).toBe('bytes');
  });

  it('a packet that is not JSON gets VALIDATION_FAILED, and the service keeps serving', async () => {
    const subject = namespaced(namespace, DemoRpc.echo.subject);
    const raw = await nc.request(subject, new TextEncoder().encode('{nope'), { timeout: 2000 });
    expect(
      await failure(Promise.resolve().then(() => decodeReply(DemoRpc.echo, raw.data))),
    ).toBeInstanceOf(ValidationFailedError);
    await expect(
      call(DemoRpc.echo, { text: 'still here', bytes: bytes(9) }),
    ).resolves.toMatchObject({ text: 'still here' });
  });

  it('the client refuses an invalid request before sending it', async () => {
    const e = await failure(call(DemoRpc.echo, { text: 'x'.repeat(101), bytes: bytes(1) }));
    expect(e).toBeInstanceOf(ValidationFailedError);
    expect(e.message).toMatch(/^invalid request: text/);
  });

  it('a zod error thrown inside a handler is VALIDATION_FAILED', async () => {
    const e = await failure(call(DemoRpc.fail, { kind: 'zod' }));
    expect(e).toBeInstanceOf(ValidationFailedError);
    expect(e instanceof ValidationFailedError && e.issues[0]?.path).toBe('inner');
  });

  it('an unknown error is INTERNAL, its text stays in the logs, not the reply', async () => {
    const e = await failure(call(DemoRpc.fail, { kind: 'crash' }));
    expect(e).toBeInstanceOf(InternalError);
    expect(e.message).toBe('internal error');
    expect(JSON.stringify(e.toJSON())).not.toMatch(/hunter2/);
    const logged = capture
      .records()
      .find((r) => r['msg'] === 'request failed with an unexpected error');
    expect(logged).toMatchObject({
      level: 'error',
      code: 'INTERNAL',
      subject: namespaced(namespace, DemoRpc.fail.subject),
      service: 'demo',
    });
  });

  it('a reply that breaks its contract is INTERNAL', async () => {
    const e = await failure(call(DemoRpc.fail, { kind: 'bad-reply' }));
    expect(e).toBeInstanceOf(InternalError);
    expect(e.message).toMatch(/broke its contract/);
  });

  describe('a JsonReply (the handler serialized the reply itself)', () => {
    const options = () => ({ namespace, timeoutMs: 2000 });
    const expected = { items: ['item "0"', 'item "1"'], more: true };

    /** A raw request, as a caller of this or of an older release sends it. */
    const raw = (acceptsBare: boolean) => {
      const h = headers();
      if (acceptsBare) h.set(ACCEPTS_BARE_HEADER, '1');
      return nc.request(
        namespaced(namespace, DemoRpc.listed.subject),
        encodeJson({
          pattern: DemoRpc.listed.subject,
          id: 'j1',
          data: { count: 2, broken: false },
        }),
        { timeout: 2000, headers: h },
      );
    };

    it('goes out bare to a caller that reads bare replies: the text as written, flagged', async () => {
      const msg = await raw(true);
      expect(msg.headers?.get(BARE_REPLY_HEADER)).toBe('1');
      expect(new TextDecoder().decode(msg.data)).toBe(
        '{"items":["item \\"0\\"","item \\"1\\""],"more":true}',
      );
    });

    it('goes out in a packet to a caller that does not say so (an older release)', async () => {
      const msg = await raw(false);
      expect(msg.headers?.get(BARE_REPLY_HEADER)).toBeUndefined();
      expect(JSON.parse(new TextDecoder().decode(msg.data))).toEqual({
        id: 'j1',
        response: expected,
        isDisposed: true,
      });
    });

    it('request() validates it like any reply; requestWire() parses it', async () => {
      expect(await call(DemoRpc.listed, { count: 2, broken: false })).toEqual(expected);
      expect(await requestWire(nc, DemoRpc.listed, { count: 2, broken: false }, options())).toEqual(
        expected,
      );
      const e = await failure(call(DemoRpc.listed, { count: 1, broken: true }));
      expect(e).toBeInstanceOf(InternalError);
      expect(e.message).toMatch(/broke its contract at more/);
    });

    it('requestJson() hands the bytes over unparsed, and packet replies as their response JSON', async () => {
      const bare = await requestJson(nc, DemoRpc.listed, { count: 2, broken: false }, options());
      expect(JSON.parse(new TextDecoder().decode(bare))).toEqual(expected);
      const packed = await requestJson(nc, DemoRpc.echo, { text: 'hi', bytes: 'AQID' }, options());
      expect(JSON.parse(new TextDecoder().decode(packed))).toEqual({
        text: 'hi',
        bytes: 'AwIB',
        instance: 'demo-1',
      });
    });

    it('errors of such a handler are still typed errors in a packet', async () => {
      const e = await failure(
        requestJson(nc, DemoRpc.listed, { count: 0, broken: false }, options()),
      );
      expect(e).toBeInstanceOf(NotFoundError);
      const invalid = await failure(call(DemoRpc.listed, { count: 101, broken: false }));
      expect(invalid).toBeInstanceOf(ValidationFailedError);
    });
  });

  it('a reply too slow is UNAVAILABLE (timeout)', async () => {
    const e = await failure(call(DemoRpc.slow, { ms: 500 }, 100));
    expect(e).toBeInstanceOf(UnavailableError);
    expect(e.details).toEqual({ reason: 'timeout' });
  });

  it('a connection that closes under a waiting request, or is closed, is UNAVAILABLE (disconnected)', async () => {
    const own = await connect({ servers: NATS_URL });
    const started = new Promise((r) => demo.app.get(DemoState).events.once('slow-started', r));
    const waiting = failure(
      request(own, DemoRpc.slow, { ms: 1000 }, { namespace, timeoutMs: 5000 }),
    );
    await started;
    await own.close();
    const e = await waiting;
    expect(e).toBeInstanceOf(UnavailableError);
    expect(e.details).toEqual({ reason: 'disconnected' });
    const after = await failure(
      request(own, DemoRpc.echo, { text: 'x', bytes: bytes(1) }, { namespace, timeoutMs: 1000 }),
    );
    expect(after).toBeInstanceOf(UnavailableError);
    expect(after.details).toEqual({ reason: 'disconnected' });
  });

  it('logs are JSON and never contain payload bodies', async () => {
    const marker = 'PAYLOAD-MARKER-7f3a';
    await call(DemoRpc.echo, { text: marker, bytes: new TextEncoder().encode(marker) });
    await failure(call(DemoRpc.fail, { kind: 'crash' }));
    const subject = namespaced(namespace, DemoRpc.echo.subject);
    await nc.request(
      subject,
      encodeJson({ pattern: 'x', id: 'r2', data: { text: marker, bytes: 42 } }),
      { timeout: 2000 },
    );
    const markerB64 = Buffer.from(marker).toString('base64');
    expect(capture.lines.length).toBeGreaterThan(3);
    expect(capture.text).not.toContain(marker);
    expect(capture.text).not.toContain(markerB64.slice(0, 12));
    for (const r of capture.records())
      expect(r).toMatchObject({ service: 'demo', instance: 'demo-1' });
  });
});

describe('queue groups', () => {
  const namespace = uniqueNamespace('queue');
  let nc: NatsConnection;
  let a: Awaited<ReturnType<typeof startDemo>>;
  let b: Awaited<ReturnType<typeof startDemo>>;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    a = await startDemo(namespace, 'demo-a');
    b = await startDemo(namespace, 'demo-b');
  });

  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await nc.close();
  });

  it('two instances in one queue group both serve, each request once', async () => {
    const n = 200;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        request(
          nc,
          DemoRpc.echo,
          { text: `m${i}`, bytes: bytes(i % 256) },
          { namespace, timeoutMs: 5000 },
        ),
      ),
    );
    const byInstance = new Map<string, number>();
    for (const r of replies) byInstance.set(r.instance, (byInstance.get(r.instance) ?? 0) + 1);
    const servedA = a.app.get(DemoState).served;
    const servedB = b.app.get(DemoState).served;
    // Printed for the issue tracker: how NATS spread the work.
    console.log(`queue group split over ${n} requests: demo-a ${servedA}, demo-b ${servedB}`);
    expect(servedA + servedB).toBe(n);
    expect(servedA).toBeGreaterThan(0);
    expect(servedB).toBeGreaterThan(0);
    expect(byInstance.get('demo-a')).toBe(servedA);
    expect(byInstance.get('demo-b')).toBe(servedB);
  });
});
