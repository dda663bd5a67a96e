/**
 * A contract pairs a subject with the zod schemas of what travels on it. Schemas decode
 * the JSON wire form into domain values (base64 -> Uint8Array) on `parse`, and encode
 * domain values back with `z.encode`, so both ends share one definition.
 */
import type { z } from 'zod';
import type { ServiceName, StreamKey } from './subjects';

export interface RpcContract<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly kind: 'rpc';
  /** Plain subject, without namespace. */
  readonly subject: string;
  /** The service answering (its queue group); undefined for per-device subjects. */
  readonly service: ServiceName | undefined;
  readonly request: Req;
  readonly reply: Res;
}

export interface EventContract<S extends z.ZodType = z.ZodType> {
  readonly kind: 'event';
  /** Plain subject, without namespace. */
  readonly subject: string;
  /** JetStream stream that keeps it, or undefined for fire-and-forget core NATS. */
  readonly stream: StreamKey | undefined;
  readonly schema: S;
}

export function defineRpc<Req extends z.ZodType, Res extends z.ZodType>(
  c: Omit<RpcContract<Req, Res>, 'kind'>,
): RpcContract<Req, Res> {
  return Object.freeze({ kind: 'rpc', ...c });
}

export function defineEvent<S extends z.ZodType>(
  c: Omit<EventContract<S>, 'kind'>,
): EventContract<S> {
  return Object.freeze({ kind: 'event', ...c });
}

/** The request as code sees it (decoded: Uint8Array fields). */
export type RequestOf<C extends RpcContract> = z.output<C['request']>;
/** The request as it travels (JSON: base64 strings). */
export type RequestWireOf<C extends RpcContract> = z.input<C['request']>;
export type ReplyOf<C extends RpcContract> = z.output<C['reply']>;
export type ReplyWireOf<C extends RpcContract> = z.input<C['reply']>;
export type EventOf<C extends EventContract> = z.output<C['schema']>;
export type EventWireOf<C extends EventContract> = z.input<C['schema']>;
