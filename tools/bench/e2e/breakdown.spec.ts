/**
 * The step breakdown's pieces: prom-client's own exposition parsed back, histogram deltas and
 * quantiles, the statement classifier held to message-delivery's SQL, the pg_stat_activity
 * sampler against the real PostgreSQL, and run-queue accounting from /proc.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestDatabase } from '@parley/testing';
import { withTestDatabase } from '@parley/testing';
import { Client } from 'pg';
import { Histogram, Registry } from 'prom-client';
import {
  histogramDelta,
  histogramOf,
  histogramQuantile,
  parseSamples,
  PgActivitySampler,
  statementKindOf,
  waitClassOf,
} from './breakdown';
import { groupSnapshot, perSecondBetween, runQueueSeconds } from './cpu';

/** A registry with one labelled histogram, as a service exposes it. */
function exposition() {
  const registry = new Registry();
  const h = new Histogram({
    name: 'x_seconds',
    help: 'test',
    labelNames: ['subject', 'outcome'] as const,
    buckets: [0.001, 0.01, 0.1],
    registers: [registry],
  });
  return { registry, h };
}

/** A fresh database and one more connection to it, both gone afterwards. */
function withDatabaseClient(label: string, fn: (db: TestDatabase, client: Client) => Promise<void>): Promise<void> {
  return withTestDatabase(async (db) => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await fn(db, client);
    } finally {
      await client.end();
    }
  }, { label });
}

describe('Prometheus histograms', () => {
  it('parses prom-client exposition, sums the series that match, and takes deltas', async () => {
    const { registry, h } = exposition();
    h.observe({ subject: 'a', outcome: 'ok' }, 0.005);
    h.observe({ subject: 'b', outcome: 'ok' }, 0.5);
    const before = parseSamples(await registry.metrics());
    for (let i = 0; i < 90; i++) h.observe({ subject: 'a', outcome: 'ok' }, 0.0005);
    for (let i = 0; i < 10; i++) h.observe({ subject: 'a', outcome: 'CONFLICT' }, 0.05);
    h.observe({ subject: 'b', outcome: 'ok' }, 0.0005);
    const after = parseSamples(await registry.metrics());

    const a = histogramDelta(histogramOf(before, 'x_seconds', { subject: 'a' }), histogramOf(after, 'x_seconds', { subject: 'a' }));
    expect(a.count).toBe(100);
    expect(a.sum).toBeCloseTo(90 * 0.0005 + 10 * 0.05, 9);
    expect(a.buckets).toEqual([
      { le: 0.001, count: 90 },
      { le: 0.01, count: 90 },
      { le: 0.1, count: 100 },
      { le: Infinity, count: 100 },
    ]);
    // Both outcomes of subject a, not b.
    expect(histogramOf(after, 'x_seconds', { subject: 'a' }).count).toBe(101);
    expect(histogramOf(after, 'x_seconds').count).toBe(103);
  });

  it('estimates quantiles as histogram_quantile does (linear within the bucket)', () => {
    const h = {
      buckets: [
        { le: 0.01, count: 50 },
        { le: 0.02, count: 90 },
        { le: 0.04, count: 100 },
        { le: Infinity, count: 100 },
      ],
      count: 100,
      sum: 1,
    };
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.01, 9);
    expect(histogramQuantile(h, 0.25)).toBeCloseTo(0.005, 9);
    expect(histogramQuantile(h, 0.7)).toBeCloseTo(0.015, 9);
    expect(histogramQuantile(h, 0.95)).toBeCloseTo(0.03, 9);
    // In +Inf: the highest finite bound.
    const tail = { buckets: [{ le: 0.01, count: 1 }, { le: Infinity, count: 10 }], count: 10, sum: 5 };
    expect(histogramQuantile(tail, 0.99)).toBe(0.01);
    expect(histogramQuantile({ buckets: [], count: 0, sum: 0 }, 0.5)).toBeUndefined();
  });

  it('reads escaped label values', () => {
    const [s] = parseSamples('m{path="C:\\\\dir",q="say \\"hi\\""} 3\n');
    expect(s).toEqual({ name: 'm', labels: { path: 'C:\\dir', q: 'say "hi"' }, value: 3 });
  });
});

describe('PostgreSQL busy backends', () => {
  it('tells message-delivery\'s store and ack statements apart by how they open', () => {
    const source = readFileSync(path.resolve(__dirname, '../../../apps/message-delivery/src/delivery/mailbox.repository.ts'), 'utf8');
    const openings = [...source.matchAll(/\$(?:queryRaw|executeRaw)(?:<[^`]*>)?`([^`]{0,40})/g)].map((m) => statementKindOf(m[1] ?? ''));
    // findSends, storeSends, purgeSends, pageJson, deleteEntries, in that order.
    expect(openings).toEqual(['other', 'store', 'other', 'other', 'ack']);
  });

  it('classifies waits: none is CPU, WAL I/O and its locks are the WAL flush', () => {
    expect(waitClassOf(null, null)).toBe('cpu');
    expect(waitClassOf('IO', 'WALSync')).toBe('wal');
    expect(waitClassOf('LWLock', 'WALWrite')).toBe('wal');
    expect(waitClassOf('Lock', 'transactionid')).toBe('lock');
    expect(waitClassOf('Client', 'ClientRead')).toBe('other');
  });

  it('samples the database\'s active backends, not its own', async () => {
    await withDatabaseClient('breakdown', async (db, busy) => {
      const sampler = await PgActivitySampler.start(db.url, 5);
      await busy.query('SELECT pg_sleep(0.4)');
      const seen = await sampler.stop();
      // pg_sleep waits on a timeout: one backend busy most of the time, as "other".
      expect(seen.other.other).toBeGreaterThan(0.5);
      expect(seen.other.other).toBeLessThanOrEqual(1);
      expect(seen.store.cpu + seen.ack.cpu).toBe(0);
    });
  });
});

describe('PostgreSQL busy backends, when the sampler loses its connection', () => {
  it('stops sampling and still reports what it saw (no unhandled rejection)', async () => {
    await withDatabaseClient('breakdown_lost', async (db, admin) => {
      const sampler = await PgActivitySampler.start(db.url, 5);
      await new Promise((resolve) => setTimeout(resolve, 60));
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      expect(rows[0]?.n).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 60));
      const seen = await sampler.stop();
      expect(seen.store.cpu).toBe(0);
    });
  });
});

describe('waiting for a core', () => {
  it('reads run-queue time of every thread of a process and turns it into seconds per second', () => {
    expect(runQueueSeconds(process.pid)).toBeGreaterThanOrEqual(0);
    expect(runQueueSeconds(2 ** 22 + 7)).toBeUndefined(); // no such process
    const groups = { self: () => [process.pid] };
    const before = { self: new Map([[process.pid, 1]]) };
    const after = { self: new Map([[process.pid, 1.5]]) };
    expect(perSecondBetween(before, after, 2)).toEqual({ self: 0.25 });
    expect(groupSnapshot(groups, runQueueSeconds)['self']?.get(process.pid)).toBeGreaterThanOrEqual(0);
  });
});
