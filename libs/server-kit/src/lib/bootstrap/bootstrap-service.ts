/**
 * Starts a Parley service: a NATS microservice in the service's queue group, optionally
 * with an HTTP listener (hybrid app, for /health and the gateway's API), JSON logs,
 * shutdown hooks and the RPC exception filter.
 */
import type { DynamicModule, INestApplication, INestMicroservice, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomStrategy } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { queueGroupOf } from '@parley/contracts';
import type { ServiceName } from '@parley/contracts';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { BaseServiceConfig } from '../config/service-config';
import { createLogger, NestPinoLogger } from '../logging/logger';
import { ParleyRpcExceptionFilter } from '../rpc/rpc-exception.filter';
import { ParleyNatsServer } from '../transport/parley-nats.server';
import { registerOperationalRoutes } from '../observability/health';
import type { ReadinessChecks } from '../observability/health';
import { installHttpRequestIds } from '../observability/http-request-id';
import { metricsRegistry } from '../observability/metrics';
import { NatsConnectionHost } from './nats-connection.host';
import { ParleyServiceRootModule } from './parley-kit.module';
import { NATS_CONNECTION } from './tokens';

/**
 * Signals that close the service gracefully. After the hooks ran the process exits with
 * code 0 (`useProcessExit`), which also lets pino flush.
 */
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'];

export interface BootstrapOptions {
  /** Service name: its queue group and the `service` field of its logs. */
  readonly service: ServiceName | (string & {});
  /** The service's own module (controllers, providers). */
  readonly module: Type<unknown> | DynamicModule;
  readonly config: BaseServiceConfig;
  /** Also listen for HTTP on PARLEY_HTTP_PORT (0: any free port). */
  readonly http?: boolean;
  /** HTTP listener settings (only with `http`). */
  readonly httpOptions?: HttpOptions;
  /** Default: pino to stdout at PARLEY_LOG_LEVEL. */
  readonly logger?: Logger;
  /** Close on SIGTERM/SIGINT (default true; tests that start several services turn it off). */
  readonly shutdownHooks?: boolean;
  /**
   * What `/health/ready` checks besides the NATS connection (only with `http`), e.g.
   * `{ database: (app) => app.get(MyDatabase, { strict: false }).client.$queryRaw\`SELECT 1\` }`.
   */
  readonly readiness?: ReadinessChecks;
}

export interface HttpOptions {
  /** Largest request body in bytes (Fastify answers 413 beyond it; default 1 MiB). */
  readonly bodyLimit?: number;
  /**
   * Runs before the app initialises and listens: the only moment to add Fastify hooks,
   * content parsers, an error handler, a WebSocket adapter or the OpenAPI routes.
   */
  readonly configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

export interface RunningService {
  readonly app: INestApplication | INestMicroservice;
  readonly nats: NatsConnection;
  readonly logger: Logger;
  readonly server: ParleyNatsServer;
  /** Set when `http` was requested. */
  readonly httpUrl: string | undefined;
  /** Graceful close: stop taking requests, finish in-flight ones, run hooks, drain NATS. */
  close(): Promise<void>;
}

export async function bootstrapService(options: BootstrapOptions): Promise<RunningService> {
  const { config } = options;
  const logger =
    options.logger ??
    createLogger({
      service: options.service,
      instanceId: config.PARLEY_INSTANCE_ID,
      level: config.PARLEY_LOG_LEVEL,
    });
  const server = new ParleyNatsServer({
    queue: queueGroupOf(options.service as ServiceName),
    namespace: config.PARLEY_NATS_PREFIX,
    logger,
    shutdownTimeoutMs: config.PARLEY_SHUTDOWN_TIMEOUT_MS,
    service: options.service,
  });
  const root = ParleyServiceRootModule.forRoot(
    { service: options.service, config, logger },
    server,
    options.module,
  );
  const nestLogger = new NestPinoLogger(logger);
  const filter = new ParleyRpcExceptionFilter(logger);
  const strategy: CustomStrategy = { strategy: server };

  let app: INestApplication | INestMicroservice;
  let httpUrl: string | undefined;
  if (options.http) {
    const adapter = new FastifyAdapter({
      ...(options.httpOptions?.bodyLimit === undefined
        ? {}
        : { bodyLimit: options.httpOptions.bodyLimit }),
      ...(config.PARLEY_TRUST_PROXY === undefined ? {} : { trustProxy: config.PARLEY_TRUST_PROXY }),
    });
    // Nest types its options as classes; object literals are its documented usage.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const web = await NestFactory.create<NestFastifyApplication>(root, adapter, {
      logger: nestLogger,
      abortOnError: false,
    });
    // Operations first: request ids on every route, probes and metrics outside the app's
    // guards (see health.ts).
    installHttpRequestIds(web);
    registerOperationalRoutes(
      web,
      {
        natsConnected: () => web.get(NatsConnectionHost, { strict: false }).connected,
        stopping: () => server.isStopping,
      },
      options.readiness ?? {},
      async () => ({
        contentType: metricsRegistry.contentType,
        body: await metricsRegistry.metrics(),
      }),
    );
    await options.httpOptions?.configure?.(web);
    // Own config for the NATS side: a shared one would put the RPC filter (catch-all) in
    // front of the HTTP app's filters and turn every HTTP error into a 500.
    // Deferred, so the filter below is in place before Nest binds the message handlers
    // (otherwise typed errors of NATS handlers reach callers as INTERNAL).
    const micro = web.connectMicroservice(strategy, {
      inheritAppConfig: false,
      deferInitialization: true,
    });
    micro.useGlobalFilters(filter);
    server.useConnection(web.get<NatsConnection>(NATS_CONNECTION));
    if (options.shutdownHooks ?? true)
      web.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
    await web.startAllMicroservices();
    // Subscriptions in place at the server before the HTTP side (and its readiness) opens.
    await web.get<NatsConnection>(NATS_CONNECTION).flush();
    await web.listen(config.PARLEY_HTTP_PORT ?? 0, '0.0.0.0');
    httpUrl = (await web.getUrl()).replace('[::1]', '127.0.0.1');
    app = web;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const micro = await NestFactory.createMicroservice(root, {
      ...strategy,
      logger: nestLogger,
      abortOnError: false,
    });
    micro.useGlobalFilters(filter);
    server.useConnection(micro.get<NatsConnection>(NATS_CONNECTION));
    if (options.shutdownHooks ?? true)
      micro.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
    await micro.listen();
    app = micro;
  }
  const nats = app.get<NatsConnection>(NATS_CONNECTION);
  // A round trip to the server: every subscription made above is in place there, so a
  // request sent right after "service started" (or a passing readiness probe) finds us.
  await nats.flush();
  logger.info({ queue: options.service, namespace: config.PARLEY_NATS_PREFIX }, 'service started');

  let closing: Promise<void> | undefined;
  return {
    app,
    nats,
    logger,
    server,
    httpUrl,
    close: () => (closing ??= app.close()),
  };
}
