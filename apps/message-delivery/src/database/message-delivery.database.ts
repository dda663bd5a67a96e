/**
 * The service's one Prisma client (its own schema only), closed after everything else
 * stopped: `onApplicationShutdown` runs after the kit let in-flight requests finish.
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@parley/db/message-delivery';
import { createMessageDeliveryPrisma } from '@parley/db/message-delivery';
import { PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { Logger } from 'pino';
import type { MessageDeliveryConfig } from '../app/message-delivery.config';

@Injectable()
export class MessageDeliveryDatabase implements OnApplicationShutdown {
  readonly client: PrismaClient;

  constructor(
    @Inject(PARLEY_CONFIG) config: MessageDeliveryConfig,
    @Inject(PARLEY_LOGGER) logger: Logger,
  ) {
    this.client = createMessageDeliveryPrisma(config.DATABASE_URL, {
      maxConnections: config.DELIVERY_DB_POOL_SIZE,
      // Every statement here is a fixed raw-SQL text; planning the large store statement
      // took as long as running it for a small batch.
      namedStatements: true,
      onPoolError: (error) => {
        logger.warn({ err: { type: error.name } }, 'idle database connection failed');
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.$disconnect();
  }
}
