/**
 * Request/reply for live deliveries, on an inbox of their own (server-kit InboxRequester,
 * no NatsError per request), without the RPC client's UUID, request-id header, zod encode of
 * the packet and zod decode of the reply: those were the largest share of message-delivery's
 * CPU per message in the bench:e2e profiles. The packet is the one the gateway expects
 * (`{pattern, data, id}` as Nest's transport writes it); the answer is delivered, not
 * delivered, no responders (offline) or a timeout.
 */
import type { Msg, NatsConnection } from 'nats';
import { InboxRequester } from '@parley/server-kit';

export type LiveAnswer = 'delivered' | 'not-delivered' | 'no-responders' | 'timeout';

export class LiveDeliveryRequester {
  /** Its own inbox: closing it at shutdown ends only the live deliveries still waiting. */
  private readonly requests: InboxRequester;
  private sequence = 0;

  constructor(nc: NatsConnection) {
    this.requests = new InboxRequester(nc);
  }

  /** Sends the packet (`data` already JSON) to `subject` and resolves with the gateway's answer. */
  async request(
    subject: string,
    pattern: string,
    dataJson: string,
    timeoutMs: number,
  ): Promise<LiveAnswer> {
    const id = (++this.sequence).toString(36);
    const packet = `{"pattern":${JSON.stringify(pattern)},"data":${dataJson},"id":"${id}"}`;
    const answer = await this.requests.request(subject, packet, timeoutMs);
    if (answer.kind === 'reply') return deliveredIn(answer.msg) ? 'delivered' : 'not-delivered';
    // A closed connection is as good as a timeout here: the mailbox keeps the message.
    return answer.kind === 'no-responders' ? 'no-responders' : 'timeout';
  }

  get pending(): number {
    return this.requests.pending;
  }

  /** Unanswered requests end as timeouts (the message stays in the mailbox either way). */
  close(): void {
    this.requests.close();
  }
}

/** `{response: {delivered: true}}`; anything else (an error packet, garbage) is not. */
function deliveredIn(msg: Msg): boolean {
  try {
    const packet = msg.json<{ response?: { delivered?: unknown } } | null>();
    return packet?.response?.delivered === true;
  } catch {
    return false;
  }
}
