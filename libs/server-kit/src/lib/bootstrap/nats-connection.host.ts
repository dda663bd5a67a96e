/**
 * Owns the service's one NATS connection. It is drained last, at application shutdown:
 * after the server stopped taking requests and in-flight ones finished, so their replies
 * and acks are flushed before the socket closes.
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { connect, Events } from 'nats';
import type { Logger } from 'pino';
import type { BaseServiceConfig } from '../config/service-config';
import { natsConnected, natsDisconnects, natsReconnects } from '../observability/metrics';

export class NatsConnectionHost implements OnApplicationShutdown {
  private up = true;

  private constructor(
    readonly connection: NatsConnection,
    private readonly logger: Logger,
    service: string,
  ) {
    natsConnected.set({ service }, 1);
    void this.watch(service);
  }

  /** True while connected (false between a disconnect and the reconnect, and once closed). */
  get connected(): boolean {
    return this.up && !this.connection.isClosed();
  }

  /** Follows connection changes for the readiness probe, the metrics and the logs. */
  private async watch(service: string): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === Events.Disconnect) {
        this.up = false;
        natsDisconnects.inc({ service });
        natsConnected.set({ service }, 0);
        this.logger.warn({ server: status.data }, 'NATS connection lost; reconnecting');
      } else if (status.type === Events.Reconnect) {
        this.up = true;
        natsReconnects.inc({ service });
        natsConnected.set({ service }, 1);
        this.logger.info({ server: status.data }, 'NATS connection re-established');
      }
    }
    natsConnected.set({ service }, 0);
  }

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
      // nats.js otherwise builds an Error with a stack trace per request (on arming the
      // timeout and on every cancel after a reply): 7-12% of message-delivery's CPU in the
      // e2e bench profiles. Our RPC errors are mapped from the NATS error codes, not stacks.
      noAsyncTraces: true,
    });
    logger.info({ server: connection.getServer() }, 'connected to NATS');
    return new NatsConnectionHost(connection, logger, name);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connection.isClosed() || this.connection.isDraining()) return;
    await this.connection.drain();
    this.logger.info('NATS connection drained');
  }
}
