/** Starts one instance of the service (main.ts and the tests share this). */
import { Events, SERVICES } from '@parley/contracts';
import type { RunningService } from '@parley/server-kit';
import { bootstrapService, EventBus, setMailboxDepthSource } from '@parley/server-kit';
import type { Logger } from 'pino';
import { MessageDeliveryDatabase } from '../database/message-delivery.database';
import type { MessageDeliveryConfig } from './message-delivery.config';
import { MessageDeliveryModule } from './message-delivery.module';

export interface StartOptions {
  readonly logger?: Logger;
  /** Close on SIGTERM/SIGINT (default true; tests running several instances turn it off). */
  readonly shutdownHooks?: boolean;
}

export async function startMessageDelivery(
  config: MessageDeliveryConfig,
  options: StartOptions = {},
): Promise<RunningService> {
  const running = await bootstrapService({
    service: SERVICES.messageDelivery,
    module: MessageDeliveryModule,
    config,
    http: config.PARLEY_HTTP_PORT !== undefined,
    // /health/ready: a `select 1` through this service's own client.
    readiness: {
      database: (app) =>
        app.get(MessageDeliveryDatabase, { strict: false }).client.$queryRaw`SELECT 1`,
    },
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.shutdownHooks === undefined ? {} : { shutdownHooks: options.shutdownHooks }),
  });
  // parley_mailbox_depth, read when Prometheus scrapes (read-only: the sum of the mailbox
  // counts, not a count of every entry).
  const db = running.app.get(MessageDeliveryDatabase, { strict: false });
  setMailboxDepthSource(async () => {
    const [row] = await db.client.$queryRaw<{ n: number }[]>`
      SELECT coalesce(sum(entry_count), 0)::int AS n FROM message_delivery.mailboxes`;
    return row?.n ?? 0;
  });
  // Now that this instance answers fetches: if an instance died, the live deliveries it had
  // not sent are only in the mailboxes; gateways tell connected devices to drain them.
  running.app
    .get(EventBus, { strict: false })
    .publishCore(Events.delivery.mailboxResync, {
      instanceId: config.PARLEY_INSTANCE_ID,
      at: Date.now(),
    });
  return running;
}
