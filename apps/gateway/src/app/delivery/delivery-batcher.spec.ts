import type { RequestWireOf, RpcContract } from '@parley/contracts';
import { ConflictError, MAX_DELIVERY_BATCH_ITEMS, Rpc, UnavailableError } from '@parley/contracts';
import type { RpcClient } from '@parley/server-kit';
import { deliveryBatchQueueSeconds } from '@parley/server-kit';
import {
  ACK_LINGER_MS,
  BATCH_MAX_BYTES,
  DeliveryBatcher,
  SLOT_RELEASE_MS,
} from './delivery-batcher';

type BatchWire = RequestWireOf<typeof Rpc.delivery.batch>;
type Item = BatchWire['items'][number];
type SendWire = RequestWireOf<typeof Rpc.delivery.sendPairwise>;

/** Records what the batcher asks of message-delivery; answers with `answer`. */
function fakeRpc(answer: (subject: string, data: unknown) => Promise<unknown>) {
  const calls: { subject: string; data: unknown }[] = [];
  const rpc = {
    requestWire: (contract: RpcContract, data: unknown) => {
      calls.push({ subject: contract.subject, data });
      return answer(contract.subject, data);
    },
  } as unknown as RpcClient;
  return { rpc, calls };
}

const sender = { userId: 'alice', deviceId: 1 };
const send = (id: string, content = 'AAAA') => ({
  sender,
  clientMessageId: id,
  envelopes: [{ recipient: { userId: 'bob', deviceId: 1 }, type: 'message' as const, content }],
});
const idOf = (item: Item) =>
  'clientMessageId' in item.request ? item.request.clientMessageId : '';
const itemsOf = (data: unknown) => (data as BatchWire).items;
/** Answers each batch when the test says so: `answerNext()` replies to the oldest one. */
function heldRpc() {
  const waiting: (() => void)[] = [];
  const { rpc, calls } = fakeRpc(
    (_s, data) =>
      new Promise((resolve) => {
        waiting.push(() => {
          resolve({
            results: itemsOf(data).map((item) =>
              item.op === 'ack' ? { ok: { deleted: 1 } } : { ok: reply(idOf(item)) },
            ),
          });
        });
      }),
  );
  const answerNext = () => {
    waiting.shift()!();
  };
  return { rpc, calls, answerNext };
}
const batchIds = (calls: { data: unknown }[]) =>
  calls.map((c) => itemsOf(c.data).map((i) => (i.op === 'ack' ? 'ack' : idOf(i))));

const reply = (id: string) => ({
  clientMessageId: id,
  storedAt: 1,
  recipients: 1,
  deduplicated: false,
});

/** Count and sum (seconds) of deliveryBatchQueueSeconds so far. */
async function queueWaits(): Promise<{ count: number; sum: number }> {
  const { values } = await deliveryBatchQueueSeconds.get();
  const value = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
  return {
    count: value('parley_delivery_batch_queue_seconds_count'),
    sum: value('parley_delivery_batch_queue_seconds_sum'),
  };
}

describe('DeliveryBatcher', () => {
  it('sends what arrives in one turn as one batch and answers each caller with its own result', async () => {
    const { rpc, calls } = fakeRpc((_s, data) =>
      Promise.resolve({
        results: itemsOf(data).map((item) =>
          item.op === 'ack'
            ? { ok: { deleted: item.request.messageIds.length } }
            : idOf(item) === 'bad'
              ? { err: new ConflictError('client-message-id-reused', 'reused').toJSON() }
              : { ok: reply(idOf(item)) },
        ),
      }),
    );
    const batcher = new DeliveryBatcher(rpc, { GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: 2 });
    const a = batcher.sendPairwise(send('a'));
    const bad = batcher.sendPairwise(send('bad'));
    const ack = batcher.ack({ device: sender, messageIds: ['1', '2'] });
    await expect(a).resolves.toEqual(reply('a'));
    await expect(bad).rejects.toMatchObject({
      code: 'CONFLICT',
      reason: 'client-message-id-reused',
    });
    await expect(ack).resolves.toEqual({ deleted: 2 });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.subject).toBe(Rpc.delivery.batch.subject);
    expect(itemsOf(calls[0]!.data).map((i) => i.op)).toEqual([
      'send-pairwise',
      'send-pairwise',
      'ack',
    ]);
  });

  it('lets acks wait up to ACK_LINGER_MS for company; the next sends take them along', async () => {
    jest.useFakeTimers();
    try {
      const { rpc, calls } = fakeRpc((_s, data) =>
        Promise.resolve({
          results: itemsOf(data).map((item) =>
            item.op === 'ack' ? { ok: { deleted: 1 } } : { ok: reply(idOf(item)) },
          ),
        }),
      );
      const batcher = new DeliveryBatcher(rpc, { GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: 2 });
      const ack = (id: string) => batcher.ack({ device: sender, messageIds: [id] }, true);
      const first = ack('1');
      await jest.advanceTimersByTimeAsync(ACK_LINGER_MS / 2);
      const second = ack('2');
      expect(calls).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(ACK_LINGER_MS);
      await Promise.all([first, second]);
      expect(calls.map((c) => itemsOf(c.data).map((i) => i.op))).toEqual([['ack', 'ack']]);

      const third = ack('3');
      const sent = batcher.sendPairwise(send('s'));
      await jest.advanceTimersByTimeAsync(1);
      await Promise.all([third, sent]);
      expect(calls.map((c) => itemsOf(c.data).map((i) => i.op))).toEqual([
        ['ack', 'ack'],
        ['ack', 'send-pairwise'],
      ]);

      // An ack someone waits for (HTTP, or a frame with an id) goes at once.
      const answered = batcher.ack({ device: sender, messageIds: ['4'] });
      await jest.advanceTimersByTimeAsync(1);
      await answered;
      expect(calls).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('splits at the item bound and sends an oversized send alone as its own RPC', async () => {
    const { rpc, calls } = fakeRpc((subject, data) =>
      Promise.resolve(
        subject === Rpc.delivery.batch.subject
          ? { results: itemsOf(data).map((i) => ({ ok: reply(idOf(i)) })) }
          : reply((data as SendWire).clientMessageId),
      ),
    );
    const batcher = new DeliveryBatcher(rpc, { GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: 2 });
    const sends = Array.from({ length: MAX_DELIVERY_BATCH_ITEMS + 3 }, (_, i) =>
      batcher.sendPairwise(send(`m${i}`)),
    );
    const big = batcher.sendPairwise(send('big', 'A'.repeat(BATCH_MAX_BYTES)));
    await Promise.all([...sends, big]);
    const batches = calls.filter((c) => c.subject === Rpc.delivery.batch.subject);
    expect(batches.map((b) => itemsOf(b.data).length)).toEqual([MAX_DELIVERY_BATCH_ITEMS, 3]);
    expect(calls.filter((c) => c.subject === Rpc.delivery.sendPairwise.subject)).toHaveLength(1);
  });

  it('fails every item of a batch whose request failed, with that error', async () => {
    const down = new UnavailableError('no-responders', 'no service answers');
    const { rpc } = fakeRpc(() => Promise.reject(down));
    const batcher = new DeliveryBatcher(rpc, { GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: 2 });
    const results = await Promise.allSettled([
      batcher.sendPairwise(send('a')),
      batcher.ack({ device: sender, messageIds: ['1'] }),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : r.value))).toEqual(
      [down, down],
    );
  });

  it('rejects a caller whose result is missing from a short reply', async () => {
    const { rpc } = fakeRpc(() => Promise.resolve({ results: [{ ok: reply('a') }] }));
    const batcher = new DeliveryBatcher(rpc, { GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: 2 });
    const [a, b] = [batcher.sendPairwise(send('a')), batcher.sendPairwise(send('b'))];
    await expect(a).resolves.toEqual(reply('a'));
    await expect(b).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  describe('with every batch slot taken', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('holds new sends until a reply comes back, then sends them together', async () => {
      const { rpc, calls, answerNext } = heldRpc();
      const batcher = new DeliveryBatcher(rpc, { GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: 1 });
      const first = batcher.sendPairwise(send('a'));
      await jest.advanceTimersByTimeAsync(1);
      const later = ['b', 'c', 'd'].map((id) => batcher.sendPairwise(send(id)));
      await jest.advanceTimersByTimeAsync(SLOT_RELEASE_MS / 2);
      expect(batchIds(calls)).toEqual([['a']]);

      const waits = await queueWaits();
      answerNext();
      await expect(first).resolves.toEqual(reply('a'));
      await jest.advanceTimersByTimeAsync(1);
      expect(batchIds(calls)).toEqual([['a'], ['b', 'c', 'd']]);
      // The held batch's wait went to /metrics: the time its oldest send sat in the queue.
      const after = await queueWaits();
      expect(after.count - waits.count).toBe(1);
      expect(Math.round((after.sum - waits.sum) * 1000)).toBeGreaterThanOrEqual(
        SLOT_RELEASE_MS / 2,
      );
      answerNext();
      await expect(Promise.all(later)).resolves.toEqual(['b', 'c', 'd'].map(reply));
    });

    it('gives a slot back after SLOT_RELEASE_MS when its reply is slow', async () => {
      const { rpc, calls, answerNext } = heldRpc();
      const batcher = new DeliveryBatcher(rpc, { GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: 1 });
      const first = batcher.sendPairwise(send('a'));
      await jest.advanceTimersByTimeAsync(1);
      const second = batcher.sendPairwise(send('b'));
      await jest.advanceTimersByTimeAsync(SLOT_RELEASE_MS - 2);
      expect(calls).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(2);
      expect(batchIds(calls)).toEqual([['a'], ['b']]);

      // The late reply does not give the slot back twice: 'c' waits for 'b' to be answered.
      answerNext();
      await expect(first).resolves.toEqual(reply('a'));
      const third = batcher.sendPairwise(send('c'));
      await jest.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(2);
      answerNext();
      await expect(second).resolves.toEqual(reply('b'));
      await jest.advanceTimersByTimeAsync(1);
      expect(batchIds(calls)).toEqual([['a'], ['b'], ['c']]);
      answerNext();
      await expect(third).resolves.toEqual(reply('c'));
    });

    it('does not cut short the linger of an ack nobody waits for when a slot frees', async () => {
      const { rpc, calls, answerNext } = heldRpc();
      const batcher = new DeliveryBatcher(rpc, { GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: 1 });
      const first = batcher.sendPairwise(send('a'));
      await jest.advanceTimersByTimeAsync(1);
      const ack = batcher.ack({ device: sender, messageIds: ['1'] }, true);
      answerNext();
      await first;
      await jest.advanceTimersByTimeAsync(ACK_LINGER_MS - 2);
      expect(calls).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(2);
      expect(batchIds(calls)).toEqual([['a'], ['ack']]);
      answerNext();
      await expect(ack).resolves.toEqual({ deleted: 1 });
    });

    it('still sends a full batch at once', async () => {
      const { rpc, calls, answerNext } = heldRpc();
      const batcher = new DeliveryBatcher(rpc, { GATEWAY_DELIVERY_BATCHES_IN_FLIGHT: 1 });
      const sends = Array.from({ length: MAX_DELIVERY_BATCH_ITEMS + 1 }, (_, i) =>
        batcher.sendPairwise(send(`m${i}`)),
      );
      expect(calls.map((c) => itemsOf(c.data).length)).toEqual([MAX_DELIVERY_BATCH_ITEMS]);
      // The one left over waits for the reply (the slot is taken).
      await jest.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(1);
      answerNext();
      await jest.advanceTimersByTimeAsync(1);
      expect(calls.map((c) => itemsOf(c.data).length)).toEqual([MAX_DELIVERY_BATCH_ITEMS, 1]);
      answerNext();
      await expect(Promise.all(sends)).resolves.toHaveLength(MAX_DELIVERY_BATCH_ITEMS + 1);
    });
  });
});
