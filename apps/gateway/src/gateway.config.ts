/** The gateway's environment: the kit's variables plus its database, limits and lifetimes. */
import { BaseServiceEnvSchema, envInt } from '@parley/server-kit';
import { z } from 'zod';

const KiB = 1024;
const DAY_S = 24 * 60 * 60;

export const GatewayEnvSchema = BaseServiceEnvSchema.extend({
  /** PostgreSQL URL; the client only touches the `gateway` schema. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgresql:// URL' }),
  GATEWAY_DB_POOL_SIZE: envInt(1, 200).default(10),
  /**
   * Largest JSON body. The biggest legal request is a registration with 100 one-time
   * prekeys (about 10 KiB of JSON); 64 KiB leaves room without inviting abuse.
   */
  GATEWAY_BODY_LIMIT_BYTES: envInt(1 * KiB, 1024 * KiB).default(64 * KiB),
  /**
   * Largest body of the two send routes (POST /v1/messages, /v1/groups/:id/messages): a
   * pairwise fan-out may carry up to 640 KiB of ciphertext, about 860 KiB as base64 JSON,
   * and the whole request must still fit one NATS message (1 MiB).
   */
  GATEWAY_MESSAGE_BODY_LIMIT_BYTES: envInt(1 * KiB, 1024 * KiB).default(1024 * KiB),
  /** How long a login challenge may be answered. */
  GATEWAY_CHALLENGE_TTL_S: envInt(5, 3600).default(120),
  /** Lifetime of a bearer token. */
  GATEWAY_TOKEN_TTL_S: envInt(60, 90 * DAY_S).default(7 * DAY_S),
  /**
   * How long this instance trusts a token it has looked up before asking the database
   * again (0: always ask). Revocation reaches other instances within this time.
   */
  GATEWAY_TOKEN_CACHE_MS: envInt(0, 300_000).default(10_000),
  /** Requests per device (or per client address before login) in one window. */
  GATEWAY_RATE_LIMIT: envInt(1, 10_000_000).default(300),
  GATEWAY_RATE_WINDOW_MS: envInt(100, 3_600_000).default(60_000),
  /** Client frames (pings, acks) one WebSocket may send per second; more are refused. */
  GATEWAY_WS_FRAMES_PER_S: envInt(1, 1_000_000).default(1000),
  /**
   * `delivery.batch` requests this instance keeps waiting at once; sends that arrive while
   * that many are out wait for the next reply and go together (delivery-batcher.ts).
   */
  GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: envInt(1, 1024).default(2),
  /** Seconds a WebSocket may stay open without authenticating. */
  GATEWAY_WS_AUTH_TIMEOUT_MS: envInt(100, 60_000).default(5_000),
});

export type GatewayConfig = z.output<typeof GatewayEnvSchema>;
