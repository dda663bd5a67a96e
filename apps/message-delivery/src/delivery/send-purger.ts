/**
 * Ends the idempotency window: every DELIVERY_PURGE_INTERVAL_MS, deletes the `sends` rows
 * older than DELIVERY_SEND_RETENTION_MS whose entries were all acked, in passes of
 * PURGE_PASS_ROWS until a pass finds fewer (so one backlog does not hold one long
 * transaction). Without it every message ever sent would keep its row.
 *
 * A failed pass (database away) is logged and retried at the next interval; the service
 * keeps serving meanwhile. Shutdown waits for a running pass.
 */
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { Logger } from 'pino';
import type { MessageDeliveryConfig } from '../app/message-delivery.config';
import { MailboxRepository } from './mailbox.repository';

/** Rows per purge statement. */
export const PURGE_PASS_ROWS = 5_000;

@Injectable()
export class SendPurger implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    @Inject(MailboxRepository) private readonly repo: MailboxRepository,
    @Inject(PARLEY_CONFIG) private readonly config: MessageDeliveryConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One purge run (all passes); resolves with the number of sends deleted. */
  purgeExpired(): Promise<number> {
    this.running ??= this.passes().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    const interval = this.config.DELIVERY_PURGE_INTERVAL_MS;
    if (interval === 0 || this.stopped) return;
    this.timer = setTimeout(() => {
      void this.purgeExpired()
        .catch((error: unknown) => {
          this.logger.warn(
            { code: (error as { code?: string }).code ?? 'INTERNAL' },
            'purge of expired sends failed; retried at the next interval',
          );
          return 0;
        })
        .finally(() => {
          this.schedule();
        });
    }, interval);
    // A pending purge never keeps the process alive.
    this.timer.unref();
  }

  private async passes(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.repo.purgeSends(
        this.config.DELIVERY_SEND_RETENTION_MS,
        PURGE_PASS_ROWS,
      );
      total += deleted;
      if (deleted < PURGE_PASS_ROWS || this.stopped) break;
    }
    if (total > 0) this.logger.info({ sends: total }, 'purged sends past the idempotency window');
    return total;
  }
}
