/**
 * The JSON packets of Nest's NATS transport, which our servers speak: a request is
 * `{ pattern, data, id }` (no `id` makes it an event), a reply `{ id, response }` or
 * `{ id, err }`, flagged `isDisposed` when it is the last one.
 */
import { z } from 'zod';

export interface RequestPacket {
  readonly pattern: string;
  readonly data: unknown;
  readonly id: string;
}

export const ReplyPacketSchema = z.object({
  id: z.string().optional(),
  response: z.unknown().optional(),
  err: z.unknown().optional(),
  isDisposed: z.boolean().optional(),
});
export type ReplyPacket = z.output<typeof ReplyPacketSchema>;

/**
 * On a reply whose body is the response JSON itself, not a packet around it (a JsonReply,
 * see rpc-handler.decorator.ts). Errors always travel as packets.
 */
export const BARE_REPLY_HEADER = 'Parley-Bare-Reply';
/**
 * On a request whose caller reads bare replies. A server sends a JsonReply bare only then,
 * so callers of an older release (mid rolling upgrade) still get packets.
 */
export const ACCEPTS_BARE_HEADER = 'Parley-Accepts-Bare';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses JSON bytes; undefined when they are not JSON. */
export function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}
