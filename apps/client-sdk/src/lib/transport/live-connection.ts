/**
 * The live WebSocket (/v1/ws): authenticates with a first `auth` frame (no token in the
 * URL, so none in access logs), hands every server frame to the client, and reconnects
 * after a drop with exponential backoff and full jitter until closed. Each (re)connection
 * that reaches `ready` calls `onReady`, where the client drains its mailbox. While ready, it
 * also carries sends (`send`/`send-group` frames, matched to their `sent`/`error` reply by id).
 */
import type { ServerFrame } from '@parley/contracts';
import { ServerFrameSchema } from '@parley/contracts';

/** The browser WebSocket surface the SDK needs (the `ws` package has it too). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export { ServerFrameSchema };
export type { ServerFrame };

export interface ReconnectPolicy {
  /** First retry delay (ms); doubles per failed attempt up to maxDelayMs. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialDelayMs: 250, maxDelayMs: 30_000 };

/** A send frame without its id (the connection assigns one). */
export type LiveSendFrame = { readonly type: 'send' | 'send-group' } & Record<string, unknown>;
/** The gateway's answer to a send frame. */
export type SendReplyFrame = Extract<ServerFrame, { type: 'sent' | 'error' }>;

/** How long a send waits for its reply before the caller falls back to HTTP. */
export const DEFAULT_SEND_REPLY_TIMEOUT_MS = 15_000;

export interface LiveHandlers {
  token(): Promise<string>;
  onReady(): void;
  onFrame(frame: ServerFrame): void;
  onDisconnect(reason: string): void;
  onBadFrame(detail: string): void;
  /** The gateway refused the token (expired or revoked): the next attempt logs in again. */
  onUnauthenticated(): void;
}

/** Close code of a refused token (the gateway's CLOSE_UNAUTHENTICATED). */
const CLOSE_UNAUTHENTICATED = 4401;

export class LiveConnection {
  private socket: WebSocketLike | undefined;
  private closed = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstReady: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** The socket once it is authenticated (`ready`), until it closes. */
  private readySocket: WebSocketLike | undefined;
  private nextSendId = 0;
  private readonly pendingSends = new Map<
    string,
    { settle: (reply: SendReplyFrame | undefined) => void; timer: ReturnType<typeof setTimeout> }
  >();

  constructor(
    private readonly url: string,
    private readonly factory: WebSocketFactory,
    private readonly handlers: LiveHandlers,
    private readonly policy: ReconnectPolicy = DEFAULT_RECONNECT,
    private readonly random: () => number = Math.random,
  ) {}

  get connected(): boolean {
    return this.socket !== undefined && this.attempt === 0;
  }

  /** Resolves at the first `ready`; rejects if the first attempt fails. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstReady = { resolve, reject };
      void this.open();
    });
  }

  /**
   * Sends `frame` with a fresh id; resolves with its `sent` or `error` reply, or undefined when
   * the socket is not ready, closes first, or no reply comes within `timeoutMs`. On undefined
   * the caller sends over HTTP: with the same clientMessageId, a send that did arrive is
   * answered as a duplicate, not stored twice.
   */
  request(
    frame: LiveSendFrame,
    timeoutMs = DEFAULT_SEND_REPLY_TIMEOUT_MS,
  ): Promise<SendReplyFrame | undefined> {
    const socket = this.readySocket;
    if (!socket) return Promise.resolve(undefined);
    const id = `s${++this.nextSendId}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settleSend(id, undefined);
      }, timeoutMs);
      this.pendingSends.set(id, { settle: resolve, timer });
      try {
        socket.send(JSON.stringify({ ...frame, id }));
      } catch {
        this.settleSend(id, undefined);
      }
    });
  }

  private settleSend(id: string, reply: SendReplyFrame | undefined): boolean {
    const pending = this.pendingSends.get(id);
    if (!pending) return false;
    this.pendingSends.delete(id);
    clearTimeout(pending.timer);
    pending.settle(reply);
    return true;
  }

  send(frame: unknown): boolean {
    if (!this.socket) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.readySocket = undefined;
    for (const id of [...this.pendingSends.keys()]) this.settleSend(id, undefined);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'client closed');
  }

  /** Drops the current socket as if the network failed (tests; also "reconnect now"). */
  drop(): void {
    this.socket?.close(4000, 'dropped by client');
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    let token: string;
    try {
      token = await this.handlers.token();
    } catch (error) {
      this.failed(error as Error);
      return;
    }
    // close() may have run while the token was fetched.
    if (this.isClosed()) return;
    let socket: WebSocketLike;
    try {
      socket = this.factory(this.url);
    } catch (error) {
      this.failed(error as Error);
      return;
    }
    this.socket = socket;
    let ready = false;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'auth', token }));
    };
    socket.onmessage = (event) => {
      const parsed = parseFrame(event.data);
      if (!parsed.success) {
        this.handlers.onBadFrame(parsed.error);
        return;
      }
      const frame = parsed.frame;
      if (frame.type === 'ready' && !ready) {
        ready = true;
        this.readySocket = socket;
        this.attempt = 0;
        this.firstReady?.resolve();
        this.firstReady = undefined;
        this.handlers.onReady();
        return;
      }
      if ((frame.type === 'sent' || frame.type === 'error') && frame.id !== undefined) {
        if (this.settleSend(frame.id, frame)) return;
      }
      this.handlers.onFrame(frame);
    };
    socket.onerror = () => {
      // onclose follows and decides.
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.socket = undefined;
      if (this.readySocket === socket) {
        this.readySocket = undefined;
        for (const id of [...this.pendingSends.keys()]) this.settleSend(id, undefined);
      }
      if (event.code === CLOSE_UNAUTHENTICATED) this.handlers.onUnauthenticated();
      if (this.closed) return;
      const reason = `socket closed (${event.code ?? 'no code'}${event.reason ? `: ${event.reason}` : ''})`;
      this.handlers.onDisconnect(reason);
      this.failed(new Error(reason));
    };
  }

  private failed(error: Error): void {
    if (this.closed) return;
    if (this.firstReady) {
      this.firstReady.reject(error);
      this.firstReady = undefined;
      this.closed = true;
      return;
    }
    const ceiling = Math.min(
      this.policy.maxDelayMs,
      this.policy.initialDelayMs * 2 ** this.attempt,
    );
    this.attempt++;
    // Full jitter: clients dropped together do not come back together.
    const delay = Math.floor(this.random() * ceiling);
    this.timer = setTimeout(() => void this.open(), delay);
  }
}

function parseFrame(
  data: unknown,
): { success: true; frame: ServerFrame } | { success: false; error: string } {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof Uint8Array) text = new TextDecoder().decode(data);
  else if (data instanceof ArrayBuffer) text = new TextDecoder().decode(new Uint8Array(data));
  else return { success: false, error: 'not a text frame' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { success: false, error: 'frame is not JSON' };
  }
  const parsed = ServerFrameSchema.safeParse(json);
  if (!parsed.success) return { success: false, error: 'unknown frame' };
  return { success: true, frame: parsed.data };
}
