/** Starts the gateway (used by main.ts, the tests and the benchmark). */
import { bootstrapService, PARLEY_LOGGER } from '@parley/server-kit';
import type { RunningService } from '@parley/server-kit';
import type { Logger } from 'pino';
import { GatewayDatabase } from './app/database/gateway.database';
import { GatewayModule } from './app/gateway.module';
import { configureHttp } from './app/http/configure-http';
import type { GatewayConfig } from './gateway.config';

export interface StartGatewayOptions {
  readonly logger?: Logger;
  /** Close on SIGTERM/SIGINT (default true; tests turn it off). */
  readonly shutdownHooks?: boolean;
}

export type RunningGateway = RunningService & { readonly httpUrl: string };

export async function startGateway(
  config: GatewayConfig,
  options: StartGatewayOptions = {},
): Promise<RunningGateway> {
  const running = await bootstrapService({
    service: 'gateway',
    module: GatewayModule,
    config,
    http: true,
    // /health/ready: a `select 1` through the gateway's own client.
    readiness: {
      database: (app) => app.get(GatewayDatabase, { strict: false }).client.$queryRaw`SELECT 1`,
    },
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.shutdownHooks === undefined ? {} : { shutdownHooks: options.shutdownHooks }),
    httpOptions: {
      bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
      configure: (app) => {
        configureHttp(app, config, app.get<Logger>(PARLEY_LOGGER));
      },
    },
  });
  if (running.httpUrl === undefined) throw new Error('gateway started without HTTP');
  return running as RunningGateway;
}
