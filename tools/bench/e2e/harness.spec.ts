/**
 * Smoke tests of the benchmark's pieces (the benchmark itself is `npm run bench:e2e`, not
 * run by CI): histograms merge across processes, payload headers round-trip, the table,
 * JSON lines and SVG are well formed, CPU accounting reads /proc, and the raw ceilings
 * run briefly against the real PostgreSQL and NATS.
 */
import { createTestDatabase, testNatsUrl } from '@parley/testing';
import { measureLoopback, measureNats, measurePostgres } from './ceilings';
import { coresBetween, cpuSnapshot, machineCpuSeconds, processCpuSeconds } from './cpu';
import { forEachLimit } from './device';
import { encodeHistogram, mergeEncoded, newHistogram, recordMs, summarize } from './histogram';
import { decodePayload, encodePayload, HEADER_BYTES, nowMs } from './payload';
import { jsonLines, judge, table } from './report';
import { lineChartSvg, niceCeil } from './svg';

describe('histogram', () => {
  it('merges compressed histograms from several processes and reports percentiles in ms', () => {
    const a = newHistogram();
    const b = newHistogram();
    for (let i = 1; i <= 990; i++) recordMs(a, 10);
    for (let i = 1; i <= 10; i++) recordMs(b, 200);
    const merged = summarize(mergeEncoded([encodeHistogram(a), encodeHistogram(b)]));
    expect(merged.count).toBe(1000);
    expect(merged.p50Ms).toBeCloseTo(10, 1);
    expect(merged.p99Ms).toBeCloseTo(10, 1);
    expect(merged.p999Ms).toBeCloseTo(200, 0);
    expect(merged.maxMs).toBeCloseTo(200, 0);
  });

  it('clamps sub-microsecond and negative latencies into range', () => {
    const h = newHistogram();
    recordMs(h, -5);
    recordMs(h, 0.0001);
    expect(summarize(h).count).toBe(2);
  });
});

describe('payload', () => {
  it('round-trips its header and keeps the requested size', () => {
    const sentAt = nowMs();
    const bytes = encodePayload(256, { tag: 7, seq: 123_456, sentAt });
    expect(bytes).toHaveLength(256);
    expect(decodePayload(bytes)).toEqual({ tag: 7, seq: 123_456, sentAt });
    const viaBase64 = new Uint8Array(Buffer.from(bytes.toString('base64'), 'base64'));
    expect(decodePayload(viaBase64)?.seq).toBe(123_456);
  });

  it('ignores bytes that are not a bench payload', () => {
    expect(decodePayload(new Uint8Array(HEADER_BYTES))).toBeUndefined();
    expect(decodePayload(new Uint8Array(3))).toBeUndefined();
    expect(() => encodePayload(HEADER_BYTES - 1, { tag: 1, seq: 1, sentAt: 1 })).toThrow(RangeError);
  });
});

describe('report', () => {
  const figures = [
    { name: 'one_to_one.delivered_per_s', label: '1:1 delivered', value: 12_345.6, unit: 'msgs/s', ...judge(12_345.6, '>=', 15_000) },
    { name: 'groups.sender-key.1000.last_delivery', value: 420.25, unit: 'ms', ...judge(420.25, '<=', 1000) },
    { name: 'x.failed', value: Number.NaN, unit: '', note: 'boom' },
  ];

  it('prints one JSON object per figure with name, value and unit', () => {
    const lines = jsonLines(figures).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ name: 'one_to_one.delivered_per_s', value: 12_345.6, unit: 'msgs/s', target: '>= 15000', met: false });
    expect(lines[1]).toMatchObject({ met: true });
    expect(lines[2]).toMatchObject({ value: null, note: 'boom' });
  });

  it('prints an aligned table with targets judged', () => {
    const out = table(figures).split('\n');
    expect(out[0]).toMatch(/^figure\s+value\s+unit\s+target\s+note$/);
    expect(out[2]).toContain('12,346');
    expect(out[2]).toContain('>= 15000 MISSED');
    expect(out[3]).toContain('<= 1000 met');
  });
});

describe('svg', () => {
  it('draws one polyline per series with sorted points and a threshold line', () => {
    const svg = lineChartSvg(
      [
        { label: 'p50', color: '#00f', points: [{ x: 2000, y: 5 }, { x: 1000, y: 3 }] },
        { label: 'p99 <&>', color: '#f00', points: [{ x: 1000, y: 20 }, { x: 2000, y: 150 }] },
      ],
      { title: 'latency', xLabel: 'offered', yLabel: 'ms', threshold: { y: 100, label: 'knee' } },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('p99 &lt;&amp;&gt;');
    expect(svg).toContain('stroke-dasharray');
    const xs = /points="([^"]+)"/.exec(svg)?.[1]?.split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs?.[0]).toBeLessThan(xs?.[1] ?? 0);
  });

  it('rounds axis maxima up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 0.7, 1, 3, 7, 12, 150, 5001].map(niceCeil)).toEqual([1, 1, 1, 5, 10, 20, 200, 10_000]);
  });
});

describe('cpu accounting and helpers', () => {
  it('reads this process and the machine from /proc', () => {
    const before = cpuSnapshot({ self: () => [process.pid] });
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i;
    expect(x).toBeGreaterThan(0);
    const after = cpuSnapshot({ self: () => [process.pid] });
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(processCpuSeconds(2 ** 30)).toBeUndefined();
    expect(machineCpuSeconds().total).toBeGreaterThan(machineCpuSeconds().busy - 1);
    const cores = coresBetween(before, after, 1);
    expect(cores['self']).toBeGreaterThanOrEqual(0);
    expect(cores['machine']).toBeGreaterThanOrEqual(0);
  });

  it('forEachLimit runs every item with bounded concurrency', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(n);
      running--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });
});

describe('ceilings (real PostgreSQL and NATS, briefly)', () => {
  it('measures single-row and 50-row inserts', async () => {
    const db = await createTestDatabase({ label: 'bench_e2e_ceiling', migrated: false });
    try {
      const pg = await measurePostgres(db.url, { seconds: 0.3, payloadBytes: 256, connections: 4 });
      expect(pg.singleRowInsertsPerS).toBeGreaterThan(10);
      expect(pg.batchRowsPerS).toBeGreaterThan(pg.singleRowInsertsPerS);
    } finally {
      await db.drop();
    }
  });

  it('measures NATS request/reply and publish against a peer process', async () => {
    const nats = await measureNats(testNatsUrl(), { seconds: 0.3, payloadBytes: 256, inFlight: 8 });
    expect(nats.requestReplyPerS).toBeGreaterThan(10);
    expect(nats.publishPerS).toBeGreaterThan(nats.requestReplyPerS);
  });

  it('measures a loopback round trip to an echo process, with the CPU of both sides', async () => {
    const loopback = await measureLoopback({ seconds: 0.3, payloadBytes: 256 });
    // Positive and below the wall time of the window: real numbers, not placeholders.
    expect(loopback.roundTripUs).toBeGreaterThan(1);
    expect(loopback.roundTripUs).toBeLessThan(300_000);
    expect(loopback.cpuUsPerSide).toBeGreaterThan(0);
    expect(loopback.cpuUsPerSide).toBeLessThan(300_000);
  });
});
