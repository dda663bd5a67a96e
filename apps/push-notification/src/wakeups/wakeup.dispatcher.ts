/**
 * Turns one `stored-for-offline-device` event into at most one wake-up per registration of
 * the device and coalescing window. What it returns decides the event's fate: it resolves
 * when every claimed registration was pushed, dropped or deliberately skipped (the event is
 * acked), and throws PushRetryError when a push failed transiently (the event is nak'ed and
 * comes back; the claim was given back, so the retry is not coalesced away).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress, EventOf } from '@parley/contracts';
import { Events } from '@parley/contracts';
import { PARLEY_CONFIG, PARLEY_LOGGER, pushResults } from '@parley/server-kit';
import type { Logger } from 'pino';
import type { PushNotificationConfig } from '../app/push-notification.config';
import { PushProviders } from '../providers/push-providers';
import type { PushResult } from '../providers/push-provider';
import { redact, WAKE_UP } from '../providers/push-provider';
import type { ClaimedRegistration } from '../registrations/registrations.repository';
import { RegistrationsRepository } from '../registrations/registrations.repository';

export type StoredForOfflineDevice = EventOf<typeof Events.delivery.storedForOfflineDevice>;

export type PushOutcome = PushResult['kind'] | 'provider-disabled';

/** A push service asking for more than this is not waited for longer. */
const MAX_RETRY_AFTER_MS = 15 * 60 * 1000;

export interface WakeUpReport {
  /** Registrations inside their coalescing window, or none at all: nothing was sent. */
  readonly coalescedOrUnregistered: boolean;
  /** The event was older than PUSH_TTL_SECONDS: skipped. */
  readonly stale: boolean;
  readonly outcomes: readonly PushOutcome[];
}

/**
 * At least one push failed transiently: the event must come back, after the longest
 * Retry-After a push service gave (the consumer naks with `retryAfterMs`), or the
 * configured delay.
 */
export class PushRetryError extends Error {
  constructor(
    readonly failures: number,
    readonly retryAfterMs: number,
  ) {
    super(`${failures} push(es) failed transiently`);
  }
  override get name(): string {
    return 'PushRetryError';
  }
}

@Injectable()
export class WakeUpDispatcher {
  constructor(
    @Inject(RegistrationsRepository) private readonly registrations: RegistrationsRepository,
    @Inject(PushProviders) private readonly providers: PushProviders,
    @Inject(PARLEY_CONFIG) private readonly config: PushNotificationConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  async handle(event: StoredForOfflineDevice, now = Date.now()): Promise<WakeUpReport> {
    // Older than a push may live at the provider (a first deployment replaying the stream,
    // a long outage): the device has connected since or the push would expire anyway.
    if (now - event.at > this.config.PUSH_TTL_SECONDS * 1000) {
      return { coalescedOrUnregistered: false, stale: true, outcomes: [] };
    }
    const claims = await this.registrations.claimDue(
      event.recipient,
      this.config.PUSH_COALESCE_WINDOW_MS,
    );
    if (claims.length === 0) return { coalescedOrUnregistered: true, stale: false, outcomes: [] };
    const results = await Promise.all(claims.map((claim) => this.pushOne(claim)));
    const retries = results.filter((r) => r.kind === 'retryable');
    if (retries.length > 0) {
      const asked = Math.max(0, ...retries.map((r) => r.retryAfterMs ?? 0));
      throw new PushRetryError(
        retries.length,
        Math.min(Math.max(asked, this.config.PUSH_RETRY_DELAY_MS), MAX_RETRY_AFTER_MS),
      );
    }
    return { coalescedOrUnregistered: false, stale: false, outcomes: results.map((r) => r.kind) };
  }

  private async pushOne(
    claim: ClaimedRegistration,
  ): Promise<{ kind: PushOutcome; retryAfterMs?: number | undefined }> {
    const provider = this.providers.get(claim.endpoint.provider);
    const log = this.logger.child({
      device: deviceLabel(claim.device),
      provider: claim.endpoint.provider,
      endpoint: endpointLabel(claim),
    });
    if (!provider) {
      // Registered while the provider was configured; the claim stays, so this is logged
      // once per window rather than once per message.
      pushResults.inc({ provider: claim.endpoint.provider, result: 'provider-disabled' });
      log.warn('push provider not configured: wake-up skipped');
      return { kind: 'provider-disabled' };
    }
    let result: PushResult;
    try {
      result = await provider.send(claim.endpoint, WAKE_UP);
    } catch (error) {
      // A provider bug, not an answer of the push service: treat as transient.
      log.error({ err: { type: (error as Error).name } }, 'push provider threw');
      result = { kind: 'retryable', reason: 'provider error' };
    }
    pushResults.inc({ provider: claim.endpoint.provider, result: result.kind });
    switch (result.kind) {
      case 'delivered':
        await this.registrations.recordDelivered(claim);
        log.info('wake-up pushed');
        break;
      case 'endpoint-gone':
        await this.registrations.removeEndpoint(claim);
        log.info({ reason: result.reason }, 'push endpoint gone: registration removed');
        break;
      case 'retryable':
        await this.registrations.release(claim);
        log.warn({ reason: result.reason }, 'push failed transiently; the event will come back');
        break;
      case 'rejected': {
        const dropped = await this.registrations.recordRejected(
          claim,
          this.config.PUSH_MAX_REJECTED,
        );
        log.warn(
          { reason: result.reason, dropped },
          dropped ? 'push rejected too often: registration removed' : 'push rejected',
        );
        break;
      }
    }
    return result.kind === 'retryable'
      ? { kind: result.kind, retryAfterMs: result.retryAfterMs }
      : { kind: result.kind };
  }
}

function deviceLabel(device: DeviceAddress): string {
  return `${device.userId}/${device.deviceId}`;
}

/** Web Push: the push service's host only; APNs/FCM: a shortened token. */
function endpointLabel(claim: ClaimedRegistration): string {
  const endpoint = claim.endpoint;
  if (endpoint.provider !== 'webpush') return redact(endpoint.token);
  try {
    return new URL(endpoint.endpoint).host;
  } catch {
    return '(invalid url)';
  }
}
