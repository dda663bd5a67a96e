/**
 * Owns the service's one NATS connection. It is drained last, at application shutdown:
 * after the server stopped taking requests and in-flight ones finished, so their replies
 * and acks are flushed before the socket closes.
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import type { Logger } from 'pino';
import type { BaseServiceConfig } from '../config/service-config';

export class NatsConnectionHost implements OnApplicationShutdown {
  private constructor(
    readonly connection: NatsConnection,
    private readonly logger: Logger,
  ) {}

  static async open(
    config: BaseServiceConfig,
    name: string,
    logger: Logger,
  ): Promise<NatsConnectionHost> {
    const connection = await connect({
      servers: config.PARLEY_NATS_URL.split(',').map((s) => s.trim()),
      name: `${name}/${config.PARLEY_INSTANCE_ID}`,
      // A service outlives NATS restarts: reconnect forever, buffering meanwhile.
      maxReconnectAttempts: -1,
    });
    logger.info({ server: connection.getServer() }, 'connected to NATS');
    return new NatsConnectionHost(connection, logger);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connection.isClosed() || this.connection.isDraining()) return;
    await this.connection.drain();
    this.logger.info('NATS connection drained');
  }
}
