/** Starts one instance of the service (main.ts and the tests share this). */
import { SERVICES } from '@parley/contracts';
import type { RunningService } from '@parley/server-kit';
import { bootstrapService } from '@parley/server-kit';
import type { Logger } from 'pino';
import { GroupMembershipDatabase } from '../database/group-membership.database';
import type { GroupMembershipConfig } from './group-membership.config';
import { GroupMembershipModule } from './group-membership.module';

export interface StartOptions {
  readonly logger?: Logger;
  /** Close on SIGTERM/SIGINT (default true; tests running several instances turn it off). */
  readonly shutdownHooks?: boolean;
}

export function startGroupMembership(
  config: GroupMembershipConfig,
  options: StartOptions = {},
): Promise<RunningService> {
  return bootstrapService({
    service: SERVICES.groupMembership,
    module: GroupMembershipModule,
    config,
    http: config.PARLEY_HTTP_PORT !== undefined,
    // /health/ready: a `select 1` through this service's own client.
    readiness: {
      database: (app) =>
        app.get(GroupMembershipDatabase, { strict: false }).client.$queryRaw`SELECT 1`,
    },
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.shutdownHooks === undefined ? {} : { shutdownHooks: options.shutdownHooks }),
  });
}
