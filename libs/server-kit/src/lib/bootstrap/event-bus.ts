/**
 * Events of a service: JetStream publish/consume for events that must not be lost, core
 * NATS publish for soft state (presence). Consumers stop with the service's shutdown.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EventContract, EventOf } from '@parley/contracts';
import { namespaced, validationErrorFromZod } from '@parley/contracts';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { BaseServiceConfig } from '../config/service-config';
import type { ConsumeOptions, EventConsumer, PublishResult } from '../jetstream/jetstream-events';
import { consumeEvents, publishEvent } from '../jetstream/jetstream-events';
import { encodeJson } from '../rpc/rpc-packet';
import { NATS_CONNECTION, PARLEY_CONFIG, PARLEY_LOGGER } from './tokens';

@Injectable()
export class EventBus {
  private readonly consumers = new Set<EventConsumer>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(PARLEY_CONFIG) private readonly config: BaseServiceConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  /** JetStream publish, acked by the stream, deduplicated on `msgId`. */
  publish<C extends EventContract>(
    contract: C,
    event: EventOf<C>,
    msgId: string,
  ): Promise<PublishResult> {
    return publishEvent(this.nc, contract, event, {
      namespace: this.config.PARLEY_NATS_PREFIX,
      msgId,
    });
  }

  /** Core NATS publish (at most once) for events without a stream. */
  publishCore<C extends EventContract>(contract: C, event: EventOf<C>): void {
    let wire: unknown;
    try {
      wire = z.encode(contract.schema, event);
    } catch (error) {
      if (error instanceof z.ZodError) throw validationErrorFromZod(error, 'event');
      throw error;
    }
    this.nc.publish(namespaced(this.config.PARLEY_NATS_PREFIX, contract.subject), encodeJson(wire));
  }

  async consume<C extends EventContract>(
    contract: C,
    durable: string,
    handler: ConsumeOptions<C>['handler'],
    options: Pick<
      ConsumeOptions<C>,
      'ackWaitMs' | 'maxDeliver' | 'retryDelayMs' | 'concurrency'
    > = {},
  ): Promise<EventConsumer> {
    const consumer = await consumeEvents(this.nc, {
      ...options,
      namespace: this.config.PARLEY_NATS_PREFIX,
      contract,
      durable,
      handler,
      logger: this.logger,
    });
    this.consumers.add(consumer);
    return consumer;
  }

  /** Stops every consumer, letting the event in hand finish. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.consumers.clear();
  }
}
