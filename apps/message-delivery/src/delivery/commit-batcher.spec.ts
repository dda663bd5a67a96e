import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import type { BatchReport } from './commit-batcher';
import { CommitBatcher } from './commit-batcher';

/** A `run` that records its batches and answers each item with `item * 10`. */
function recorder(failWhen: (items: readonly number[]) => boolean = () => false) {
  const batches: number[][] = [];
  const run = (items: readonly number[]) => {
    batches.push([...items]);
    return failWhen(items)
      ? Promise.reject(new Error('statement failed'))
      : Promise.resolve(items.map((i) => i * 10));
  };
  return { batches, run };
}

describe('CommitBatcher', () => {
  it('sends a lone request at once, and what queues meanwhile as one batch', async () => {
    const r = recorder();
    const sizes: number[] = [];
    const b = new CommitBatcher({
      run: r.run,
      inFlight: 1,
      maxItems: 100,
      onBatch: (report) => sizes.push(report.items),
    });
    const first = b.submit(1);
    await tick();
    const rest = [2, 3, 4].map((i) => b.submit(i));
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    expect(sizes).toEqual([1, 3]);
  });

  it('reports how long each batch waited for a free statement and how long its statement ran', async () => {
    const reports: BatchReport[] = [];
    let release: () => void = () => undefined;
    const b = new CommitBatcher<number, number>({
      // The first statement runs until released; the next ones answer at once.
      run: (items) =>
        items[0] === 1
          ? new Promise((resolve) => {
              release = () => {
                resolve([10]);
              };
            })
          : Promise.resolve(items.map((i) => i * 10)),
      inFlight: 1,
      maxItems: 100,
      onBatch: (report) => {
        reports.push(report);
      },
    });
    const first = b.submit(1);
    await tick();
    const second = b.submit(2);
    await sleep(30);
    release();
    expect(await Promise.all([first, second])).toEqual([10, 20]);
    expect(reports).toHaveLength(2);
    const [held, waited] = reports as [BatchReport, BatchReport];
    expect(held.items).toBe(1);
    expect(held.statementMs).toBeGreaterThanOrEqual(25);
    expect(held.queuedMs).toBeLessThan(25);
    // Item 2 queued while the only statement ran: its wait is that statement's time.
    expect(waited.queuedMs).toBeGreaterThanOrEqual(25);
    expect(waited.statementMs).toBeLessThan(25);
  });

  it('neither fails nor repeats a batch whose report throws', async () => {
    const r = recorder();
    const b = new CommitBatcher({
      run: r.run,
      inFlight: 1,
      maxItems: 100,
      onBatch: () => {
        throw new Error('metrics broke');
      },
    });
    expect(await Promise.all([b.submit(1), b.submit(2)])).toEqual([10, 20]);
    expect(r.batches).toEqual([[1, 2]]);
  });

  it('bounds batches by item count and weight (a heavy item still goes alone)', async () => {
    const r = recorder();
    const b = new CommitBatcher({
      run: r.run,
      inFlight: 1,
      maxItems: 2,
      maxWeight: 10,
      weight: (i: number) => i,
    });
    await Promise.all([1, 2, 3, 20, 4, 5].map((i) => b.submit(i)));
    // A later item that fits may go before an earlier one that does not (sends in flight at
    // once have no order among them).
    expect(r.batches).toEqual([[1, 2], [3, 4], [20], [5]]);
  });

  it('never puts two items with one key in a batch', async () => {
    const r = recorder();
    const b = new CommitBatcher({
      run: r.run,
      inFlight: 1,
      maxItems: 10,
      key: (i: number) => `${i % 2}`,
    });
    await Promise.all([1, 3, 2, 5].map((i) => b.submit(i)));
    expect(r.batches).toEqual([[1, 2], [3], [5]]);
  });

  it('retries a failed batch item by item, so only the bad one fails', async () => {
    const r = recorder((items) => items.includes(13));
    const b = new CommitBatcher({ run: r.run, inFlight: 1, maxItems: 10 });
    const results = await Promise.allSettled([1, 13, 2].map((i) => b.submit(i)));
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(r.batches).toEqual([[1, 13, 2], [1], [13], [2]]);
  });

  it('gives every batch running at once a lane of its own, reused once it ends', async () => {
    const running = new Set<number>();
    const lanes: number[] = [];
    const b = new CommitBatcher<number, number>({
      run: async (items, lane) => {
        expect(running.has(lane)).toBe(false);
        running.add(lane);
        lanes.push(lane);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running.delete(lane);
        return [...items];
      },
      inFlight: 3,
      maxItems: 1,
    });
    await Promise.all(Array.from({ length: 12 }, (_, i) => b.submit(i)));
    expect(lanes).toHaveLength(12);
    expect(new Set(lanes)).toEqual(new Set([0, 1, 2]));
  });
});
