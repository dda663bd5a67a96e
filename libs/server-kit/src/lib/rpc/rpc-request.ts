/**
 * The caller side of a contract: encode and check the request, send it over NATS, and
 * return the validated reply or throw the typed ParleyError the service raised. NATS
 * failures become UNAVAILABLE (timeout, no responders, closed connection).
 */
import { randomUUID } from 'node:crypto';
import type {
  ReplyOf,
  ReplyWireOf,
  RequestOf,
  RequestWireOf,
  RpcContract,
} from '@parley/contracts';
import {
  InternalError,
  namespaced,
  parleyErrorFromJSON,
  PayloadTooLargeError,
  UnavailableError,
  validationErrorFromZod,
} from '@parley/contracts';
import type { Msg, NatsConnection } from 'nats';
import { ErrorCode as NatsErrorCode, headers, NatsError } from 'nats';
import { z } from 'zod';
import {
  acceptRequestId,
  currentRequestId,
  REQUEST_ID_HEADER,
} from '../observability/request-context';
import { outcomeOf, rpcClientDuration, rpcClientRequests } from '../observability/metrics';
import type { RequestPacket } from './rpc-packet';
import type { InboxAnswer } from './inbox-requester';
import { inboxRequesterOf } from './inbox-requester';
import {
  ACCEPTS_BARE_HEADER,
  BARE_REPLY_HEADER,
  decodeJson,
  encodeJson,
  ReplyPacketSchema,
} from './rpc-packet';

export const DEFAULT_RPC_TIMEOUT_MS = 5_000;

export interface RequestOptions {
  /** Reply deadline (default 5 s). */
  readonly timeoutMs?: number;
  /** NATS namespace prefix of the deployment (PARLEY_NATS_PREFIX). */
  readonly namespace?: string | undefined;
}

export async function request<C extends RpcContract>(
  nc: NatsConnection,
  contract: C,
  payload: RequestOf<C>,
  options: RequestOptions = {},
): Promise<ReplyOf<C>> {
  let data: unknown;
  try {
    data = z.encode(contract.request, payload);
  } catch (error) {
    if (error instanceof z.ZodError) throw validationErrorFromZod(error, 'request');
    throw error;
  }
  return exchange(nc, contract, data, options, (bytes, bare) =>
    bare ? checkedReply(contract, decodeJson(bytes)) : decodeReply(contract, bytes),
  );
}

/**
 * request() for pass-through hot paths (the gateway): the payload is already in wire form
 * and checked by the caller, and the reply comes back in wire form, not validated (it is
 * forwarded as it is). Encoding again what was just decoded, and decoding what is only
 * forwarded, would otherwise be most of the cost. Failures are the same typed errors.
 */
export function requestWire<C extends RpcContract>(
  nc: NatsConnection,
  contract: C,
  data: RequestWireOf<C>,
  options: RequestOptions = {},
): Promise<ReplyWireOf<C>> {
  return exchange(
    nc,
    contract,
    data,
    options,
    (bytes, bare) =>
      (bare
        ? wireObject(contract, decodeJson(bytes))
        : wireReply(contract, bytes)) as ReplyWireOf<C>,
  );
}

/**
 * requestWire() for replies that are only forwarded as JSON (a mailbox page to HTTP): the
 * reply's wire form as JSON bytes, not parsed at all when the service sent it bare (a
 * JsonReply); a reply in a packet is taken out of it. Failures are the same typed errors.
 */
export function requestJson<C extends RpcContract>(
  nc: NatsConnection,
  contract: C,
  data: RequestWireOf<C>,
  options: RequestOptions = {},
): Promise<Uint8Array> {
  return exchange(nc, contract, data, options, (bytes, bare) =>
    bare ? jsonObjectBytes(contract, bytes) : encodeJson(wireReply(contract, bytes)),
  );
}

async function exchange<R>(
  nc: NatsConnection,
  contract: RpcContract,
  data: unknown,
  options: RequestOptions,
  /** `bare`: the body is the response itself, not a packet (BARE_REPLY_HEADER). */
  decode: (bytes: Uint8Array, bare: boolean) => R,
): Promise<R> {
  const subject = namespaced(options.namespace, contract.subject);
  const packet: RequestPacket = { pattern: contract.subject, data, id: randomUUID() };
  const bytes = encodeJson(packet);
  const maxPayload = nc.info?.max_payload;
  if (maxPayload !== undefined && bytes.length > maxPayload) {
    throw new PayloadTooLargeError(maxPayload);
  }
  // The id of the request in hand goes along, so the handler's logs carry it too.
  const hdrs = headers();
  hdrs.set(REQUEST_ID_HEADER, currentRequestId() ?? acceptRequestId(undefined));
  // Every caller here reads bare replies (JsonReply) as well as packets.
  hdrs.set(ACCEPTS_BARE_HEADER, '1');
  const started = performance.now();
  let outcome = 'ok';
  try {
    let answer: InboxAnswer;
    try {
      answer = await inboxRequesterOf(nc).request(
        subject,
        bytes,
        options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS,
        hdrs,
      );
    } catch (error) {
      throw natsFailure(error, subject);
    }
    const reply = replyOf(answer, subject);
    return decode(reply.data, reply.headers?.get(BARE_REPLY_HEADER) === '1');
  } catch (error) {
    outcome = outcomeOf(error);
    throw error;
  } finally {
    const labels = { subject: contract.subject, outcome };
    rpcClientRequests.inc(labels);
    rpcClientDuration.observe(labels, (performance.now() - started) / 1000);
  }
}

/** The reply message, or UNAVAILABLE for a request that got none. */
function replyOf(answer: InboxAnswer, subject: string): Msg {
  if (answer.kind === 'reply') return answer.msg;
  throw unanswered(answer.kind, subject);
}

/** UNAVAILABLE for a request without an answer; `detail` names why a connection is gone. */
function unanswered(
  kind: Exclude<InboxAnswer['kind'], 'reply'>,
  subject: string,
  detail = 'closed',
): UnavailableError {
  switch (kind) {
    case 'no-responders':
      return new UnavailableError('no-responders', `no service answers ${subject}`);
    case 'timeout':
      return new UnavailableError('timeout', `no reply on ${subject} in time`);
    case 'closed':
      return new UnavailableError('disconnected', `NATS connection unavailable (${detail})`);
  }
}

/** The reply of `contract` as it travelled, or the typed error inside. */
function wireReply(contract: RpcContract, bytes: Uint8Array): unknown {
  const packet = ReplyPacketSchema.safeParse(decodeJson(bytes));
  if (!packet.success) throw new InternalError(`malformed reply on ${contract.subject}`);
  const { err, response } = packet.data;
  if (err !== undefined && err !== null) throw parleyErrorFromJSON(err);
  return wireObject(contract, response);
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * A bare reply forwarded unparsed: at least shaped like a JSON object (the service wrote it,
 * a test holds it to the contract; this stops an empty or truncated body from going on).
 */
function jsonObjectBytes(contract: RpcContract, bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== OPEN_BRACE || bytes[bytes.length - 1] !== CLOSE_BRACE) {
    throw new InternalError(`malformed reply on ${contract.subject}`);
  }
  return bytes;
}

/** A response in its wire form: any object (not validated, it is only forwarded). */
function wireObject(contract: RpcContract, response: unknown): unknown {
  if (typeof response !== 'object' || response === null) {
    throw new InternalError(`reply on ${contract.subject} broke its contract at (root)`);
  }
  return response;
}

/** The reply bytes of `contract`: its validated value, or the typed error inside. */
export function decodeReply<C extends RpcContract>(contract: C, bytes: Uint8Array): ReplyOf<C> {
  const packet = ReplyPacketSchema.safeParse(decodeJson(bytes));
  if (!packet.success) {
    throw new InternalError(`malformed reply on ${contract.subject}`);
  }
  const { err, response } = packet.data;
  if (err !== undefined && err !== null) throw parleyErrorFromJSON(err);
  return checkedReply(contract, response);
}

/** A response (decoded JSON) as the contract's reply value, or INTERNAL when it breaks it. */
function checkedReply<C extends RpcContract>(contract: C, response: unknown): ReplyOf<C> {
  const reply = contract.reply.safeParse(response);
  if (!reply.success) {
    const first = reply.error.issues[0];
    throw new InternalError(
      `reply on ${contract.subject} broke its contract${first ? ` at ${first.path.join('.') || '(root)'}` : ''}`,
    );
  }
  return reply.data as ReplyOf<C>;
}

const DISCONNECTED: readonly string[] = [
  NatsErrorCode.ConnectionClosed,
  NatsErrorCode.ConnectionDraining,
  NatsErrorCode.Disconnect,
  NatsErrorCode.ConnectionRefused,
  NatsErrorCode.ConnectionTimeout,
];

/** A NATS client failure as a ParleyError. */
export function natsFailure(error: unknown, subject: string): Error {
  if (!(error instanceof NatsError)) return error instanceof Error ? error : new InternalError();
  const code: string = error.code;
  if (code === (NatsErrorCode.NoResponders as string)) return unanswered('no-responders', subject);
  if (code === (NatsErrorCode.Timeout as string)) return unanswered('timeout', subject);
  if (DISCONNECTED.includes(code)) return unanswered('closed', subject, code);
  if (code === (NatsErrorCode.MaxPayloadExceeded as string)) {
    return new PayloadTooLargeError(0, 'payload exceeds the NATS max_payload');
  }
  return new InternalError(`NATS request on ${subject} failed (${code})`);
}
