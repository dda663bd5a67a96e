/* eslint-disable @typescript-eslint/no-unsafe-member-access -- HTTP bodies are untyped JSON that the assertions inspect */
/**
 * Per-device rate limits and the live WebSocket, against the real gateway and directory.
 * A low limit (6 per window) and a short WebSocket auth timeout make both observable.
 */
import { createSubjects } from '@parley/contracts';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { testNatsUrl } from '@parley/testing';
import WebSocket from 'ws';
import { ConnectionRegistry } from '../src/app/live/connection.registry';
import type { Stack } from './support/harness';
import { http, startStack } from './support/harness';
import { TestDevice } from './support/device';

let stack: Stack;
let nc: NatsConnection;
let seq = 0;
const newUser = () => `live-${process.pid}-${++seq}`;
const RATE_LIMIT = 6;

beforeAll(async () => {
  stack = await startStack('gw-live', {
    GATEWAY_RATE_LIMIT: String(RATE_LIMIT),
    GATEWAY_RATE_WINDOW_MS: '60000',
    GATEWAY_WS_AUTH_TIMEOUT_MS: '300',
    GATEWAY_WS_FRAMES_PER_S: '10',
  });
  nc = await connect({ servers: testNatsUrl() });
});
afterAll(async () => {
  await nc.close();
  await stack.close();
});

const wsUrl = (query = '') => `${stack.url.replace(/^http/, 'ws')}/v1/ws${query}`;

interface Frame {
  type: string;
  [k: string]: unknown;
}

/** Collects frames and the close of a socket. */
function watch(ws: WebSocket) {
  const frames: Frame[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (d) => {
    frames.push(JSON.parse((d as Buffer).toString('utf8')) as Frame);
    waiters.splice(0).forEach((w) => {
      w();
    });
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
    }),
  );
  const next = async (type: string): Promise<Frame> => {
    for (;;) {
      const found = frames.find((f) => f.type === type);
      if (found) {
        frames.splice(frames.indexOf(found), 1);
        return found;
      }
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { frames, closed, next };
}

describe('per-device rate limits', () => {
  it('answers 429 after the limit, per device', async () => {
    const a = new TestDevice(newUser(), 1);
    const b = new TestDevice(newUser(), 1);
    await a.register(stack.url); // challenge + register: 2 of the device's budget
    await b.register(stack.url);
    const path = `/v1/users/${a.userId}/devices/1/prekey-stock`;
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++)
      statuses.push((await http(stack.url, 'GET', path, { token: a.token! })).status);
    expect(statuses.slice(0, RATE_LIMIT - 2).every((s) => s === 200)).toBe(true);
    const limited = await http(stack.url, 'GET', path, { token: a.token! });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another device is not affected.
    const other = await http(stack.url, 'GET', `/v1/users/${b.userId}/devices/1/prekey-stock`, {
      token: b.token!,
    });
    expect(other.status).toBe(200);
  });
});

describe('live WebSocket', () => {
  it('accepts a token in the query, answers pings, registers presence and cleans up', async () => {
    const dev = new TestDevice(newUser(), 3);
    await dev.register(stack.url);
    const subjects = createSubjects(stack.namespace);
    const presence = nc.subscribe(subjects.presence.changed, { max: 2 });
    const registry = stack.gateway.app.get(ConnectionRegistry);

    const ws = new WebSocket(wsUrl(`?token=${dev.token!}`));
    const w = watch(ws);
    expect(await w.next('ready')).toEqual({ type: 'ready', userId: dev.userId, deviceId: 3 });
    expect(registry.get({ userId: dev.userId, deviceId: 3 })).toBeDefined();
    ws.send(JSON.stringify({ type: 'ping', id: 'p1' }));
    expect(await w.next('pong')).toEqual({ type: 'pong', id: 'p1' });
    ws.send('not json');
    expect((await w.next('error')).code).toBe('VALIDATION_FAILED');

    ws.close();
    await w.closed;
    const events: unknown[] = [];
    for await (const m of presence) events.push(JSON.parse(new TextDecoder().decode(m.data)));
    expect(events).toEqual([
      expect.objectContaining({
        device: { userId: dev.userId, deviceId: 3 },
        status: 'online',
        gatewayId: 'gateway-1',
      }),
      expect.objectContaining({ device: { userId: dev.userId, deviceId: 3 }, status: 'offline' }),
    ]);
    expect(registry.get({ userId: dev.userId, deviceId: 3 })).toBeUndefined();
  });

  it('refuses frames over the per-socket rate with RATE_LIMITED and keeps the socket', async () => {
    const dev = new TestDevice(newUser(), 1);
    await dev.register(stack.url);
    const ws = new WebSocket(wsUrl(`?token=${dev.token!}`));
    const w = watch(ws);
    await w.next('ready');
    for (let i = 0; i < 15; i++) ws.send(JSON.stringify({ type: 'ping', id: `p${i}` }));
    const limited = await w.next('error');
    expect(limited.code).toBe('RATE_LIMITED');
    // The dropped frame's id comes back, so a client knows which one to resend.
    expect(limited['id']).toMatch(/^p\d+$/);
    // And when to: as an HTTP 429 says it (10 frames a second: at most 100 ms).
    const retryAfterMs = (limited['details'] as { retryAfterMs: number }).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(100);
    await new Promise((r) => setTimeout(r, 300));
    const pongs = w.frames.filter((f) => f.type === 'pong').length;
    expect(pongs).toBeGreaterThanOrEqual(10);
    expect(pongs).toBeLessThan(15);
    // Refilled with time: the same socket is served again.
    ws.send(JSON.stringify({ type: 'ping', id: 'later' }));
    await new Promise((r) => setTimeout(r, 200));
    expect(w.frames).toContainEqual({ type: 'pong', id: 'later' });
    ws.close();
    await w.closed;
  });

  it('answers a send frame with UNAVAILABLE (and its id) when message-delivery is not running', async () => {
    const dev = new TestDevice(newUser(), 1);
    await dev.register(stack.url);
    const ws = new WebSocket(wsUrl(`?token=${dev.token!}`));
    const w = watch(ws);
    await w.next('ready');
    const envelope = {
      recipient: { userId: 'bob', deviceId: 1 },
      type: 'message',
      content: 'AAAA',
    };
    ws.send(
      JSON.stringify({ type: 'send', id: 'u1', clientMessageId: 'c1', envelopes: [envelope] }),
    );
    expect(await w.next('error')).toMatchObject({
      code: 'UNAVAILABLE',
      id: 'u1',
      details: { reason: 'no-responders' },
    });
    ws.close();
    await w.closed;
  });

  it('sends every socket one sync frame when a message-delivery instance starts', async () => {
    const devices = [new TestDevice(newUser(), 1), new TestDevice(newUser(), 2)];
    const sockets = [];
    for (const dev of devices) {
      await dev.register(stack.url);
      const ws = new WebSocket(wsUrl(`?token=${dev.token!}`));
      const w = watch(ws);
      await w.next('ready');
      sockets.push({ ws, w });
    }
    const subject = createSubjects(stack.namespace).mailbox.resync;
    // Malformed events are ignored; the well-formed one reaches every socket once.
    nc.publish(subject, 'not json');
    nc.publish(subject, JSON.stringify({ at: Date.now() }));
    nc.publish(subject, JSON.stringify({ instanceId: 'delivery-7', at: Date.now() }));
    await nc.flush();
    for (const { w } of sockets) expect(await w.next('sync')).toEqual({ type: 'sync' });
    // A ping answered after it: nothing else was queued before (one sync each, no more).
    for (const { ws, w } of sockets) {
      ws.send(JSON.stringify({ type: 'ping', id: 'after' }));
      await w.next('pong');
      expect(w.frames.filter((f) => f.type === 'sync')).toEqual([]);
      ws.close();
      await w.closed;
    }
  });

  it('accepts the token as the first frame', async () => {
    const dev = new TestDevice(newUser(), 1);
    await dev.register(stack.url);
    const ws = new WebSocket(wsUrl());
    const w = watch(ws);
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'auth', token: dev.token }));
    expect((await w.next('ready')).userId).toBe(dev.userId);
    ws.close();
    await w.closed;
  });

  it('refuses a bad token at the upgrade (401), in the first frame (4401) and a silent client (4401)', async () => {
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(`?token=${'B'.repeat(43)}`));
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
      });
      ws.on('open', () => {
        reject(new Error('opened'));
      });
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(401);

    const ws = new WebSocket(wsUrl());
    const w = watch(ws);
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'auth', token: 'C'.repeat(43) }));
    expect((await w.next('error')).code).toBe('UNAUTHENTICATED');
    expect((await w.closed).code).toBe(4401);

    const silent = new WebSocket(wsUrl());
    const s = watch(silent);
    expect((await s.closed).code).toBe(4401);
    expect(stack.gateway.app.get(ConnectionRegistry).size).toBe(0);
  });

  it('keeps one socket per device: a new connection replaces the old (4409)', async () => {
    const dev = new TestDevice(newUser(), 1);
    await dev.register(stack.url);
    const first = new WebSocket(wsUrl(`?token=${dev.token!}`));
    const f = watch(first);
    await f.next('ready');
    const second = new WebSocket(wsUrl(`?token=${dev.token!}`));
    const s = watch(second);
    await s.next('ready');
    expect((await f.closed).code).toBe(4409);
    const registry = stack.gateway.app.get(ConnectionRegistry);
    // The old socket's close did not evict its successor.
    expect(registry.get({ userId: dev.userId, deviceId: 1 })).toBeDefined();
    second.close();
    await s.closed;
    expect(registry.get({ userId: dev.userId, deviceId: 1 })).toBeUndefined();
  });
});
