/**
 * A public send body (HTTP or WebSocket frame) as the request to message-delivery. The body
 * is validated (and decoded) at the edge, then forwarded in the wire form it came in (`raw`):
 * encoding the decoded ciphertext back to base64 and validating it a second time cost several
 * times the rest of the request. Only fields named here are forwarded; the sender is always
 * the authenticated device, never the body.
 */
import type {
  DeviceAddress,
  RequestWireOf,
  Rpc,
  SendGroupMessageBodySchema,
  SendMessageBodySchema,
} from '@parley/contracts';
import type { z } from 'zod';

export type PairwiseSendWire = RequestWireOf<typeof Rpc.delivery.sendPairwise>;
export type GroupSendWire = RequestWireOf<typeof Rpc.delivery.sendGroup>;

export function pairwiseSendRequest(
  sender: DeviceAddress,
  body: z.output<typeof SendMessageBodySchema>,
  raw: z.input<typeof SendMessageBodySchema>,
): PairwiseSendWire {
  return {
    sender,
    clientMessageId: body.clientMessageId,
    envelopes: raw.envelopes,
    ...(body.group ? { group: body.group } : {}),
  };
}

export function groupSendRequest(
  sender: DeviceAddress,
  groupId: string,
  body: z.output<typeof SendGroupMessageBodySchema>,
  raw: z.input<typeof SendGroupMessageBodySchema>,
): GroupSendWire {
  return {
    sender,
    groupId,
    clientMessageId: body.clientMessageId,
    epoch: body.epoch,
    ciphertext: raw.ciphertext,
  };
}
