/**
 * A lean JSON client over keep-alive node:http sockets (fetch costs several times the CPU
 * per request, and the generator shares the machine with the services it measures).
 */
import { Agent, request } from 'node:http';

export interface JsonResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** Request body bytes sent (what a device uploads, headers aside). */
  readonly sentBytes: number;
}

export class HttpStatusError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${method} ${path}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
    this.name = 'HttpStatusError';
  }
}

export class JsonClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets = 64) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
  }

  /** Any status; the body parsed as JSON (or undefined when empty). */
  send<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<JsonResponse<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {};
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    if (token) headers['authorization'] = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T, sentBytes: payload?.length ?? 0 });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like `send`, but a non-2xx status is an HttpStatusError. */
  async json<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const res = await this.send<T>(method, path, body, token);
    if (res.status < 200 || res.status >= 300) throw new HttpStatusError(method, path, res.status, res.body);
    return res.body;
  }

  close(): void {
    this.agent.destroy();
  }
}
