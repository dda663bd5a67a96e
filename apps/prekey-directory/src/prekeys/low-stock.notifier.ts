/**
 * Emits `prekeys.low` through JetStream. The message id names the crossing (device and the
 * instant it was marked), so a repeated publish of the same crossing is stored once.
 */
import type { OnModuleInit } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { Events } from '@parley/contracts';
import { ensureStream, EventBus, NATS_CONNECTION, PARLEY_CONFIG } from '@parley/server-kit';
import type { NatsConnection } from 'nats';
import type { PrekeyDirectoryConfig } from '../app/prekey-directory.config';

export interface LowStockCrossing {
  readonly userId: string;
  readonly deviceId: number;
  readonly remaining: number;
  readonly threshold: number;
  readonly at: Date;
}

@Injectable()
export class LowStockNotifier implements OnModuleInit {
  constructor(
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(PARLEY_CONFIG) private readonly config: PrekeyDirectoryConfig,
  ) {}

  /** The events stream must exist before the first publish (idempotent across instances). */
  async onModuleInit(): Promise<void> {
    await ensureStream(this.nc, 'events', { namespace: this.config.PARLEY_NATS_PREFIX });
  }

  async notify(crossing: LowStockCrossing): Promise<void> {
    const at = crossing.at.getTime();
    await this.events.publish(
      Events.prekeys.low,
      {
        userId: crossing.userId,
        deviceId: crossing.deviceId,
        remaining: crossing.remaining,
        threshold: crossing.threshold,
        at,
      },
      `prekeys-low.${crossing.userId}.${crossing.deviceId}.${at}`,
    );
  }
}
