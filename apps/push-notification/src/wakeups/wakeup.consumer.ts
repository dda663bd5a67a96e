/**
 * The durable JetStream consumer of `message.stored-for-offline-device`. Instances share
 * it (one durable name), so each event goes to one instance. An event is acked only after
 * the dispatcher finished with it; while the service is down JetStream keeps the events
 * and hands them over when it is back. The kit's EventBus stops the consumer at shutdown,
 * letting the event in hand finish.
 */
import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { Events } from '@parley/contracts';
import { EventBus, PARLEY_CONFIG } from '@parley/server-kit';
import type { PushNotificationConfig } from '../app/push-notification.config';
import { WakeUpDispatcher } from './wakeup.dispatcher';

export const WAKE_UP_DURABLE = 'push-notification';

@Injectable()
export class WakeUpConsumer implements OnApplicationBootstrap {
  constructor(
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(WakeUpDispatcher) private readonly dispatcher: WakeUpDispatcher,
    @Inject(PARLEY_CONFIG) private readonly config: PushNotificationConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.events.consume(
      Events.delivery.storedForOfflineDevice,
      WAKE_UP_DURABLE,
      async (event) => {
        await this.dispatcher.handle(event);
      },
      {
        // A push may take up to its timeout per provider (they run in parallel).
        ackWaitMs: Math.max(30_000, this.config.PUSH_SEND_TIMEOUT_MS * 3),
        maxDeliver: this.config.PUSH_MAX_DELIVER,
        retryDelayMs: this.config.PUSH_RETRY_DELAY_MS,
        // Coalescing stays exact under concurrency: the claim is one conditional UPDATE.
        concurrency: this.config.PUSH_CONCURRENCY,
      },
    );
  }
}
