/**
 * NATS request/reply on one wildcard inbox subscription of our own: the transport under the
 * RPC client (rpc-request.ts) and message-delivery's live deliveries.
 *
 * Why not `nc.request`: nats.js settles every request through its `cancel` path, which
 * builds a NatsError with a stack trace even after a successful reply; with its deferred and
 * timer that was about a tenth of the gateway's CPU per message in the bench:e2e profiles
 * (one `delivery.batch` request per message at moderate rates). Same semantics here: a
 * reply, no responders (the server's 503 status for a subject nobody listens on), a timeout,
 * or the connection closing. The outcomes are values, not errors: a live delivery to an
 * offline device is routine, and an Error with its stack per answer is what this avoids.
 */
import type { Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';
import { createInbox } from 'nats';

export type InboxAnswer =
  | { readonly kind: 'reply'; readonly msg: Msg }
  | { readonly kind: 'no-responders' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'closed' };

const NO_RESPONDERS: InboxAnswer = { kind: 'no-responders' };
const TIMEOUT: InboxAnswer = { kind: 'timeout' };
const CLOSED: InboxAnswer = { kind: 'closed' };

interface Waiting {
  readonly resolve: (answer: InboxAnswer) => void;
  readonly timer: NodeJS.Timeout;
}

export class InboxRequester {
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
    // Requests still waiting when the connection ends get `closed`, not a late timeout.
    void nc.closed().then(() => {
      this.end(CLOSED);
    });
  }

  /**
   * Publishes `payload` to `subject` with a reply subject of this inbox. Throws what
   * `publish` throws (a closed or draining connection, a payload over the server's limit).
   */
  request(
    subject: string,
    payload: Uint8Array | string,
    timeoutMs: number,
    headers?: MsgHdrs,
  ): Promise<InboxAnswer> {
    const token = (++this.sequence).toString(36);
    const reply = this.inbox + token;
    this.nc.publish(subject, payload, headers ? { reply, headers } : { reply });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        resolve(TIMEOUT);
      }, timeoutMs);
      this.waiting.set(token, { resolve, timer });
    });
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** Stops listening; requests still waiting end as timeouts. */
  close(): void {
    this.subscription.unsubscribe();
    this.end(TIMEOUT);
  }

  private end(answer: InboxAnswer): void {
    for (const [token, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      this.waiting.delete(token);
      waiting.resolve(answer);
    }
  }

  private settle(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length);
    const waiting = this.waiting.get(token);
    if (!waiting) return;
    this.waiting.delete(token);
    clearTimeout(waiting.timer);
    const noResponders = msg.data.length === 0 && msg.headers?.code === 503;
    waiting.resolve(noResponders ? NO_RESPONDERS : { kind: 'reply', msg });
  }
}

const shared = new WeakMap<NatsConnection, InboxRequester>();

/** The connection's requester for RPC (one inbox subscription per connection). */
export function inboxRequesterOf(nc: NatsConnection): InboxRequester {
  let requester = shared.get(nc);
  if (!requester) {
    requester = new InboxRequester(nc);
    shared.set(nc, requester);
  }
  return requester;
}
