/**
 * Web Push (RFC 8030) through the `web-push` library: the payload is encrypted to the
 * subscription's keys (RFC 8291, aes128gcm) and the request carries a VAPID JWT (RFC 8292).
 * A `Topic` lets the push service replace an undelivered wake-up with the next one.
 */
import { Agent } from 'node:https';
import type { RequestOptions } from 'web-push';
import { sendNotification, WebPushError } from 'web-push';
import type { EndpointOf, PushProvider, PushResult, WakeUp } from './push-provider';
import { retryAfterMs } from './push-provider';
import { isAllowedPushHost } from './web-push-hosts';

export interface WebPushSettings {
  readonly vapidPublicKey: string;
  readonly vapidPrivateKey: string;
  readonly subject: string;
  readonly ttlSeconds: number;
  readonly timeoutMs: number;
  /** Extra trusted CA certificates (PEM) for push services. */
  readonly caCerts?: string | undefined;
  /** Push service hosts endpoints may point at (see web-push-hosts.ts). */
  readonly allowedHosts: readonly string[];
}

export const WAKE_UP_TOPIC = 'parley-wakeup';

export class WebPushProvider implements PushProvider<'webpush'> {
  readonly name = 'webpush';
  private readonly agent: Agent;

  constructor(private readonly settings: WebPushSettings) {
    this.agent = new Agent({
      keepAlive: true,
      ...(settings.caCerts ? { ca: settings.caCerts } : {}),
    });
  }

  /** Registrations are checked too; this catches rows stored before the list changed. */
  allows(endpoint: string): boolean {
    return isAllowedPushHost(endpoint, this.settings.allowedHosts);
  }

  async send(endpoint: EndpointOf<'webpush'>, wakeup: WakeUp): Promise<PushResult> {
    if (!this.allows(endpoint.endpoint)) {
      return { kind: 'rejected', reason: 'push service host not allowed' };
    }
    const options: RequestOptions = {
      vapidDetails: {
        subject: this.settings.subject,
        publicKey: this.settings.vapidPublicKey,
        privateKey: this.settings.vapidPrivateKey,
      },
      TTL: this.settings.ttlSeconds,
      urgency: 'high',
      topic: WAKE_UP_TOPIC,
      contentEncoding: 'aes128gcm',
      timeout: this.settings.timeoutMs,
      agent: this.agent,
    };
    try {
      await sendNotification(
        { endpoint: endpoint.endpoint, keys: endpoint.keys },
        JSON.stringify(wakeup),
        options,
      );
      return { kind: 'delivered' };
    } catch (error) {
      if (error instanceof WebPushError) return classify(error);
      // Network failure, timeout, TLS error: the push service may be back shortly.
      return { kind: 'retryable', reason: `network: ${(error as Error).name}` };
    }
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

/** RFC 8030 section 8 and the push services' documented answers. */
function classify(error: WebPushError): PushResult {
  const status = error.statusCode;
  const reason = `http ${status}`;
  if (status === 404 || status === 410) return { kind: 'endpoint-gone', reason };
  if (status === 429 || status >= 500) {
    const after = retryAfterMs(header(error.headers, 'retry-after'));
    return after === undefined
      ? { kind: 'retryable', reason }
      : { kind: 'retryable', reason, retryAfterMs: after };
  }
  // 400 bad request, 401/403 VAPID refused, 413 payload too large: retrying changes nothing.
  return { kind: 'rejected', reason };
}

function header(headers: WebPushError['headers'], name: string): string | undefined {
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}
