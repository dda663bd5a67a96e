/**
 * Group commit (and, for reads, request coalescing). Requests that arrive while the database is busy wait in a queue and go in
 * together: ONE statement, ONE transaction and ONE WAL flush for a whole batch, and each caller
 * is answered only after that commit. Under low load a request goes alone at once (no timer
 * delay); under load batches grow by themselves, since the queue fills while up to `inFlight`
 * statements run.
 *
 * Per-request semantics are kept: `run` decides each item's outcome on its own; items with the
 * same `key` never share a batch (the later one waits for a later batch, after the first
 * committed); and if a batch statement fails, its items are retried one by one so one bad
 * request fails alone.
 */
export interface CommitBatcherOptions<T, R> {
  /**
   * Stores a batch in one statement; one outcome per item, in order. `lane` (0 to inFlight-1)
   * is this statement's own among those running at once: no two concurrent batches share one.
   */
  readonly run: (items: readonly T[], lane: number) => Promise<R[]>;
  /** Batch statements running at once (each holds one pooled connection). */
  readonly inFlight: number;
  /** Items per statement. */
  readonly maxItems: number;
  /** Bound on the summed weight of a batch (one item may exceed it alone). */
  readonly maxWeight?: number;
  readonly weight?: (item: T) => number;
  /** Items with equal keys go in different batches. */
  readonly key?: (item: T) => string;
  /**
   * Retry the items of a failed batch one by one (default true: one bad write must not fail
   * the others). Reads whose failure is shared (a timeout) fail together instead.
   */
  readonly retryAlone?: boolean;
  /** Told of every batch statement when it settles (metrics). */
  readonly onBatch?: (report: BatchReport) => void;
}

/** One batch statement, as `onBatch` is told of it. */
export interface BatchReport {
  readonly items: number;
  /** How long its oldest item waited in the queue before the statement started. */
  readonly queuedMs: number;
  /** The statement itself, round trip and commit included (its first attempt). */
  readonly statementMs: number;
}

interface Pending<T, R> {
  readonly item: T;
  readonly key: string | undefined;
  /** performance.now() at submit. */
  readonly queuedAt: number;
  resolve(outcome: R): void;
  reject(error: unknown): void;
}

export class CommitBatcher<T, R> {
  private queue: Pending<T, R>[] = [];
  private running = 0;
  /** Lanes not held by a running batch. */
  private readonly freeLanes: number[];
  private scheduled = false;

  constructor(private readonly options: CommitBatcherOptions<T, R>) {
    this.freeLanes = Array.from({ length: options.inFlight }, (_, i) => options.inFlight - 1 - i);
  }

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        item,
        key: this.options.key?.(item),
        queuedAt: performance.now(),
        resolve,
        reject,
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.options.inFlight) return;
    this.scheduled = true;
    // Requests decoded in the same turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.running < this.options.inFlight && this.queue.length > 0) {
      const batch = this.take();
      const lane = this.freeLanes.pop() ?? 0;
      this.running++;
      void this.execute(batch, lane).finally(() => {
        this.freeLanes.push(lane);
        this.running--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  /** The next batch: queue order, bounded, no key twice (later duplicates stay queued). */
  private take(): Pending<T, R>[] {
    const { maxItems, maxWeight = Infinity, weight = () => 1 } = this.options;
    const batch: Pending<T, R>[] = [];
    const keys = new Set<string>();
    const rest: Pending<T, R>[] = [];
    let total = 0;
    for (const p of this.queue) {
      const w = weight(p.item);
      const fits = batch.length === 0 || (batch.length < maxItems && total + w <= maxWeight);
      const clash = p.key !== undefined && keys.has(p.key);
      if (fits && !clash) {
        batch.push(p);
        if (p.key !== undefined) keys.add(p.key);
        total += w;
      } else {
        rest.push(p);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async execute(batch: Pending<T, R>[], lane: number): Promise<void> {
    const started = performance.now();
    const report = () => {
      try {
        this.options.onBatch?.({
          items: batch.length,
          // Queue order is submit order, so the first item waited longest.
          queuedMs: started - (batch[0]?.queuedAt ?? started),
          statementMs: performance.now() - started,
        });
      } catch {
        // Metrics are best effort: the batch's outcome stands either way.
      }
    };
    let outcomes: R[];
    try {
      outcomes = await this.options.run(
        batch.map((p) => p.item),
        lane,
      );
    } catch (error) {
      report();
      if (batch.length === 1 || this.options.retryAlone === false) {
        batch.forEach((p) => {
          p.reject(error);
        });
        return;
      }
      // One bad request must not fail the others: each on its own.
      await Promise.all(
        batch.map(async (p) => {
          try {
            settle([p], await this.options.run([p.item], lane));
          } catch (e) {
            p.reject(e);
          }
        }),
      );
      return;
    }
    report();
    settle(batch, outcomes);
  }
}

function settle<T, R>(batch: readonly Pending<T, R>[], outcomes: readonly R[]): void {
  batch.forEach((p, i) => {
    if (i < outcomes.length) p.resolve(outcomes[i] as R);
    else p.reject(new Error('batch statement returned too few outcomes'));
  });
}
