/**
 * Prometheus metrics of a Parley process (prom-client), served at `/metrics`. The kit
 * records RPC traffic and NATS connection changes itself; the service-specific metrics are
 * exported here so each service's code can update them.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process: a deployed process runs one service. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'parley_' });

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Requests a service answered, by subject (without namespace) and outcome (`ok` or error code). */
export const rpcServerRequests = new Counter({
  name: 'parley_rpc_server_requests_total',
  help: 'NATS requests handled, by subject and outcome (ok or the ParleyError code)',
  labelNames: ['service', 'subject', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const rpcServerDuration = new Histogram({
  name: 'parley_rpc_server_duration_seconds',
  help: 'Time from receiving a NATS request to sending its reply',
  labelNames: ['service', 'subject', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

/** Requests this process sent (RpcClient / request()), by subject and outcome. */
export const rpcClientRequests = new Counter({
  name: 'parley_rpc_client_requests_total',
  help: 'NATS requests sent, by subject and outcome (ok or the ParleyError code)',
  labelNames: ['subject', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const rpcClientDuration = new Histogram({
  name: 'parley_rpc_client_duration_seconds',
  help: 'Time from sending a NATS request to its reply or failure',
  labelNames: ['subject', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

export const natsReconnects = new Counter({
  name: 'parley_nats_reconnects_total',
  help: 'Times the NATS connection was re-established after a loss',
  labelNames: ['service'] as const,
  registers: [metricsRegistry],
});

export const natsDisconnects = new Counter({
  name: 'parley_nats_disconnects_total',
  help: 'Times the NATS connection was lost',
  labelNames: ['service'] as const,
  registers: [metricsRegistry],
});

export const natsConnected = new Gauge({
  name: 'parley_nats_connected',
  help: '1 while the NATS connection is up, 0 while it is down',
  labelNames: ['service'] as const,
  registers: [metricsRegistry],
});

/** Push outcomes, for push-notification: `pushResults.inc({ provider: 'fcm', result: 'sent' })`. */
export const pushResults = new Counter({
  name: 'parley_push_results_total',
  help: 'Push notifications attempted, by provider and result (sent, failed, expired, ...)',
  labelNames: ['provider', 'result'] as const,
  registers: [metricsRegistry],
});

/**
 * Items per batch statement of a group-commit batcher (message-delivery's sends, acks and
 * resend lookups): near 1 means each statement paid its round trip and commit alone.
 */
export const commitBatchItems = new Histogram({
  name: 'parley_commit_batch_items',
  help: 'Items stored (or looked up) per batch statement, by batcher',
  labelNames: ['batcher'] as const,
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
  registers: [metricsRegistry],
});

/** Finer than LATENCY_BUCKETS below 100 ms, where a statement's time is spent. */
const STATEMENT_BUCKETS = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5,
  1, 2.5,
];

/**
 * How long a group-commit batch waited for a free statement (its oldest item), and how long
 * its statement then ran, commit included: together what a send spends in the database
 * layer of message-delivery.
 */
export const commitQueueSeconds = new Histogram({
  name: 'parley_commit_queue_seconds',
  help: 'Time the oldest item of a batch statement waited before the statement started, by batcher',
  labelNames: ['batcher'] as const,
  buckets: STATEMENT_BUCKETS,
  registers: [metricsRegistry],
});

export const commitStatementSeconds = new Histogram({
  name: 'parley_commit_statement_seconds',
  help: 'Time a batch statement ran, round trip and commit included, by batcher',
  labelNames: ['batcher'] as const,
  buckets: STATEMENT_BUCKETS,
  registers: [metricsRegistry],
});

/**
 * How long the oldest send of a gateway's `delivery.batch` request waited in the gateway
 * before the request went (for a free slot, see apps/gateway delivery-batcher.ts). Acks
 * that may linger on purpose are not counted.
 */
export const deliveryBatchQueueSeconds = new Histogram({
  name: 'parley_delivery_batch_queue_seconds',
  help: 'Time the oldest send of a delivery.batch request waited in the gateway before the request went',
  buckets: STATEMENT_BUCKETS,
  registers: [metricsRegistry],
});

type DepthSource = () => Promise<number>;
let mailboxDepthSource: DepthSource | undefined;

/**
 * Unacknowledged mailbox entries, read when Prometheus scrapes (message-delivery sets the
 * source with `setMailboxDepthSource`). A failed read leaves the last value.
 */
export const mailboxDepth = new Gauge({
  name: 'parley_mailbox_depth',
  help: 'Mailbox entries stored and not yet acknowledged (all devices)',
  registers: [metricsRegistry],
  async collect() {
    if (!mailboxDepthSource) return;
    try {
      this.set(await mailboxDepthSource());
    } catch {
      // keep the previous value; the readiness probe reports a database outage
    }
  },
});

export function setMailboxDepthSource(source: DepthSource | undefined): void {
  mailboxDepthSource = source;
}

/** The outcome label of a reply error (a serialized ParleyError carries its code). */
export function outcomeOf(error: unknown): string {
  if (error === undefined || error === null) return 'ok';
  if (typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'INTERNAL';
}
