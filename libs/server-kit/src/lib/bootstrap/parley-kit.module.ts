/**
 * What every service gets: config, logger, the shared NATS connection, RpcClient and
 * EventBus (global), plus the graceful-shutdown step in the root module.
 */
import type { DynamicModule, OnModuleDestroy, Type } from '@nestjs/common';
import { Inject, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { BaseServiceConfig } from '../config/service-config';
import { ParleyNatsServer } from '../transport/parley-nats.server';
import { EventBus } from './event-bus';
import { NatsConnectionHost } from './nats-connection.host';
import { RpcClient } from './rpc.client';
import { NATS_CONNECTION, PARLEY_CONFIG, PARLEY_LOGGER, PARLEY_SERVICE_NAME } from './tokens';

export interface KitModuleOptions {
  readonly service: string;
  readonly config: BaseServiceConfig;
  readonly logger: Logger;
}

@Module({})
export class ParleyKitModule {
  static forRoot(options: KitModuleOptions): DynamicModule {
    return {
      module: ParleyKitModule,
      global: true,
      providers: [
        { provide: PARLEY_CONFIG, useValue: options.config },
        { provide: PARLEY_LOGGER, useValue: options.logger },
        { provide: PARLEY_SERVICE_NAME, useValue: options.service },
        {
          provide: NatsConnectionHost,
          useFactory: () =>
            NatsConnectionHost.open(options.config, options.service, options.logger),
        },
        {
          provide: NATS_CONNECTION,
          useFactory: (host: NatsConnectionHost) => host.connection,
          inject: [NatsConnectionHost],
        },
        RpcClient,
        EventBus,
      ],
      exports: [
        PARLEY_CONFIG,
        PARLEY_LOGGER,
        PARLEY_SERVICE_NAME,
        NATS_CONNECTION,
        RpcClient,
        EventBus,
      ],
    };
  }
}

/**
 * Runs first among the destroy hooks (it lives in the root module, which Nest destroys
 * before the modules it imports), so requests and event handlers in flight finish while
 * their dependencies (database clients, ...) are still open.
 */
export class GracefulShutdown implements OnModuleDestroy {
  constructor(
    @Inject(ParleyNatsServer) private readonly server: ParleyNatsServer,
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(PARLEY_CONFIG) private readonly config: BaseServiceConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleDestroy(): Promise<void> {
    const timeoutMs = this.config.PARLEY_SHUTDOWN_TIMEOUT_MS;
    this.logger.info(
      { inFlight: this.server.inFlightCount, timeoutMs },
      'shutting down: no new requests',
    );
    await Promise.all([this.server.stopAccepting(timeoutMs), this.events.stopAll()]);
  }
}

@Module({})
export class ParleyServiceRootModule {
  static forRoot(
    kit: KitModuleOptions,
    server: ParleyNatsServer,
    app: Type<unknown> | DynamicModule,
  ): DynamicModule {
    return {
      module: ParleyServiceRootModule,
      imports: [ParleyKitModule.forRoot(kit), app],
      providers: [{ provide: ParleyNatsServer, useValue: server }, GracefulShutdown],
    };
  }
}
