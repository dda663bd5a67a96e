/** The live connection's reconnect policy: exponential backoff with full jitter, capped. */
import type { WebSocketLike } from '../src/node';
import { LiveConnection } from '../src/lib/transport/live-connection';

class FakeSocket implements WebSocketLike {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: string[] = [];
  send(data: string): void {
    this.sent.push(data);
  }
  close(code = 1000): void {
    this.onclose?.({ code });
  }
}

describe('LiveConnection', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('authenticates with a first frame, then reconnects with capped exponential backoff and jitter', async () => {
    const sockets: { socket: FakeSocket; at: number }[] = [];
    let tokens = 0;
    let unauthenticated = 0;
    const connection = new LiveConnection(
      'ws://gateway/v1/ws',
      () => {
        const socket = new FakeSocket();
        sockets.push({ socket, at: Date.now() });
        setTimeout(() => {
          socket.onopen?.({});
          // Only the first socket gets in; the gateway "refuses" the rest.
          if (sockets.length === 1) {
            socket.onmessage?.({
              data: JSON.stringify({ type: 'ready', userId: 'a', deviceId: 1 }),
            });
          } else socket.close(sockets.length === 2 ? 4401 : 1006);
        }, 0);
        return socket;
      },
      {
        token: () => Promise.resolve(`token-${++tokens}`),
        onReady: () => undefined,
        onFrame: () => undefined,
        onDisconnect: () => undefined,
        onBadFrame: () => undefined,
        onUnauthenticated: () => {
          unauthenticated++;
        },
      },
      { initialDelayMs: 100, maxDelayMs: 1000 },
      () => 0.5,
    );
    const started = connection.start();
    await jest.advanceTimersByTimeAsync(0);
    await started;
    expect(JSON.parse(sockets[0]!.socket.sent[0]!)).toEqual({ type: 'auth', token: 'token-1' });

    sockets[0]!.socket.close(1006);
    await jest.advanceTimersByTimeAsync(10_000);
    connection.close();
    const gaps = sockets.slice(1).map((s, i) => s.at - sockets[i]!.at);
    // Half (the jitter) of 100, 200, 400, 800, then of the 1000 cap; each refused socket
    // closes 1 ms (a zero timeout) after it was made.
    expect(gaps.slice(0, 6)).toEqual([50, 101, 201, 401, 501, 501]);
    expect(unauthenticated).toBe(1);
    expect(tokens).toBe(sockets.length);
    const count = sockets.length;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(sockets.length).toBe(count);
  });

  it('rejects start() when the first attempt fails, and tries no more', async () => {
    let attempts = 0;
    const connection = new LiveConnection(
      'ws://gateway/v1/ws',
      () => {
        attempts++;
        throw new Error('offline');
      },
      {
        token: () => Promise.resolve('t'),
        onReady: () => undefined,
        onFrame: () => undefined,
        onDisconnect: () => undefined,
        onBadFrame: () => undefined,
        onUnauthenticated: () => undefined,
      },
    );
    await expect(connection.start()).rejects.toThrow('offline');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(attempts).toBe(1);
  });

  it('carries sends once ready: replies matched by id; none when closed, dropped or silent', async () => {
    const sockets: FakeSocket[] = [];
    const frames: unknown[] = [];
    const connection = new LiveConnection(
      'ws://gateway/v1/ws',
      () => {
        const socket = new FakeSocket();
        sockets.push(socket);
        setTimeout(() => {
          socket.onopen?.({});
          socket.onmessage?.({
            data: JSON.stringify({ type: 'ready', userId: 'a', deviceId: 1 }),
          });
        }, 0);
        return socket;
      },
      {
        token: () => Promise.resolve('t'),
        onReady: () => undefined,
        onFrame: (frame) => frames.push(frame),
        onDisconnect: () => undefined,
        onBadFrame: () => undefined,
        onUnauthenticated: () => undefined,
      },
      { initialDelayMs: 100, maxDelayMs: 100 },
      () => 0,
    );
    // Not connected yet: the caller uses HTTP.
    expect(await connection.request({ type: 'send', clientMessageId: 'c0' })).toBeUndefined();
    const started = connection.start();
    await jest.advanceTimersByTimeAsync(0);
    await started;
    const socket = sockets[0]!;
    const reply = (frame: object) => {
      socket.onmessage?.({ data: JSON.stringify(frame) });
    };

    const first = connection.request({ type: 'send', clientMessageId: 'c1' });
    const second = connection.request({ type: 'send-group', groupId: 'g', clientMessageId: 'c2' });
    const [f1, f2] = socket.sent.slice(1).map((d) => JSON.parse(d) as { id: string });
    expect(f1).toMatchObject({ type: 'send', clientMessageId: 'c1' });
    expect(f2).toMatchObject({ type: 'send-group', groupId: 'g', clientMessageId: 'c2' });
    expect(f1!.id).not.toBe(f2!.id);
    // Answered out of order, each reaches its own caller (and not the frame handler).
    reply({ type: 'error', id: f2!.id, code: 'EPOCH_CONFLICT', message: 'stale' });
    reply({
      type: 'sent',
      id: f1!.id,
      clientMessageId: 'c1',
      storedAt: 5,
      recipients: 1,
      deduplicated: false,
    });
    expect(await first).toMatchObject({ type: 'sent', clientMessageId: 'c1' });
    expect(await second).toMatchObject({ type: 'error', code: 'EPOCH_CONFLICT' });
    // An error frame that answers no send still goes to the client.
    reply({ type: 'error', code: 'RATE_LIMITED', message: 'too many frames' });
    expect(frames).toEqual([{ type: 'error', code: 'RATE_LIMITED', message: 'too many frames' }]);

    // No answer in time, then a drop: both settle without a reply.
    const silent = connection.request({ type: 'send', clientMessageId: 'c3' }, 1000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(await silent).toBeUndefined();
    const dropped = connection.request({ type: 'send', clientMessageId: 'c4' });
    socket.close(1006);
    expect(await dropped).toBeUndefined();
    expect(await connection.request({ type: 'send', clientMessageId: 'c5' })).toBeUndefined();
    connection.close();
  });
});
