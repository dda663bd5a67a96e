/** The message-delivery environment: the kit's variables plus its database and policies. */
import { BaseServiceEnvSchema, envInt } from '@parley/server-kit';
import { z } from 'zod';

export const MessageDeliveryEnvSchema = BaseServiceEnvSchema.extend({
  /** PostgreSQL URL; the client only touches the `message_delivery` schema. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgresql:// URL' }),
  /** Connections in this instance's pool. */
  DELIVERY_DB_POOL_SIZE: envInt(1, 200).default(10),
  /**
   * Unacked messages one device's mailbox may hold; a send that would go past it for any
   * recipient is refused whole (CONFLICT `mailbox-full`). Bounds what a lost or abandoned
   * device can pile up, and what one sender can push at a victim.
   */
  DELIVERY_MAX_MAILBOX_ENTRIES: envInt(1, 10_000_000).default(50_000),
  /**
   * Group commit: concurrent sends stored by ONE statement and transaction (each answered
   * after that commit). 1 stores every send on its own (no batching).
   */
  DELIVERY_BATCH_MAX_SENDS: envInt(1, 1000).default(128),
  /**
   * Group-commit statements of each kind (sends, acks, resend lookups) running at once. While
   * that many run, new work queues and goes in the next statement: fewer lanes mean bigger
   * batches and less CPU per message, more lanes less waiting when statements are slow. They
   * share the DELIVERY_DB_POOL_SIZE connections with mailbox fetches (a query finding none
   * free waits for one).
   */
  DELIVERY_STATEMENTS_IN_FLIGHT: envInt(1, 64).default(5),
  /**
   * Users whose device lists this instance keeps (device-set checks without a directory call
   * per send). Entries go when prekey-directory announces a new device for the user, when
   * this instance's NATS connection drops, and after DELIVERY_DEVICE_CACHE_TTL_MS.
   */
  DELIVERY_DEVICE_CACHE_MAX_USERS: envInt(1, 10_000_000).default(100_000),
  /** Longest a cached device list is used (0: ask the directory for every send). */
  DELIVERY_DEVICE_CACHE_TTL_MS: envInt(0, 3_600_000).default(60_000),
  /**
   * Offline wake-ups: after `stored-for-offline-device` went out for a device, its further
   * messages in this window publish none (a device needs one wake-up to drain its whole
   * mailbox, and push-notification sends at most one per window anyway). Ends early when the
   * device comes online. 0 publishes one event per message.
   */
  DELIVERY_OFFLINE_EVENT_WINDOW_MS: envInt(0, 600_000).default(1_000),
  /**
   * The idempotency window: a send's row (its (sender, clientMessageId) key) is kept this long
   * after it was stored, and after every entry of it was acked; then the purge removes it, and
   * a resend with the same id would be a new message. Sends with unacked entries are never
   * purged.
   */
  DELIVERY_SEND_RETENTION_MS: envInt(1_000, 365 * 24 * 3_600_000).default(7 * 24 * 3_600_000),
  /** Pause between purge passes over expired sends (0: this instance never purges). */
  DELIVERY_PURGE_INTERVAL_MS: envInt(0, 86_400_000).default(60_000),
  /** How long one live delivery waits for the gateway before the device counts as offline. */
  DELIVERY_LIVE_TIMEOUT_MS: envInt(1, 60_000).default(2_000),
});

export type MessageDeliveryConfig = z.output<typeof MessageDeliveryEnvSchema>;
