/**
 * One interface for every push service. A provider sends a content-free wake-up to one
 * registered endpoint and says what happened in a typed result; it never throws for an
 * answer of the push service (only for bugs).
 */
import type { PushEndpoint } from '@parley/contracts';

export type PushProviderName = PushEndpoint['provider'];

/** The endpoint of one provider, as the registration stored it. */
export type EndpointOf<P extends PushProviderName> = Extract<PushEndpoint, { provider: P }>;

/**
 * What a push says: only that the device has mail waiting. No sender, no message id, no
 * content: the device wakes, connects and fetches its mailbox over its own session.
 */
export interface WakeUp {
  readonly type: 'wakeup';
  /** Payload format version, so clients can tell future formats apart. */
  readonly v: 1;
}

export const WAKE_UP: WakeUp = Object.freeze({ type: 'wakeup', v: 1 });

export type PushResult =
  /** The push service accepted the wake-up. */
  | { readonly kind: 'delivered' }
  /** The endpoint no longer exists (uninstalled app, expired subscription): drop it. */
  | { readonly kind: 'endpoint-gone'; readonly reason: string }
  /** Try again later (network, throttling, the service's own outage). */
  | { readonly kind: 'retryable'; readonly reason: string; readonly retryAfterMs?: number }
  /** Refused in a way a retry cannot fix (configuration, payload, a malformed endpoint). */
  | { readonly kind: 'rejected'; readonly reason: string };

export interface PushProvider<P extends PushProviderName = PushProviderName> {
  readonly name: P;
  send(endpoint: EndpointOf<P>, wakeup: WakeUp): Promise<PushResult>;
  /** Releases connections (HTTP/2 sessions) at shutdown. */
  close?(): Promise<void>;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds (undefined when absent or bad). */
export function retryAfterMs(
  header: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A token or URL shortened for logs: enough to tell two apart, too little to use. */
export function redact(value: string): string {
  return value.length <= 12 ? '***' : `${value.slice(0, 6)}...${value.slice(-4)}`;
}
