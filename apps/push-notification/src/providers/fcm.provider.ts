/**
 * FCM HTTP v1: `POST <base>/v1/projects/<project>/messages:send` with an OAuth 2.0 bearer
 * token. The token comes from Google's token endpoint for a signed service-account
 * assertion (RFC 7523 JWT bearer grant, RS256), cached until shortly before it expires.
 * The wake-up is a data-only message (no notification block: nothing is shown without the
 * app), high priority so Android delivers it to a dozing device, collapsed by key.
 */
import type { KeyObject } from 'node:crypto';
import { createPrivateKey } from 'node:crypto';
import type { EndpointOf, PushProvider, PushResult, WakeUp } from './push-provider';
import { retryAfterMs } from './push-provider';
import { CachedToken, signJwt } from './provider-token';

export interface FcmSettings {
  readonly projectId: string;
  readonly clientEmail: string;
  /** PEM of the service account's RSA key. */
  readonly privateKey: string;
  readonly baseUrl: string;
  readonly tokenUrl: string;
  readonly ttlSeconds: number;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
export const FCM_COLLAPSE_KEY = 'parley-wakeup';
/** Refresh this long before Google's stated expiry. */
const TOKEN_MARGIN_MS = 5 * 60 * 1000;

/** An answer of the token endpoint that is not a token (the caller retries later). */
class TokenError extends Error {
  constructor(readonly status: number) {
    super(`token endpoint answered ${status}`);
  }
  override get name(): string {
    return 'TokenError';
  }
}

export class FcmProvider implements PushProvider<'fcm'> {
  readonly name = 'fcm';
  private readonly key: KeyObject;
  private readonly token: CachedToken;
  private readonly now: () => number;

  constructor(private readonly settings: FcmSettings) {
    this.key = createPrivateKey(settings.privateKey);
    this.now = settings.now ?? Date.now;
    this.token = new CachedToken(() => this.fetchAccessToken(), this.now);
  }

  async send(endpoint: EndpointOf<'fcm'>, wakeup: WakeUp): Promise<PushResult> {
    let accessToken: string;
    try {
      accessToken = await this.token.get();
    } catch (error) {
      return { kind: 'retryable', reason: `oauth: ${(error as Error).message}` };
    }
    const url = `${this.settings.baseUrl}/v1/projects/${encodeURIComponent(this.settings.projectId)}/messages:send`;
    const message = {
      message: {
        token: endpoint.token,
        data: { type: wakeup.type, v: String(wakeup.v) },
        android: {
          priority: 'high',
          collapse_key: FCM_COLLAPSE_KEY,
          ttl: `${this.settings.ttlSeconds}s`,
        },
        apns: {
          headers: { 'apns-priority': '5', 'apns-push-type': 'background' },
          payload: { aps: { 'content-available': 1 } },
        },
        webpush: { headers: { Urgency: 'high', Topic: FCM_COLLAPSE_KEY } },
      },
    };
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${accessToken}`,
          'content-type': 'application/json; charset=utf-8',
        },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (error) {
      return { kind: 'retryable', reason: `network: ${(error as Error).name}` };
    }
    const status = await fcmStatus(response);
    return this.classify(response, status, accessToken);
  }

  /** https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode */
  private classify(
    response: Response,
    errorCode: string | undefined,
    accessToken: string,
  ): PushResult {
    const status = response.status;
    const reason = `http ${status}${errorCode ? ` ${errorCode}` : ''}`;
    if (response.ok) return { kind: 'delivered' };
    if (status === 404 || status === 410 || errorCode === 'UNREGISTERED') {
      return { kind: 'endpoint-gone', reason };
    }
    // The token belongs to another Firebase project: it can never work for this one.
    if (errorCode === 'SENDER_ID_MISMATCH') return { kind: 'endpoint-gone', reason };
    if (status === 401) {
      this.token.invalidate(accessToken);
      return { kind: 'retryable', reason };
    }
    if (status === 429 || status >= 500) {
      const after = retryAfterMs(response.headers.get('retry-after'));
      return after === undefined
        ? { kind: 'retryable', reason }
        : { kind: 'retryable', reason, retryAfterMs: after };
    }
    return { kind: 'rejected', reason };
  }

  private async fetchAccessToken(): Promise<{ value: string; lifetimeMs: number }> {
    const iat = Math.floor(this.now() / 1000);
    const assertion = signJwt('RS256', this.key, {
      iss: this.settings.clientEmail,
      scope: FCM_SCOPE,
      aud: this.settings.tokenUrl,
      iat,
      exp: iat + 3600,
    });
    const response = await fetch(this.settings.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion,
      }).toString(),
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    if (!response.ok) throw new TokenError(response.status);
    const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string' || body.access_token.length === 0) {
      throw new TokenError(response.status);
    }
    const expiresInMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    return { value: body.access_token, lifetimeMs: Math.max(0, expiresInMs - TOKEN_MARGIN_MS) };
  }
}

/** The `errorCode` of FCM's error details, when the body has one. */
async function fcmStatus(response: Response): Promise<string | undefined> {
  if (response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  try {
    const body = (await response.json()) as {
      error?: { status?: unknown; details?: { errorCode?: unknown }[] };
    };
    const detail = body.error?.details?.find((d) => typeof d.errorCode === 'string');
    const code = detail?.errorCode ?? body.error?.status;
    return typeof code === 'string' ? code.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}
