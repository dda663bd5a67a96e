/**
 * Events that must not be lost go through JetStream (Nest's NATS transport is core NATS,
 * at most once). This file is the `nats` library's JetStream API with Parley's rules:
 * one stream per StreamKey inside the namespace, publishes acknowledged by the stream and
 * deduplicated by `Nats-Msg-Id`, durable pull consumers with explicit acks.
 *
 * Handlers must be idempotent: a message whose ack got lost is delivered again.
 */
import type { EventContract, EventOf, StreamKey } from '@parley/contracts';
import {
  namespaced,
  namespacedName,
  ParleyError,
  STREAMS,
  streamSubjects,
  validationErrorFromZod,
} from '@parley/contracts';
import type { JsMsg, NatsConnection } from 'nats';
import {
  AckPolicy,
  DeliverPolicy,
  headers,
  NatsError,
  nanos,
  RetentionPolicy,
  StorageType,
} from 'nats';
import type { Logger } from 'pino';
import { z } from 'zod';
import { decodeJson, encodeJson } from '../rpc/rpc-packet';
import { natsFailure } from '../rpc/rpc-request';
import {
  acceptRequestId,
  currentRequestId,
  REQUEST_ID_HEADER,
  runWithRequestId,
} from '../observability/request-context';

export interface StreamOptions {
  readonly namespace?: string | undefined;
  /** How long events are kept (default 7 days: push wake-ups older than that are moot). */
  readonly maxAgeMs?: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped (default 2 minutes). */
  readonly duplicateWindowMs?: number;
  /** Replicas in a NATS cluster (default 1). */
  readonly replicas?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Creates the stream if missing, or updates its subjects and limits. Returns its name. */
export async function ensureStream(
  nc: NatsConnection,
  stream: StreamKey,
  options: StreamOptions = {},
): Promise<string> {
  const jsm = await nc.jetstreamManager();
  const name = namespacedName(options.namespace, STREAMS[stream]);
  const config = {
    name,
    subjects: streamSubjects(options.namespace, stream),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(options.maxAgeMs ?? 7 * DAY_MS),
    duplicate_window: nanos(options.duplicateWindowMs ?? 2 * 60 * 1000),
    num_replicas: options.replicas ?? 1,
  };
  try {
    await jsm.streams.info(name);
    await jsm.streams.update(name, config);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    // Another instance may create it at the same moment; identical configs make add idempotent.
    await jsm.streams.add(config);
  }
  return name;
}

export interface PublishOptions {
  readonly namespace?: string | undefined;
  /** Dedup id (`Nats-Msg-Id`): the same id within the duplicate window is stored once. */
  readonly msgId: string;
  readonly timeoutMs?: number;
}

export interface PublishResult {
  readonly stream: string;
  readonly seq: number;
  /** True when the stream already had this msgId (nothing new stored). */
  readonly duplicate: boolean;
}

/** Publishes an event and waits for the stream's ack. */
export async function publishEvent<C extends EventContract>(
  nc: NatsConnection,
  contract: C,
  event: EventOf<C>,
  options: PublishOptions,
): Promise<PublishResult> {
  let wire: unknown;
  try {
    wire = z.encode(contract.schema, event);
  } catch (error) {
    if (error instanceof z.ZodError) throw validationErrorFromZod(error, 'event');
    throw error;
  }
  const subject = namespaced(options.namespace, contract.subject);
  try {
    // The request that caused the event: its consumer logs under the same id.
    const hdrs = headers();
    hdrs.set(REQUEST_ID_HEADER, currentRequestId() ?? acceptRequestId(undefined));
    const ack = await nc.jetstream().publish(subject, encodeJson(wire), {
      msgID: options.msgId,
      headers: hdrs,
      timeout: options.timeoutMs ?? 5_000,
    });
    return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
  } catch (error) {
    throw natsFailure(error, subject);
  }
}

export interface EventMeta {
  /** Stream sequence: a stable id for idempotent handling. */
  readonly seq: number;
  /** How many times this message was delivered (1 the first time). */
  readonly deliveryCount: number;
  readonly msgId: string | undefined;
}

export interface ConsumeOptions<C extends EventContract> {
  readonly namespace?: string | undefined;
  readonly contract: C;
  /** Durable consumer name; instances using the same name share the events. */
  readonly durable: string;
  readonly handler: (event: EventOf<C>, meta: EventMeta) => Promise<void>;
  readonly logger: Logger;
  /** Redelivery after this long without an ack (default 30 s). */
  readonly ackWaitMs?: number;
  /** Deliveries before the stream gives up on a message (default 10). */
  readonly maxDeliver?: number;
  /**
   * Pause before a failed message is redelivered (default 1 s). A handler error with a
   * numeric `retryAfterMs` (a dependency said when to come back) asks for that pause instead.
   */
  readonly retryDelayMs?: number;
  /**
   * Events handled at the same time (default 1: one after another, in stream order). More
   * lets a handler that waits on slow I/O (a push service) keep up; order is then not kept.
   */
  readonly concurrency?: number;
}

export interface EventConsumer {
  readonly durable: string;
  /** Stops pulling, waits for the event in hand to finish (acked or nak'ed). */
  stop(): Promise<void>;
}

/**
 * Ensures a durable pull consumer filtered on the contract's subject and processes its
 * events one at a time: ack on success, `term` for events that fail validation (they can
 * never succeed), `nak` with a delay for anything else.
 */
export async function consumeEvents<C extends EventContract>(
  nc: NatsConnection,
  options: ConsumeOptions<C>,
): Promise<EventConsumer> {
  const { contract, logger } = options;
  if (!contract.stream) throw new TypeError(`${contract.subject} is not a JetStream event`);
  const stream = await ensureStream(nc, contract.stream, { namespace: options.namespace });
  const durable = options.durable;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(durable))
    throw new TypeError(`invalid durable name: ${durable}`);
  const jsm = await nc.jetstreamManager();
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: namespaced(options.namespace, contract.subject),
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    max_deliver: options.maxDeliver ?? 10,
  };
  try {
    await jsm.consumers.info(stream, durable);
    await jsm.consumers.update(stream, durable, {
      ack_wait: config.ack_wait,
      max_deliver: config.max_deliver,
      filter_subject: config.filter_subject,
    });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(stream, config);
  }
  const consumer = await nc.jetstream().consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: 32 });
  const log = logger.child({ stream, durable, subject: contract.subject });

  const concurrency = Math.max(1, options.concurrency ?? 1);
  const loop = (async () => {
    const inFlight = new Set<Promise<void>>();
    for await (const msg of messages) {
      const requestId = acceptRequestId(msg.headers?.get(REQUEST_ID_HEADER));
      const handled: Promise<void> = runWithRequestId(requestId, () => handleOne(msg, options, log))
        .catch((error: unknown) => {
          log.error({ err: { type: (error as Error).name } }, 'event could not be settled');
        })
        .finally(() => inFlight.delete(handled));
      inFlight.add(handled);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();

  let stopped: Promise<void> | undefined;
  return {
    durable,
    stop: () =>
      (stopped ??= (async () => {
        await messages.close();
        await loop;
      })()),
  };
}

async function handleOne<C extends EventContract>(
  msg: JsMsg,
  options: ConsumeOptions<C>,
  log: Logger,
): Promise<void> {
  const meta: EventMeta = {
    seq: msg.seq,
    deliveryCount: msg.info.deliveryCount,
    msgId: msg.headers?.get('Nats-Msg-Id') || undefined,
  };
  const parsed = options.contract.schema.safeParse(decodeJson(msg.data));
  if (!parsed.success) {
    log.warn({ seq: meta.seq }, 'event refused: it does not match its contract');
    msg.term();
    return;
  }
  try {
    await options.handler(parsed.data as EventOf<C>, meta);
    msg.ack();
  } catch (error) {
    if (error instanceof ParleyError && error.code === 'VALIDATION_FAILED') {
      log.warn({ seq: meta.seq, code: error.code }, 'event refused by its handler');
      msg.term();
      return;
    }
    log.error(
      {
        seq: meta.seq,
        deliveryCount: meta.deliveryCount,
        code: error instanceof ParleyError ? error.code : 'INTERNAL',
        err: error instanceof Error ? { type: error.name, message: error.message } : undefined,
      },
      'event handler failed; will be redelivered',
    );
    msg.nak(retryAfterOf(error) ?? options.retryDelayMs ?? 1_000);
  }
}

/** The pause a handler's error asks for, bounded to an hour. */
function retryAfterOf(error: unknown): number | undefined {
  const value = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.min(value, 3_600_000)
    : undefined;
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof NatsError &&
    (error.api_error?.err_code === 10059 ||
      error.api_error?.err_code === 10014 ||
      error.code === '404')
  );
}
