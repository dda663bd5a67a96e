/**
 * APNs over HTTP/2 (node:http2): `POST /3/device/<token>` with an ES256 provider token
 * (`authorization: bearer <jwt>`, key id and team id from the .p8 key). One HTTP/2 session
 * per APNs host, reopened when it closes. The wake-up is a background push
 * (`content-available`), priority 5 as Apple requires for those, collapsed by id.
 */
import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import { connect, constants } from 'node:http2';
import type { KeyObject } from 'node:crypto';
import { createPrivateKey } from 'node:crypto';
import type { EndpointOf, PushProvider, PushResult, WakeUp } from './push-provider';
import { retryAfterMs } from './push-provider';
import { CachedToken, signJwt } from './provider-token';

export interface ApnsSettings {
  readonly keyId: string;
  readonly teamId: string;
  /** PEM of the .p8 key (P-256). */
  readonly privateKey: string;
  readonly productionUrl: string;
  readonly sandboxUrl: string;
  readonly ttlSeconds: number;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/** Apple refuses tokens older than an hour and refreshes more often than every 20 minutes. */
const TOKEN_LIFETIME_MS = 50 * 60 * 1000;
export const APNS_COLLAPSE_ID = 'parley-wakeup';

interface ApnsAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly reason: string | undefined;
}

export class ApnsProvider implements PushProvider<'apns'> {
  readonly name = 'apns';
  private readonly key: KeyObject;
  private readonly token: CachedToken;
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private readonly now: () => number;

  constructor(private readonly settings: ApnsSettings) {
    this.key = createPrivateKey(settings.privateKey);
    this.now = settings.now ?? Date.now;
    this.token = new CachedToken(
      () =>
        Promise.resolve({
          value: signJwt(
            'ES256',
            this.key,
            { iss: settings.teamId, iat: Math.floor(this.now() / 1000) },
            { kid: settings.keyId },
          ),
          lifetimeMs: TOKEN_LIFETIME_MS,
        }),
      this.now,
    );
  }

  async send(endpoint: EndpointOf<'apns'>, wakeup: WakeUp): Promise<PushResult> {
    const origin =
      endpoint.environment === 'production'
        ? this.settings.productionUrl
        : this.settings.sandboxUrl;
    const jwt = await this.token.get();
    const body = JSON.stringify({ aps: { 'content-available': 1 }, parley: wakeup });
    let answer: ApnsAnswer;
    try {
      answer = await this.post(origin, endpoint.token.toLowerCase(), {
        authorization: `bearer ${jwt}`,
        'apns-topic': endpoint.topic,
        'apns-push-type': 'background',
        'apns-priority': '5',
        'apns-expiration': String(Math.floor(this.now() / 1000) + this.settings.ttlSeconds),
        'apns-collapse-id': APNS_COLLAPSE_ID,
        body,
      });
    } catch (error) {
      return { kind: 'retryable', reason: `network: ${(error as Error).name}` };
    }
    return this.classify(answer, jwt);
  }

  /** Apple's documented status codes and reasons. */
  private classify(answer: ApnsAnswer, jwt: string): PushResult {
    const { status } = answer;
    const reason = `http ${status}${answer.reason ? ` ${answer.reason}` : ''}`;
    if (status === 200) return { kind: 'delivered' };
    if (status === 410 || status === 404) return { kind: 'endpoint-gone', reason };
    if (
      status === 400 &&
      (answer.reason === 'BadDeviceToken' || answer.reason === 'DeviceTokenNotForTopic')
    ) {
      return { kind: 'endpoint-gone', reason };
    }
    if (status === 403 && answer.reason === 'ExpiredProviderToken') {
      this.token.invalidate(jwt);
      return { kind: 'retryable', reason };
    }
    if (status === 429 || status >= 500) {
      const after = retryAfterMs(single(answer.headers['retry-after']));
      return after === undefined
        ? { kind: 'retryable', reason }
        : { kind: 'retryable', reason, retryAfterMs: after };
    }
    return { kind: 'rejected', reason };
  }

  private post(
    origin: string,
    token: string,
    request: Record<string, string> & { body: string },
  ): Promise<ApnsAnswer> {
    const { body, ...headers } = request;
    const session = this.session(origin);
    return new Promise<ApnsAnswer>((resolve, reject) => {
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: `/3/device/${token}`,
        'content-type': 'application/json',
        ...headers,
      });
      stream.setTimeout(this.settings.timeoutMs, () => {
        stream.close(constants.NGHTTP2_CANCEL);
        reject(new Error('APNs request timed out'));
      });
      let responseHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => (responseHeaders = h));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', reject);
      stream.on('end', () => {
        const status = Number(responseHeaders[constants.HTTP2_HEADER_STATUS] ?? 0);
        resolve({ status, headers: responseHeaders, reason: reasonOf(Buffer.concat(chunks)) });
      });
      stream.end(body);
    });
  }

  private session(origin: string): ClientHttp2Session {
    const open = this.sessions.get(origin);
    if (open && !open.closed && !open.destroyed) return open;
    const session = connect(origin);
    // Errors surface on the streams; a broken session is dropped and reopened next time.
    session.on('error', () => {
      this.drop(origin, session);
    });
    session.on('close', () => {
      this.drop(origin, session);
    });
    session.on('goaway', () => {
      this.drop(origin, session);
    });
    session.unref();
    this.sessions.set(origin, session);
    return session;
  }

  private drop(origin: string, session: ClientHttp2Session): void {
    if (this.sessions.get(origin) === session) this.sessions.delete(origin);
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(
      sessions.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.closed) resolve();
            else s.close(resolve);
          }),
      ),
    );
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** APNs error bodies are `{"reason": "..."}`. */
function reasonOf(body: Buffer): string | undefined {
  if (body.length === 0) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { reason?: unknown };
    return typeof parsed.reason === 'string' ? parsed.reason.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}
