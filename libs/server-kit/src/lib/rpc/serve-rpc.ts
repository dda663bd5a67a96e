/**
 * Answers a contract on a subject outside Nest's static `@MessagePattern`s, such as the
 * per-device live-delivery subject a gateway subscribes to while a device is connected.
 * Same packets, validation and error replies as a Nest handler.
 */
import type { ReplyOf, RequestOf, RpcContract } from '@parley/contracts';
import {
  InternalError,
  namespaced,
  serializeError,
  validationErrorFromZod,
} from '@parley/contracts';
import type { Msg, NatsConnection, Subscription } from 'nats';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  acceptRequestId,
  REQUEST_ID_HEADER,
  runWithRequestId,
} from '../observability/request-context';
import { decodeJson, encodeJson } from './rpc-packet';
import { toParleyError } from './to-parley-error';

export interface ServeRpcOptions {
  readonly namespace?: string | undefined;
  /** Queue group; omit when exactly this process should answer (per-device subjects). */
  readonly queue?: string;
  readonly logger: Logger;
}

const PacketSchema = z.object({ id: z.string().max(128).optional(), data: z.unknown() });

export function serveRpc<C extends RpcContract>(
  nc: NatsConnection,
  contract: C,
  handler: (request: RequestOf<C>) => Promise<ReplyOf<C>>,
  options: ServeRpcOptions,
): Subscription {
  const subject = namespaced(options.namespace, contract.subject);
  const answer = async (msg: Msg): Promise<void> => {
    const packet = PacketSchema.safeParse(decodeJson(msg.data));
    const id = packet.success ? packet.data.id : undefined;
    try {
      if (!packet.success) throw new InternalError('unreadable request packet');
      const parsed = contract.request.safeParse(packet.data.data);
      if (!parsed.success) throw validationErrorFromZod(parsed.error, 'request');
      const reply = await handler(parsed.data as RequestOf<C>);
      let response: unknown;
      try {
        response = z.encode(contract.reply, reply);
      } catch {
        throw new InternalError(`reply on ${contract.subject} broke its contract`);
      }
      msg.respond(encodeJson({ id, response, isDisposed: true }));
    } catch (error) {
      const err = toParleyError(error);
      if (err.code === 'INTERNAL') {
        options.logger.error(
          {
            subject: contract.subject,
            err: error instanceof Error ? { type: error.name, message: error.message } : undefined,
          },
          'request failed with an unexpected error',
        );
      }
      msg.respond(encodeJson({ id, err: serializeError(err), isDisposed: true }));
    }
  };
  return nc.subscribe(subject, {
    ...(options.queue ? { queue: options.queue } : {}),
    callback: (error, msg) => {
      if (error) {
        options.logger.warn({ subject, err: error.message }, 'subscription error');
        return;
      }
      void runWithRequestId(acceptRequestId(msg.headers?.get(REQUEST_ID_HEADER)), () =>
        answer(msg),
      );
    },
  });
}
