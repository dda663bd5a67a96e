/**
 * Signed JWTs for provider authentication (APNs ES256 provider tokens, Google's RS256
 * service-account assertions), built with node:crypto. ES256 signatures are the raw
 * r || s form JOSE wants (RFC 7518 section 3.4), not DER.
 */
import type { KeyObject } from 'node:crypto';
import { sign } from 'node:crypto';

export type JwtAlgorithm = 'ES256' | 'RS256';

export function signJwt(
  algorithm: JwtAlgorithm,
  key: KeyObject,
  claims: Record<string, unknown>,
  extraHeader: Record<string, string> = {},
): string {
  const header = { alg: algorithm, typ: 'JWT', ...extraHeader };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature =
    algorithm === 'ES256'
      ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * A value that is expensive or rate-limited to make, reused until it is `maxAgeMs` old or
 * invalidated (after the service said it expired). Concurrent callers share one refresh.
 */
export class CachedToken {
  private current: { value: string; expiresAt: number } | undefined;
  private refreshing: Promise<string> | undefined;

  constructor(
    private readonly make: () => Promise<{ value: string; lifetimeMs: number }>,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<string> {
    if (this.current && this.now() < this.current.expiresAt) return this.current.value;
    this.refreshing ??= (async () => {
      try {
        const { value, lifetimeMs } = await this.make();
        this.current = { value, expiresAt: this.now() + lifetimeMs };
        return value;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Forget `value` (the service refused it); a newer one is left alone. */
  invalidate(value: string): void {
    if (this.current?.value === value) this.current = undefined;
  }
}
