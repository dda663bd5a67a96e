/**
 * Nest's NATS transport with what Parley needs on top:
 * - every subscription joins the service's queue group, so instances share the work;
 * - the deployment's namespace prefix goes in front of every subject;
 * - it uses the service's one shared NATS connection (outgoing requests and JetStream use
 *   it too), so shutdown has one order: stop taking requests, let in-flight ones finish,
 *   then the connection owner drains it;
 * - a packet that is not JSON gets a VALIDATION_FAILED reply instead of an unhandled
 *   rejection;
 * - a JsonReply goes out as the bare body, flagged by BARE_REPLY_HEADER (see
 *   rpc-handler.decorator.ts).
 */
import { ServerNats } from '@nestjs/microservices';
import type { MessageHandler, NatsContext } from '@nestjs/microservices';
import { namespaced, ValidationFailedError } from '@parley/contracts';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { headers } from 'nats';
import type { Logger } from 'pino';
import { outcomeOf, rpcServerDuration, rpcServerRequests } from '../observability/metrics';
import {
  acceptRequestId,
  REQUEST_ID_HEADER,
  runWithRequestId,
} from '../observability/request-context';
import { JsonReply } from '../rpc/rpc-handler.decorator';
import { ACCEPTS_BARE_HEADER, BARE_REPLY_HEADER, encodeJson } from '../rpc/rpc-packet';
import { InFlight } from './in-flight';

export interface ParleyNatsServerOptions {
  /** Queue group shared by the service's instances. */
  readonly queue: string;
  readonly namespace?: string | undefined;
  readonly logger: Logger;
  /** How long closing waits for in-flight requests. */
  readonly shutdownTimeoutMs: number;
  /** Service name in the metrics labels (default: the queue). */
  readonly service?: string;
}

type Publisher = (packet: { isDisposed?: boolean; err?: unknown; response?: unknown }) => unknown;

export class ParleyNatsServer extends ServerNats {
  private connection: NatsConnection | undefined;
  private readonly subs: Subscription[] = [];
  private readonly inFlight = new InFlight();
  private readonly finishers = new WeakMap<Msg, (outcome?: string) => void>();
  private readonly measured = new WeakSet<Msg>();
  private readonly replying = new WeakSet<Msg>();
  private stopping: Promise<boolean> | undefined;

  constructor(private readonly kit: ParleyNatsServerOptions) {
    super({ queue: kit.queue });
  }

  /** The service's shared connection; must be set before `listen`. */
  useConnection(connection: NatsConnection): void {
    this.connection = connection;
  }

  /** True once shutdown began (readiness turns 503). */
  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Requests and events being handled right now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  override createNatsClient(): Promise<NatsConnection> {
    if (!this.connection) throw new Error('ParleyNatsServer: call useConnection() before listen()');
    return Promise.resolve(this.connection);
  }

  override bindEvents(client: NatsConnection): void {
    for (const [pattern, handler] of this.messageHandlers) {
      const extras = handler.extras as { queue?: string } | undefined;
      const handle = this.getMessageHandler(pattern) as (err: Error | null, msg: Msg) => unknown;
      const sub = client.subscribe(namespaced(this.kit.namespace, pattern), {
        queue: extras?.queue ?? this.kit.queue,
        callback: (err, msg) => void handle.call(this, err, msg),
      });
      this.subs.push(sub);
    }
  }

  /**
   * Parley's patterns are plain subjects, so the channel is the handler's key as it stands.
   * Nest's own lookup first tries JSON.parse on it, which throws and builds a SyntaxError for
   * every request (2.7% of message-delivery's CPU at 490 msgs/s); it still serves the rest.
   */
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    return this.messageHandlers.get(pattern) ?? super.getHandlerByPattern(pattern);
  }

  override handleMessage(channel: string, natsMsg: Msg): Promise<void> {
    // The caller's request id (or a new one) for every log line of this request.
    const requestId = acceptRequestId(natsMsg.headers?.get(REQUEST_ID_HEADER));
    return runWithRequestId(requestId, () => this.handleInContext(channel, natsMsg));
  }

  private async handleInContext(channel: string, natsMsg: Msg): Promise<void> {
    const endWork = this.inFlight.begin();
    const started = performance.now();
    const finish = (outcome = 'ok') => {
      if (!this.measured.has(natsMsg)) {
        this.measured.add(natsMsg);
        const labels = { service: this.kit.service ?? this.kit.queue, subject: channel, outcome };
        rpcServerRequests.inc(labels);
        rpcServerDuration.observe(labels, (performance.now() - started) / 1000);
        this.kit.logger.debug(
          { subject: channel, outcome, ms: Math.round(performance.now() - started) },
          'request handled',
        );
      }
      endWork();
    };
    this.finishers.set(natsMsg, finish);
    try {
      await super.handleMessage(channel, natsMsg);
      // Requests finish when their last reply goes out (see getPublisher); events here.
      if (!this.replying.has(natsMsg)) finish();
    } catch (error) {
      finish('VALIDATION_FAILED');
      this.kit.logger.warn(
        { subject: natsMsg.subject, err: error instanceof Error ? error.message : typeof error },
        'unreadable NATS packet',
      );
      if (natsMsg.reply) {
        const err = new ValidationFailedError([], 'packet is not valid JSON').toJSON();
        natsMsg.respond(encodeJson({ err, isDisposed: true }));
      }
    }
  }

  override getPublisher(natsMsg: Msg, id: string, ctx: NatsContext): Publisher {
    const publish = super.getPublisher(natsMsg, id, ctx) as Publisher;
    const finish = this.finishers.get(natsMsg);
    this.replying.add(natsMsg);
    return (packet) => {
      let sent: unknown;
      try {
        sent = sendReply(natsMsg, packet, publish);
      } catch (error) {
        // A reply that could not go out (over max_payload, connection closed) still ends
        // the request: shutdown must not wait for it.
        finish?.('INTERNAL');
        throw error;
      }
      if (packet.isDisposed || packet.err !== undefined) finish?.(outcomeOf(packet.err));
      return sent;
    };
  }

  /**
   * Stops taking requests (the queue group's other instances get them) and waits up to
   * `timeoutMs` for the ones in flight. Resolves false if some were still running.
   */
  stopAccepting(timeoutMs: number): Promise<boolean> {
    this.stopping ??= (async () => {
      await Promise.all(
        this.subs.map(async (sub) => {
          if (sub.isClosed()) return;
          // drain: UNSUB, then the messages already on their way still get handled.
          await sub.drain().catch(() => undefined);
        }),
      );
      const idle = await this.inFlight.idle(timeoutMs);
      if (!idle) {
        this.kit.logger.warn(
          { inFlight: this.inFlight.size, timeoutMs },
          'shutdown timeout: requests still in flight',
        );
      }
      return idle;
    })();
    return this.stopping;
  }

  override async close(): Promise<void> {
    // The connection belongs to the kit module, which drains it after the app closed.
    await this.stopAccepting(this.kit.shutdownTimeoutMs);
  }
}

const encoder = new TextEncoder();

/**
 * A JsonReply goes out as the whole reply body (no packet), flagged as such, when the caller
 * reads bare replies; to an older caller in a packet as any reply. Other packets as Nest
 * sends them.
 */
function sendReply(msg: Msg, packet: Parameters<Publisher>[0], publish: Publisher): unknown {
  const { response } = packet;
  if (!(response instanceof JsonReply)) return publish(packet);
  if (msg.headers?.get(ACCEPTS_BARE_HEADER) !== '1') {
    return publish({ ...packet, response: JSON.parse(response.json) as unknown });
  }
  if (!msg.reply) return false;
  const flagged = headers();
  flagged.set(BARE_REPLY_HEADER, '1');
  return msg.respond(encoder.encode(response.json), { headers: flagged });
}
