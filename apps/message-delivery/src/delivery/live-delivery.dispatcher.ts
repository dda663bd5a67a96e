/**
 * After a send committed: offers each stored message to the gateway holding the recipient's
 * socket (the `liveDeliveryRpc` contract, sent by LiveDeliveryRequester). No responder, a
 * timeout, or `delivered: false` means offline: then `message.stored-for-offline-device` goes out on JetStream (message id = the entry's
 * seq, so a repeated publish is stored once) for push-notification to wake the device.
 * Either way the message stays in the mailbox until the recipient acks it.
 *
 * A device that was just sent a wake-up gets no other for DELIVERY_OFFLINE_EVENT_WINDOW_MS
 * (one wake-up drains the whole mailbox; the publish per message was the largest cost left
 * on the offline path), or until it comes online.
 *
 * A device that just had no responder is remembered as offline for OFFLINE_MEMORY_MS (until a
 * gateway announces it online on `presence.changed`): its next messages skip the live attempt
 * and go straight to the offline event. Each failed attempt costs a NATS round trip, which
 * under fan-out load took most of this service's CPU. Skipping is safe: a device that connects
 * drains its mailbox after `ready`, and its gateway's presence event ends the memory at once.
 *
 * Presence also says which gateway holds a device, and so does a gateway's answer on the
 * device's own subject: deliveries to such devices go in one live-batch request per gateway
 * (live-batch.sender.ts). One the batch does not deliver goes to the device's own subject as
 * before; the gateway that answers there becomes the guess (a gateway that does not name
 * itself leaves none), and an unanswered batch drops it.
 */
import type { BeforeApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { StoredMessage } from '@parley/contracts';
import { createSubjects, Events, namespaced, SUBJECTS } from '@parley/contracts';
import {
  ensureStream,
  EventBus,
  InboxRequester,
  NATS_CONNECTION,
  PARLEY_CONFIG,
  PARLEY_LOGGER,
} from '@parley/server-kit';
import type { NatsConnection, Subscription } from 'nats';
import type { Logger } from 'pino';
import type { MessageDeliveryConfig } from '../app/message-delivery.config';
import { LiveBatchSender } from './live-batch.sender';
import type { LiveAnswer } from './live-delivery.requester';
import { LiveDeliveryRequester } from './live-delivery.requester';
import type { Base64Memo } from './live-delivery.wire';
import { liveMessageJson, liveRequestJson } from './live-delivery.wire';

export interface LiveDelivery {
  readonly recipient: { readonly userId: string; readonly deviceId: number };
  readonly message: StoredMessage;
}

export type DeliveryOutcome =
  'delivered' | 'offline-notified' | 'offline-already-notified' | 'offline-notify-failed';

/** How long a device with no responder counts as offline without asking again. */
export const OFFLINE_MEMORY_MS = 3_000;
/** Bound on remembered devices (the memory is dropped whole past it). */
const OFFLINE_MEMORY_MAX = 100_000;

@Injectable()
export class LiveDeliveryDispatcher implements OnModuleInit, BeforeApplicationShutdown {
  private readonly pending = new Set<Promise<unknown>>();
  /** One inbox for all live requests, single and batched (closed at shutdown). */
  private readonly inbox: InboxRequester;
  private readonly requester: LiveDeliveryRequester;
  private readonly batches: LiveBatchSender;
  /** Device key -> the gateway that announced it online last. */
  private readonly gateways = new Map<string, string>();
  private readonly base64: Base64Memo = new WeakMap();
  /** Device key -> until when it counts as offline. */
  private readonly offline = new Map<string, number>();
  /** Device key -> until when its last wake-up event covers new messages. */
  private readonly notified = new Map<string, number>();
  private presence: Subscription | undefined;

  constructor(
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(PARLEY_CONFIG) private readonly config: MessageDeliveryConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {
    this.inbox = new InboxRequester(nc);
    this.requester = new LiveDeliveryRequester(this.inbox);
    const subjects = createSubjects(config.PARLEY_NATS_PREFIX);
    this.batches = new LiveBatchSender(
      this.inbox,
      (gatewayId) => subjects.liveBatch.gateway(gatewayId),
      config.DELIVERY_LIVE_TIMEOUT_MS,
    );
  }

  /** The events stream must exist before the first publish (idempotent across instances). */
  async onModuleInit(): Promise<void> {
    await ensureStream(this.nc, 'events', { namespace: this.config.PARLEY_NATS_PREFIX });
    // A hybrid app (HTTP + NATS) runs init hooks once per context: subscribe once.
    if (this.presence) return;
    const contract = Events.presence.changed;
    this.presence = this.nc.subscribe(
      namespaced(this.config.PARLEY_NATS_PREFIX, contract.subject),
      {
        callback: (error, msg) => {
          if (error) return;
          try {
            const event = contract.schema.safeParse(msg.json());
            if (!event.success) return;
            const key = deviceKey(event.data.device);
            if (event.data.status === 'online') {
              this.offline.delete(key);
              this.notified.delete(key);
              this.learnGateway(key, event.data.gatewayId);
            } else if (this.gateways.get(key) === event.data.gatewayId) {
              this.gateways.delete(key);
            }
          } catch {
            // Not JSON: ignore (presence is soft state).
          }
        },
      },
    );
  }

  /** Lets deliveries already under way finish before NATS closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.presence?.unsubscribe();
    await Promise.allSettled([...this.pending]);
    // Unanswered requests end as timeouts (the message stays in the mailbox either way).
    this.inbox.close();
  }

  /**
   * Starts the deliveries without holding up the sender's reply (the message is already
   * safe in PostgreSQL); the returned promise settles when all of them did.
   */
  dispatch(deliveries: readonly LiveDelivery[]): Promise<DeliveryOutcome[]> {
    const all = Promise.all(deliveries.map((d) => this.deliverOne(d)));
    this.pending.add(all);
    void all.finally(() => this.pending.delete(all));
    return all;
  }

  private async deliverOne(d: LiveDelivery): Promise<DeliveryOutcome> {
    const key = deviceKey(d.recipient);
    const until = this.offline.get(key);
    if (until === undefined || until < Date.now()) {
      const answer = await this.offerLive(key, d);
      if (answer === 'delivered') return 'delivered';
      // Offline (no responders), a slow gateway (timeout) or a refused delivery: the
      // mailbox keeps the message, the push path wakes the device.
      if (answer === 'no-responders') this.rememberOffline(key);
    }
    const covered = this.notified.get(key);
    if (covered !== undefined && covered >= Date.now()) return 'offline-already-notified';
    try {
      await this.events.publish(
        Events.delivery.storedForOfflineDevice,
        { recipient: d.recipient, messageId: d.message.messageId, at: Date.now() },
        `stored-offline.${d.message.messageId}`,
      );
      this.rememberNotified(key);
      return 'offline-notified';
    } catch (error) {
      this.logger.warn(
        { code: (error as { code?: string }).code ?? 'INTERNAL' },
        'stored-for-offline-device could not be published; the device finds it on its next fetch',
      );
      return 'offline-notify-failed';
    }
  }

  /** Through the device's gateway's batch when known, else (or if not there) its subject. */
  private async offerLive(key: string, d: LiveDelivery): Promise<LiveAnswer> {
    const messageJson = liveMessageJson(d, this.base64);
    const gatewayId = this.gateways.get(key);
    if (gatewayId !== undefined) {
      const batched = await this.batches.offer(gatewayId, { recipient: d.recipient, messageJson });
      if (batched === 'delivered') return 'delivered';
      if (batched === 'unanswered') this.forgetGateway(key, gatewayId);
    }
    const subject = SUBJECTS.live.device(d.recipient.userId, d.recipient.deviceId);
    const { answer, gatewayId: holder } = await this.requester.request(
      namespaced(this.config.PARLEY_NATS_PREFIX, subject),
      subject,
      liveRequestJson(d.recipient, messageJson),
      this.config.DELIVERY_LIVE_TIMEOUT_MS,
    );
    if (answer === 'delivered') {
      // The gateway that delivered it holds the device: the next ones go in its batch. This
      // is how devices that connected before this instance started (no presence event seen)
      // and devices that moved (their old gateway's offline event was lost) are learned.
      if (holder !== undefined) this.learnGateway(key, holder);
      else if (gatewayId !== undefined) this.forgetGateway(key, gatewayId);
    }
    return answer;
  }

  private learnGateway(key: string, gatewayId: string): void {
    if (this.gateways.size >= OFFLINE_MEMORY_MAX && !this.gateways.has(key)) this.gateways.clear();
    this.gateways.set(key, gatewayId);
  }

  private forgetGateway(key: string, gatewayId: string): void {
    if (this.gateways.get(key) === gatewayId) this.gateways.delete(key);
  }

  private rememberNotified(key: string): void {
    const window = this.config.DELIVERY_OFFLINE_EVENT_WINDOW_MS;
    if (window === 0) return;
    if (this.notified.size >= OFFLINE_MEMORY_MAX) this.notified.clear();
    this.notified.set(key, Date.now() + window);
  }

  private rememberOffline(key: string): void {
    if (this.offline.size >= OFFLINE_MEMORY_MAX) this.offline.clear();
    this.offline.set(key, Date.now() + OFFLINE_MEMORY_MS);
  }
}

function deviceKey(d: { readonly userId: string; readonly deviceId: number }): string {
  return `${d.userId}/${d.deviceId}`;
}
