/**
 * The gateway's way to message-delivery for sends and acks: what arrives in one turn of the
 * event loop (frames from many sockets, HTTP requests) goes as ONE `delivery.batch` request,
 * and each caller gets its own reply or typed error back, as if it had asked alone. Under
 * load this turns one NATS round trip and one handler dispatch per send into one per batch
 * (profiles: the per-request cost of nats.js and Nest's transport was most of both sides'
 * CPU per message); at low load a batch holds one item and costs what a single request did.
 *
 * An ack nobody waits for (a socket ack frame without id) is not urgent: a late delete
 * changes nothing a client sees. It waits up to ACK_LINGER_MS for company: the next batch of sends takes it along, or the timer sends the
 * acks that gathered meanwhile together. At moderate rates this is what turns one NATS round
 * trip and one DELETE per ack into one per batch.
 *
 * Sends do not wait for a timer, but they may wait for a reply: at most
 * GATEWAY_DELIVERY_BATCHES_IN_FLIGHT batch requests are out at once, and what arrives while
 * that many are out goes together when the next reply comes back. At moderate rates frames
 * arrive one per I/O phase, so the turn of the event loop alone batched nothing: every send
 * paid its own NATS messages here, in nats-server and in message-delivery, and its own
 * statement in PostgreSQL (bench:e2e at 960 msgs/s: 1.4 ms of CPU per message against 0.46
 * at 3,200/s, where batches fill). An idle gateway still sends at once; a busy one sends
 * what arrived during one round trip. A request holds its slot until its reply or
 * SLOT_RELEASE_MS, whichever is first, so a slow message-delivery (restarting, say) delays
 * new sends by that much at most, not by a whole RPC timeout (a cap without that release
 * collapsed at 4,000 msgs/s offered: slow replies held every send). Measured at 1,882 msgs/s:
 * the machine 1.55-1.67 cores with 2 against 1.74-1.85 uncapped; past 2,600/s the wait for a
 * reply adds to p50 (README, session 7). 1024 turns the cap off.
 *
 * A send too big to share a batch (over BATCH_MAX_BYTES) goes alone as its own RPC, so a
 * batch stays well under the NATS payload limit. If the batch request itself fails
 * (timeout, no responders), every item in it fails with that error, exactly as each single
 * request would have.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { ReplyWireOf, RequestWireOf } from '@parley/contracts';
import {
  InternalError,
  MAX_DELIVERY_BATCH_ITEMS,
  parleyErrorFromJSON,
  Rpc,
} from '@parley/contracts';
import { deliveryBatchQueueSeconds, PARLEY_CONFIG, RpcClient } from '@parley/server-kit';
import type { GatewayConfig } from '../../gateway.config';

const D = Rpc.delivery;
type SendPairwiseWire = RequestWireOf<typeof D.sendPairwise>;
type SendGroupWire = RequestWireOf<typeof D.sendGroup>;
type AckWire = RequestWireOf<typeof D.ack>;
type SendReplyWire = ReplyWireOf<typeof D.sendPairwise>;
type AckReplyWire = ReplyWireOf<typeof D.ack>;
type Item = RequestWireOf<typeof D.batch>['items'][number];

/** Estimated wire bytes per batch (the NATS default max_payload is 1 MiB). */
export const BATCH_MAX_BYTES = 256 * 1024;
/** Longest an ack waits for other items to share its batch. */
export const ACK_LINGER_MS = 20;
/** Longest a batch request keeps other sends waiting for its reply. */
export const SLOT_RELEASE_MS = 20;
/** Per envelope or id, beyond its content: addresses, ids, JSON punctuation. */
const ITEM_OVERHEAD_BYTES = 160;

interface Pending {
  readonly item: Item;
  /** performance.now() at submit, for sends (see deliveryBatchQueueSeconds). */
  readonly urgentSince: number | undefined;
  resolve(reply: unknown): void;
  reject(error: unknown): void;
}

@Injectable()
export class DeliveryBatcher {
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private lingering: NodeJS.Timeout | undefined;
  /** A queued item does not wait for a linger timer (a send, an ack someone waits for). */
  private urgent = false;
  /** Batch requests holding a slot (see above). */
  private outstanding = 0;
  private readonly maxOutstanding: number;

  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(PARLEY_CONFIG) config: Pick<GatewayConfig, 'GATEWAY_DELIVERY_BATCHES_IN_FLIGHT'>,
  ) {
    this.maxOutstanding = config.GATEWAY_DELIVERY_BATCHES_IN_FLIGHT;
  }

  sendPairwise(request: SendPairwiseWire): Promise<SendReplyWire> {
    const bytes = request.envelopes.reduce(
      (n, e) => n + e.content.length + ITEM_OVERHEAD_BYTES,
      ITEM_OVERHEAD_BYTES,
    );
    if (bytes > BATCH_MAX_BYTES) return this.rpc.requestWire(D.sendPairwise, request);
    return this.submit({ op: 'send-pairwise', request }, bytes) as Promise<SendReplyWire>;
  }

  sendGroup(request: SendGroupWire): Promise<SendReplyWire> {
    const bytes = request.ciphertext.length + ITEM_OVERHEAD_BYTES;
    if (bytes > BATCH_MAX_BYTES) return this.rpc.requestWire(D.sendGroup, request);
    return this.submit({ op: 'send-group', request }, bytes) as Promise<SendReplyWire>;
  }

  /** `unanswered`: nobody waits for the reply, so the ack may linger (see above). */
  ack(request: AckWire, unanswered = false): Promise<AckReplyWire> {
    const bytes = (request.messageIds.length + 1) * ITEM_OVERHEAD_BYTES;
    return this.submit({ op: 'ack', request }, bytes, unanswered) as Promise<AckReplyWire>;
  }

  private submit(item: Item, bytes: number, canWait = false): Promise<unknown> {
    if (this.queuedBytes + bytes > BATCH_MAX_BYTES) this.flush();
    return new Promise((resolve, reject) => {
      this.queue.push({
        item,
        urgentSince: canWait ? undefined : performance.now(),
        resolve,
        reject,
      });
      this.queuedBytes += bytes;
      if (!canWait) this.urgent = true;
      if (this.queue.length >= MAX_DELIVERY_BATCH_ITEMS) this.flush();
      else if (!canWait) this.flushSoon();
      else
        this.lingering ??= setTimeout(() => {
          this.flush();
        }, ACK_LINGER_MS);
    });
  }

  /**
   * Everything read from the sockets in this I/O phase joins the batch; with every slot
   * taken, everything until the next reply (or slot release) does.
   */
  private flushSoon(): void {
    if (this.scheduled || this.outstanding >= this.maxOutstanding) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // A full batch may have taken the last slot since; then the next release sends these.
      if (this.outstanding < this.maxOutstanding) this.flush();
    });
  }

  private flush(): void {
    clearTimeout(this.lingering);
    this.lingering = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.queuedBytes = 0;
    this.urgent = false;
    observeQueueWait(batch);
    const release = this.holdSlot();
    this.rpc.requestWire(D.batch, { items: batch.map((p) => p.item) }).then(
      ({ results }) => {
        release();
        batch.forEach((pending, i) => {
          const result = results[i];
          if (result === undefined) pending.reject(new InternalError('batch reply too short'));
          else if ('ok' in result) pending.resolve(result.ok);
          else pending.reject(parleyErrorFromJSON(result.err));
        });
      },
      (error: unknown) => {
        release();
        for (const pending of batch) pending.reject(error);
      },
    );
  }

  /** Takes a slot; the returned function (or the timer, if first) gives it back once. */
  private holdSlot(): () => void {
    this.outstanding++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      this.outstanding--;
      if (this.urgent) this.flushSoon();
    };
    const timer = setTimeout(release, SLOT_RELEASE_MS);
    timer.unref();
    return release;
  }
}

/** The wait of the batch's oldest send (queue order is submit order). */
function observeQueueWait(batch: readonly Pending[]): void {
  const oldest = batch.find((p) => p.urgentSince !== undefined)?.urgentSince;
  if (oldest !== undefined) deliveryBatchQueueSeconds.observe((performance.now() - oldest) / 1000);
}
