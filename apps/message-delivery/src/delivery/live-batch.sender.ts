/**
 * Live deliveries to devices whose gateway is known go as one `live-batch.<gatewayId>`
 * request per gateway for everything offered in one turn of the event loop (a commit of
 * many sends, a group fan-out) instead of one request per device: one publish, one reply and
 * one NATS round trip in place of many (wire format: live-batch.wire.ts in contracts).
 *
 * Each offer is answered on its own: delivered, not delivered (that gateway does not hold
 * the device's socket now), or unanswered (no responders, timeout, publish failed) for the
 * whole batch. The dispatcher then tries the device's own live subject, so a stale guess
 * costs a round trip, never a message.
 */
import type { LiveBatchItem } from '@parley/contracts';
import { decodeLiveBatchAnswers, encodeLiveBatch } from '@parley/contracts';
import type { InboxAnswer, InboxRequester } from '@parley/server-kit';

export type LiveBatchAnswer = 'delivered' | 'not-delivered' | 'unanswered';

/** A batch is sent once it holds this much; far below NATS's 1 MiB payload limit. */
export const LIVE_BATCH_MAX_BYTES = 256 * 1024;

interface Offer {
  readonly item: LiveBatchItem;
  readonly resolve: (answer: LiveBatchAnswer) => void;
}

interface Batch {
  offers: Offer[];
  bytes: number;
}

export class LiveBatchSender {
  private readonly batches = new Map<string, Batch>();
  private scheduled = false;

  constructor(
    private readonly requests: InboxRequester,
    private readonly subjectOf: (gatewayId: string) => string,
    private readonly timeoutMs: number,
  ) {}

  offer(gatewayId: string, item: LiveBatchItem): Promise<LiveBatchAnswer> {
    // Address, spaces, LF: a generous bound, only used to split batches.
    const bytes = item.messageJson.length + 96;
    return new Promise((resolve) => {
      let batch = this.batches.get(gatewayId);
      if (batch && batch.bytes + bytes > LIVE_BATCH_MAX_BYTES) {
        this.batches.delete(gatewayId);
        void this.send(gatewayId, batch.offers);
        batch = undefined;
      }
      if (!batch) {
        batch = { offers: [], bytes: 0 };
        this.batches.set(gatewayId, batch);
      }
      batch.offers.push({ item, resolve });
      batch.bytes += bytes;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batches = [...this.batches];
      this.batches.clear();
      for (const [gatewayId, batch] of batches) void this.send(gatewayId, batch.offers);
    });
  }

  private async send(gatewayId: string, offers: readonly Offer[]): Promise<void> {
    let answer: InboxAnswer;
    try {
      answer = await this.requests.request(
        this.subjectOf(gatewayId),
        encodeLiveBatch(offers.map((o) => o.item)),
        this.timeoutMs,
      );
    } catch {
      // A closed or draining connection: the device's own subject is tried (and fails alike).
      answer = { kind: 'closed' };
    }
    if (answer.kind !== 'reply') {
      for (const offer of offers) offer.resolve('unanswered');
      return;
    }
    const delivered = decodeLiveBatchAnswers(answer.msg.data, offers.length);
    offers.forEach((offer, i) => {
      offer.resolve(delivered[i] ? 'delivered' : 'not-delivered');
    });
  }
}
