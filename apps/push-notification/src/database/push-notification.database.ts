/**
 * The service's one Prisma client (its own schema only), closed after everything else
 * stopped: `onApplicationShutdown` runs after the kit let in-flight work finish.
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@parley/db/push-notification';
import { createPushNotificationPrisma } from '@parley/db/push-notification';
import { PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { Logger } from 'pino';
import type { PushNotificationConfig } from '../app/push-notification.config';

@Injectable()
export class PushNotificationDatabase implements OnApplicationShutdown {
  readonly client: PrismaClient;

  constructor(
    @Inject(PARLEY_CONFIG) config: PushNotificationConfig,
    @Inject(PARLEY_LOGGER) logger: Logger,
  ) {
    this.client = createPushNotificationPrisma(config.DATABASE_URL, {
      maxConnections: config.PUSH_DB_POOL_SIZE,
      onPoolError: (error) => {
        logger.warn({ err: { type: error.name } }, 'idle database connection failed');
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.$disconnect();
  }
}
