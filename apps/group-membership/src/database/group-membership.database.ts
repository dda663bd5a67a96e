/**
 * The service's one Prisma client (its own schema only), closed after everything else
 * stopped: `onApplicationShutdown` runs after the kit let in-flight requests finish.
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@parley/db/group-membership';
import { createGroupMembershipPrisma } from '@parley/db/group-membership';
import { PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { Logger } from 'pino';
import type { GroupMembershipConfig } from '../app/group-membership.config';

@Injectable()
export class GroupMembershipDatabase implements OnApplicationShutdown {
  readonly client: PrismaClient;

  constructor(
    @Inject(PARLEY_CONFIG) config: GroupMembershipConfig,
    @Inject(PARLEY_LOGGER) logger: Logger,
  ) {
    this.client = createGroupMembershipPrisma(config.DATABASE_URL, {
      maxConnections: config.GROUPS_DB_POOL_SIZE,
      onPoolError: (error) => {
        logger.warn({ err: { type: error.name } }, 'idle database connection failed');
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.$disconnect();
  }
}
