/**
 * Request/reply for live deliveries, on one wildcard inbox subscription of our own.
 *
 * Why not `nc.request`: a live delivery goes out for every stored message, and nats.js
 * builds a NatsError with a stack trace for every request it settles (its `cancel` path),
 * plus a deferred and a timer; with the RPC client's UUID, request-id header, zod encode of
 * the packet and zod decode of the reply, that was the largest share of message-delivery's
 * CPU per message in the bench:e2e profiles. This keeps the same semantics (a reply, no
 * responders — the server's 503 status for a subject nobody listens on —, or a timeout) and
 * the same packet the gateway expects (`{pattern, data, id}` as Nest's transport writes it).
 */
import { createInbox } from 'nats';
import type { Msg, NatsConnection, Subscription } from 'nats';

export type LiveAnswer = 'delivered' | 'not-delivered' | 'no-responders' | 'timeout';

interface Waiting {
  readonly resolve: (answer: LiveAnswer) => void;
  readonly timer: NodeJS.Timeout;
}

export class LiveDeliveryRequester {
  private readonly inbox = `${createInbox()}.`;
  private readonly waiting = new Map<string, Waiting>();
  private readonly subscription: Subscription;
  private sequence = 0;

  constructor(private readonly nc: NatsConnection) {
    this.subscription = nc.subscribe(`${this.inbox}*`, {
      callback: (error, msg) => {
        if (!error) this.settle(msg);
      },
    });
  }

  /** Sends the packet (`data` already JSON) to `subject` and resolves with the gateway's answer. */
  request(
    subject: string,
    pattern: string,
    dataJson: string,
    timeoutMs: number,
  ): Promise<LiveAnswer> {
    const token = (++this.sequence).toString(36);
    const packet = `{"pattern":${JSON.stringify(pattern)},"data":${dataJson},"id":"${token}"}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        resolve('timeout');
      }, timeoutMs);
      this.waiting.set(token, { resolve, timer });
      this.nc.publish(subject, packet, { reply: this.inbox + token });
    });
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** Unanswered requests end as timeouts (the message stays in the mailbox either way). */
  close(): void {
    this.subscription.unsubscribe();
    for (const [token, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      this.waiting.delete(token);
      waiting.resolve('timeout');
    }
  }

  private settle(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length);
    const waiting = this.waiting.get(token);
    if (!waiting) return;
    this.waiting.delete(token);
    clearTimeout(waiting.timer);
    if (msg.data.length === 0 && msg.headers?.code === 503) waiting.resolve('no-responders');
    else waiting.resolve(deliveredIn(msg) ? 'delivered' : 'not-delivered');
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
