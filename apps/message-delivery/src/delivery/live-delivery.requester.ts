/**
 * Request/reply for live deliveries, on the inbox the live deliveries share (server-kit InboxRequester,
 * no NatsError per request), without the RPC client's UUID, request-id header, zod encode of
 * the packet and zod decode of the reply: those were the largest share of message-delivery's
 * CPU per message in the bench:e2e profiles. The packet is the one the gateway expects
 * (`{pattern, data, id}` as Nest's transport writes it); the answer is delivered, not
 * delivered, no responders (offline) or a timeout; a delivered answer names the gateway that
 * holds the device when that gateway says so.
 */
import type { Msg } from 'nats';
import { GatewayIdSchema } from '@parley/contracts';
import type { InboxRequester } from '@parley/server-kit';

export type LiveAnswer = 'delivered' | 'not-delivered' | 'no-responders' | 'timeout';

export interface LiveReply {
  readonly answer: LiveAnswer;
  /** The gateway that delivered it (with `delivered` only, when the gateway named itself). */
  readonly gatewayId?: string;
}

const NOT_DELIVERED: LiveReply = { answer: 'not-delivered' };
const NO_RESPONDERS: LiveReply = { answer: 'no-responders' };
const TIMEOUT: LiveReply = { answer: 'timeout' };

export class LiveDeliveryRequester {
  private sequence = 0;

  /**
   * `requests`: the inbox the live deliveries share (live batches use it too); its owner
   * closes it at shutdown, which ends only the live deliveries still waiting.
   */
  constructor(private readonly requests: InboxRequester) {}

  /** Sends the packet (`data` already JSON) to `subject` and resolves with the gateway's answer. */
  async request(
    subject: string,
    pattern: string,
    dataJson: string,
    timeoutMs: number,
  ): Promise<LiveReply> {
    const id = (++this.sequence).toString(36);
    const packet = `{"pattern":${JSON.stringify(pattern)},"data":${dataJson},"id":"${id}"}`;
    const answer = await this.requests.request(subject, packet, timeoutMs);
    if (answer.kind === 'reply') return replyIn(answer.msg);
    // A closed connection is as good as a timeout here: the mailbox keeps the message.
    return answer.kind === 'no-responders' ? NO_RESPONDERS : TIMEOUT;
  }

  get pending(): number {
    return this.requests.pending;
  }
}

/**
 * `{response: {delivered: true, gatewayId?}}` is delivered; anything else (an error packet,
 * garbage) is not. A gateway id that is not a valid one is left out.
 */
function replyIn(msg: Msg): LiveReply {
  let response: { delivered?: unknown; gatewayId?: unknown } | undefined;
  try {
    response = msg.json<{ response?: typeof response } | null>()?.response;
  } catch {
    return NOT_DELIVERED;
  }
  if (response?.delivered !== true) return NOT_DELIVERED;
  const gatewayId = GatewayIdSchema.safeParse(response.gatewayId);
  return gatewayId.success
    ? { answer: 'delivered', gatewayId: gatewayId.data }
    : { answer: 'delivered' };
}
