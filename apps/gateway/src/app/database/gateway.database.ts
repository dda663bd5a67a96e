/**
 * The gateway's one Prisma client (schema `gateway` only: challenges and token hashes),
 * closed after everything else stopped.
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@parley/db/gateway';
import { createGatewayPrisma } from '@parley/db/gateway';
import { PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../gateway.config';

@Injectable()
export class GatewayDatabase implements OnApplicationShutdown {
  readonly client: PrismaClient;

  constructor(@Inject(PARLEY_CONFIG) config: GatewayConfig, @Inject(PARLEY_LOGGER) logger: Logger) {
    this.client = createGatewayPrisma(config.DATABASE_URL, {
      maxConnections: config.GATEWAY_DB_POOL_SIZE,
      onPoolError: (error) => {
        logger.warn({ err: { type: error.name } }, 'idle database connection failed');
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.$disconnect();
  }
}
