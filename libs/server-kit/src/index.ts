// Public surface of @parley/server-kit: what a Parley NestJS service needs to start, talk
// NATS (request/reply and JetStream), validate, log and shut down gracefully.
export { BaseServiceEnvSchema, loadConfig, envInt, ConfigError } from './lib/config/service-config';
export type { BaseServiceConfig, ConfigProblem } from './lib/config/service-config';

export { createLogger, NestPinoLogger, REDACTED_PATHS } from './lib/logging/logger';
export type { Logger, LoggerOptions, LogLevel } from './lib/logging/logger';

export { bootstrapService } from './lib/bootstrap/bootstrap-service';
export type {
  BootstrapOptions,
  HttpOptions,
  RunningService,
} from './lib/bootstrap/bootstrap-service';
export {
  PARLEY_CONFIG,
  PARLEY_LOGGER,
  NATS_CONNECTION,
  PARLEY_SERVICE_NAME,
} from './lib/bootstrap/tokens';
export { RpcClient } from './lib/bootstrap/rpc.client';
export { EventBus } from './lib/bootstrap/event-bus';
export { ParleyNatsServer } from './lib/transport/parley-nats.server';

export { InboxRequester } from './lib/rpc/inbox-requester';
export type { InboxAnswer } from './lib/rpc/inbox-requester';
export { DEFAULT_RPC_TIMEOUT_MS, request, requestJson, requestWire } from './lib/rpc/rpc-request';
export type { RequestOptions } from './lib/rpc/rpc-request';
export { JsonReply, RpcHandler, RpcPayload } from './lib/rpc/rpc-handler.decorator';
export { ZodValidationPipe } from './lib/rpc/zod-validation.pipe';
export { ParleyRpcExceptionFilter } from './lib/rpc/rpc-exception.filter';
export { toParleyError } from './lib/rpc/to-parley-error';
export { batchOutcome } from './lib/rpc/batch-outcome';
export type { BatchOutcome } from './lib/rpc/batch-outcome';
export { serveRpc } from './lib/rpc/serve-rpc';
export { isDatabaseUnreachable } from './lib/rpc/database-errors';
export type { ServeRpcOptions } from './lib/rpc/serve-rpc';

export { ensureStream, publishEvent, consumeEvents } from './lib/jetstream/jetstream-events';
export type {
  StreamOptions,
  PublishOptions,
  PublishResult,
  ConsumeOptions,
  EventConsumer,
  EventMeta,
} from './lib/jetstream/jetstream-events';

// Operations: probes, Prometheus metrics, request ids across HTTP and NATS hops.
export type { ReadinessCheck, ReadinessChecks, ReadinessReport } from './lib/observability/health';
export {
  metricsRegistry,
  rpcServerRequests,
  rpcServerDuration,
  rpcClientRequests,
  rpcClientDuration,
  natsReconnects,
  natsDisconnects,
  natsConnected,
  pushResults,
  commitBatchItems,
  commitQueueSeconds,
  commitStatementSeconds,
  deliveryBatchQueueSeconds,
  mailboxDepth,
  setMailboxDepthSource,
} from './lib/observability/metrics';
export {
  REQUEST_ID_HEADER,
  currentRequestId,
  runWithRequestId,
  acceptRequestId,
} from './lib/observability/request-context';
