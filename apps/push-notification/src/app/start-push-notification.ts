/** Starts one instance of the service (main.ts and the tests share this). */
import { SERVICES } from '@parley/contracts';
import type { RunningService } from '@parley/server-kit';
import { bootstrapService } from '@parley/server-kit';
import type { Logger } from 'pino';
import { PushNotificationDatabase } from '../database/push-notification.database';
import type { PushNotificationConfig } from './push-notification.config';
import { PushNotificationModule } from './push-notification.module';

export interface StartOptions {
  readonly logger?: Logger;
  /** Close on SIGTERM/SIGINT (default true; tests running several instances turn it off). */
  readonly shutdownHooks?: boolean;
}

export function startPushNotification(
  config: PushNotificationConfig,
  options: StartOptions = {},
): Promise<RunningService> {
  return bootstrapService({
    service: SERVICES.pushNotification,
    module: PushNotificationModule,
    config,
    http: config.PARLEY_HTTP_PORT !== undefined,
    // /health/ready: a `select 1` through this service's own client.
    readiness: {
      database: (app) =>
        app.get(PushNotificationDatabase, { strict: false }).client.$queryRaw`SELECT 1`,
    },
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.shutdownHooks === undefined ? {} : { shutdownHooks: options.shutdownHooks }),
  });
}
