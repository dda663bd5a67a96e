/** A test client of the live WebSocket: collects frames, waits for one by type. */
import WebSocket from 'ws';

export interface Frame {
  type: string;
  [k: string]: unknown;
}

export interface LiveClient {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The first unconsumed frame of `type` (matching `where`), waiting up to `timeoutMs`. */
  next(type: string, where?: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  send(frame: unknown): void;
  close(): Promise<void>;
}

export function watch(ws: WebSocket): LiveClient {
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
  const next = async (
    type: string,
    where: (f: Frame) => boolean = () => true,
    timeoutMs = 5000,
  ) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = frames.find((f) => f.type === type && where(f));
      if (found) {
        frames.splice(frames.indexOf(found), 1);
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${type} frame within ${timeoutMs} ms: ${JSON.stringify(frames)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  };
  return {
    ws,
    frames,
    closed,
    next,
    send: (frame) => {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    close: async () => {
      ws.close();
      await closed;
    },
  };
}

/** Connects with the token in the query and waits for `ready`. */
export async function connectLive(baseUrl: string, token: string): Promise<LiveClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws?token=${token}`);
  const client = watch(ws);
  await client.next('ready');
  return client;
}
