/**
 * Where a 1:1 step's time went, seen from outside the services:
 * - their Prometheus histograms, scraped before and after the step: the gateway's wait for a
 *   free `delivery.batch` slot and that request's round trip, message-delivery's handling of
 *   it, and its group-commit statements (the wait for a free one, the statement itself);
 * - PostgreSQL's own view of its busy backends (`pg_stat_activity` every 20 ms): how many
 *   store and ack statements run at once and what they wait on (CPU, the WAL flush, locks);
 * - how long each process's threads were ready to run but waited for a core
 *   (`/proc/<pid>/task/<tid>/schedstat`): on a 2-core machine running six busy processes,
 *   that wait is the queueing in every hop.
 */
import { Rpc } from '@parley/contracts';
import { Client } from 'pg';
import type { CpuGroups, GroupSnapshot } from './cpu';
import { groupSnapshot, perSecondBetween, runQueueSeconds } from './cpu';

// ---- Prometheus histograms -------------------------------------------------------------

/** One sample line: `name{label="value",...} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * The samples of a text-format exposition (comments skipped). Hand-written because the one
 * npm parser of the format (parse-prometheus-text-format 1.1.1) drops the labels, sum and
 * count of every labelled histogram series; a sample line is all this needs.
 */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(line);
    if (!m?.[1] || m[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      if (l[1] !== undefined && l[2] !== undefined) labels[l[1]] = l[2].replace(/\\(.)/g, '$1');
    }
    out.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

/** Cumulative bucket counts (ascending `le`, +Inf last), count and sum of one histogram. */
export interface HistogramData {
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly count: number;
  readonly sum: number;
}

/** Histogram `name` summed over every series whose labels include `match`. */
export function histogramOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): HistogramData {
  const matches = (s: Sample) => Object.entries(match).every(([k, v]) => s.labels[k] === v);
  const byLe = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const s of samples) {
    if (!matches(s)) continue;
    if (s.name === `${name}_bucket`) {
      const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_count`) count += s.value;
    else if (s.name === `${name}_sum`) sum += s.value;
  }
  const buckets = [...byLe].map(([le, c]) => ({ le, count: c })).sort((a, b) => a.le - b.le);
  return { buckets, count, sum };
}

/** What was observed between two scrapes (a series missing before counts from zero). */
export function histogramDelta(before: HistogramData, after: HistogramData): HistogramData {
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * The q-quantile as Prometheus' histogram_quantile estimates it: linear within the bucket
 * that holds it, the highest finite bound when it falls in +Inf; undefined when empty.
 */
export function histogramQuantile(h: HistogramData, q: number): number | undefined {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower;
      const inBucket = b.count - below;
      return inBucket > 0 ? lower + ((b.le - lower) * (rank - below)) / inBucket : b.le;
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

// ---- PostgreSQL's busy backends ----------------------------------------------------------

/** What a busy backend was doing when sampled. */
export type WaitClass = 'cpu' | 'wal' | 'lock' | 'other';
/** Which of message-delivery's statements it ran (by the statement's opening words). */
export type StatementKind = 'store' | 'ack' | 'other';

export function waitClassOf(waitEventType: string | null, waitEvent: string | null): WaitClass {
  // No wait event: running, or ready to run and waiting for a core.
  if (waitEventType === null) return 'cpu';
  if (waitEvent === 'WALSync' || waitEvent === 'WALWrite' || waitEvent === 'WALInsert') return 'wal';
  if (waitEventType === 'Lock') return 'lock';
  return 'other';
}

/** mailbox.repository.ts: the store statement opens with `WITH sd AS`, the ack with `WITH relaxed AS`. */
export function statementKindOf(query: string): StatementKind {
  const opening = query.trimStart().slice(0, 24).replace(/\s+/g, ' ');
  if (opening.startsWith('WITH sd AS')) return 'store';
  if (opening.startsWith('WITH relaxed AS')) return 'ack';
  return 'other';
}

/** Mean number of backends busy at once, by statement kind and wait class. */
export type BusyBackends = Record<StatementKind, Record<WaitClass, number>>;

/** Backends of one statement kind busy at once, whatever they waited on. */
export function busyTotal(row: Readonly<Record<WaitClass, number>>): number {
  return row.cpu + row.wal + row.lock + row.other;
}

const emptyBusy = (): BusyBackends => {
  const row = (): Record<WaitClass, number> => ({ cpu: 0, wal: 0, lock: 0, other: 0 });
  return { store: row(), ack: row(), other: row() };
};

/** Samples the database's active backends (but its own) until stopped. */
export class PgActivitySampler {
  private readonly counts = emptyBusy();
  private samples = 0;
  private running = true;
  private failure: Error | undefined;
  private readonly loop: Promise<void>;

  private constructor(private readonly client: Client, everyMs: number) {
    // A connection lost between queries is an 'error' event, which would crash the process.
    client.on('error', (error) => {
      this.failure ??= error;
    });
    this.loop = this.run(everyMs);
  }

  static async start(databaseUrl: string, everyMs = 20): Promise<PgActivitySampler> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    return new PgActivitySampler(client, everyMs);
  }

  /** A failed sample ends sampling (the database went away); stop() reports what came before. */
  private async run(everyMs: number): Promise<void> {
    try {
      await this.sample(everyMs);
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    }
  }

  private async sample(everyMs: number): Promise<void> {
    while (this.running) {
      const { rows } = await this.client.query<{ wait_event_type: string | null; wait_event: string | null; query: string }>(
        `SELECT wait_event_type, wait_event, query FROM pg_stat_activity
         WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      this.samples++;
      for (const r of rows) this.counts[statementKindOf(r.query)][waitClassOf(r.wait_event_type, r.wait_event)]++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  async stop(): Promise<BusyBackends> {
    this.running = false;
    await this.loop;
    await this.client.end().catch(() => undefined);
    if (this.samples === 0 && this.failure !== undefined) throw this.failure;
    const out = emptyBusy();
    for (const kind of Object.keys(out) as StatementKind[]) {
      for (const w of Object.keys(out[kind]) as WaitClass[]) out[kind][w] = this.counts[kind][w] / Math.max(1, this.samples);
    }
    return out;
  }
}

// ---- One step ----------------------------------------------------------------------------

/** p50 / p99 in milliseconds (undefined: nothing observed). */
export interface Quantiles {
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

export interface StepBreakdown {
  /** Gateway: the oldest send's wait before its delivery.batch request went. */
  readonly gatewayQueue: Quantiles;
  /** Gateway: delivery.batch request to reply. */
  readonly batchRoundTrip: Quantiles;
  /** message-delivery: delivery.batch received to answered. */
  readonly batchHandled: Quantiles;
  /** message-delivery: a store batch's wait for a free statement, and the statement. */
  readonly storeQueue: Quantiles;
  readonly storeStatement: Quantiles;
  readonly busyBackends: BusyBackends;
  /** Seconds per second each process group waited for a core. */
  readonly runQueue: Record<string, number>;
}

const quantiles = (h: HistogramData): Quantiles => {
  const ms = (q: number) => {
    const s = histogramQuantile(h, q);
    return s === undefined ? undefined : s * 1000;
  };
  return { p50Ms: ms(0.5), p99Ms: ms(0.99) };
};

async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return parseSamples(await res.text());
}

/** Started before a step, finished after it. */
export class StepProbe {
  private constructor(
    private readonly urls: { readonly gateway: string; readonly delivery: string },
    private readonly groups: CpuGroups,
    private readonly before: { readonly gateway: Sample[]; readonly delivery: Sample[]; readonly runQueue: GroupSnapshot },
    private readonly sampler: PgActivitySampler,
    private readonly startedAt: number,
  ) {}

  static async start(urls: { gateway: string; delivery: string }, databaseUrl: string, groups: CpuGroups): Promise<StepProbe> {
    const [gateway, delivery, sampler] = await Promise.all([scrape(urls.gateway), scrape(urls.delivery), PgActivitySampler.start(databaseUrl)]);
    return new StepProbe(urls, groups, { gateway, delivery, runQueue: groupSnapshot(groups, runQueueSeconds) }, sampler, performance.now());
  }

  async finish(): Promise<StepBreakdown> {
    const runQueue = perSecondBetween(this.before.runQueue, groupSnapshot(this.groups, runQueueSeconds), (performance.now() - this.startedAt) / 1000);
    const [gateway, delivery, busyBackends] = await Promise.all([scrape(this.urls.gateway), scrape(this.urls.delivery), this.sampler.stop()]);
    const delta = (before: Sample[], after: Sample[], name: string, match: Record<string, string> = {}) =>
      quantiles(histogramDelta(histogramOf(before, name, match), histogramOf(after, name, match)));
    // The label is the contract's subject, without the stack's NATS namespace.
    const batch = { subject: Rpc.delivery.batch.subject };
    return {
      gatewayQueue: delta(this.before.gateway, gateway, 'parley_delivery_batch_queue_seconds'),
      batchRoundTrip: delta(this.before.gateway, gateway, 'parley_rpc_client_duration_seconds', batch),
      batchHandled: delta(this.before.delivery, delivery, 'parley_rpc_server_duration_seconds', batch),
      storeQueue: delta(this.before.delivery, delivery, 'parley_commit_queue_seconds', { batcher: 'sends' }),
      storeStatement: delta(this.before.delivery, delivery, 'parley_commit_statement_seconds', { batcher: 'sends' }),
      busyBackends,
      runQueue,
    };
  }
}

const fmt = (q: Quantiles) => `${q.p50Ms?.toFixed(1) ?? '-'} / ${q.p99Ms?.toFixed(1) ?? '-'}`;

/** One log line: p50 / p99 in ms of each stage, busy backends, waits for a core. */
export function describeBreakdown(b: StepBreakdown): string {
  const busy = (k: StatementKind) => {
    const r = b.busyBackends[k];
    return `${k} ${busyTotal(r).toFixed(2)} (cpu ${r.cpu.toFixed(2)}, WAL ${r.wal.toFixed(2)}, lock ${r.lock.toFixed(2)})`;
  };
  const waits = Object.entries(b.runQueue).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' ');
  return (
    `    where the time went (p50 / p99 ms): gateway queue ${fmt(b.gatewayQueue)}, delivery.batch round trip ${fmt(b.batchRoundTrip)}` +
    ` (handled in message-delivery ${fmt(b.batchHandled)}; store statement queue ${fmt(b.storeQueue)}, statement ${fmt(b.storeStatement)})` +
    ` | PostgreSQL backends busy: ${busy('store')}, ${busy('ack')} | waiting for a core (s/s): ${waits}`
  );
}
