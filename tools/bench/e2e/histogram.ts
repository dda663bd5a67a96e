/**
 * Latency histograms (HdrHistogram, microseconds, 3 significant digits). Each load process
 * records its own and ships it to the orchestrator compressed, where they are merged.
 */
import * as hdr from 'hdr-histogram-js';

/** One hour in microseconds: nothing we measure should take longer. */
const HIGHEST_US = 3_600_000_000;

export type LatencyHistogram = hdr.Histogram;

export function newHistogram(): LatencyHistogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    // The pure-JS build: no WASM instance per process, no manual destroy().
    useWebAssembly: false,
  });
}

/** Records a latency in milliseconds (clamped into the trackable range). */
export function recordMs(h: LatencyHistogram, ms: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

export function encodeHistogram(h: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Merges compressed histograms (from load processes) into one. */
export function mergeEncoded(encoded: readonly string[]): LatencyHistogram {
  const total = newHistogram();
  for (const e of encoded) total.add(hdr.decodeFromCompressedBase64(e, 32, false));
  return total;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

export function summarize(h: LatencyHistogram): LatencySummary {
  const ms = (us: number) => us / 1000;
  return {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
  };
}
