/**
 * Timing, options and output for the protocol benchmark. No crypto here, so it is cheap
 * to test: `measure` takes an injectable clock, the formatters are pure.
 */

/** Runs `n` operations of one workload (one library); throws if any result is wrong. */
export interface Runner {
  run(n: number): void | Promise<void>;
}

export interface MeasureOptions {
  /** Untimed running before the rounds (JIT, caches, allocator). */
  readonly warmupMs: number;
  /** Total timed running, split into `rounds` rounds; the median round rate is reported. */
  readonly measureMs: number;
  readonly rounds: number;
}

export interface Measurement {
  readonly opsPerSec: number;
  readonly rounds: readonly number[];
  readonly totalOps: number;
}

export type Clock = () => number;

export const wallClock: Clock = () => performance.now();

/**
 * CPU time of the whole process (all threads, user + system), in ms. On a shared machine
 * it leaves out the time other processes hold the cores, so ratios are much steadier.
 */
export const cpuClock: Clock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const hi = s[mid] ?? Number.NaN;
  return s.length % 2 ? hi : ((s[mid - 1] ?? Number.NaN) + hi) / 2;
}

/** Doubles the batch until one takes >= ~10 ms (clock reads and awaits then negligible). */
async function calibrate(runner: Runner, warmupMs: number, clock: Clock): Promise<number> {
  let batch = 1;
  const warmEnd = clock() + warmupMs;
  for (;;) {
    const t0 = clock();
    await runner.run(batch);
    const dt = clock() - t0;
    if (dt < 10 && batch < 1 << 20) batch *= 2;
    else if (clock() >= warmEnd) return batch;
  }
}

/** Runs whole batches for at least `ms`; returns ops per second. */
async function round(
  runner: Runner,
  batch: number,
  ms: number,
  clock: Clock,
): Promise<{ ops: number; rate: number }> {
  let ops = 0;
  const t0 = clock();
  let elapsed = 0;
  do {
    await runner.run(batch);
    ops += batch;
    elapsed = clock() - t0;
  } while (elapsed < ms);
  return { ops, rate: (ops * 1000) / elapsed };
}

/**
 * Warms up each runner, then times `rounds` rounds of each, interleaved (A B A B ...), so
 * a burst of load from elsewhere on the machine hits both sides alike. Reports the median
 * round rate of each.
 */
export async function measureInterleaved(
  runners: readonly Runner[],
  opts: MeasureOptions,
  clock: Clock = () => performance.now(),
): Promise<Measurement[]> {
  const sides: { runner: Runner; batch: number; rates: number[]; ops: number }[] = [];
  for (const runner of runners) {
    sides.push({ runner, batch: await calibrate(runner, opts.warmupMs, clock), rates: [], ops: 0 });
  }
  const roundMs = opts.measureMs / opts.rounds;
  for (let k = 0; k < opts.rounds; k++) {
    for (const side of sides) {
      const { ops, rate } = await round(side.runner, side.batch, roundMs, clock);
      side.rates.push(rate);
      side.ops += ops;
    }
  }
  return sides.map((s) => ({ opsPerSec: median(s.rates), rounds: s.rates, totalOps: s.ops }));
}

/** One runner alone. */
export async function measure(
  runner: Runner,
  opts: MeasureOptions,
  clock: Clock = () => performance.now(),
): Promise<Measurement> {
  const [m] = await measureInterleaved([runner], opts, clock);
  if (!m) throw new Error('no measurement');
  return m;
}

export interface BenchOptions {
  readonly json: boolean;
  readonly quick: boolean;
  /** Run only workloads whose name contains one of these (empty: all). */
  readonly only: readonly string[];
  readonly groupSizes: readonly number[];
  /** Only this library (for profiling one side); the table then shows 0 for the other. */
  readonly lib: 'parley' | 'libsignal' | undefined;
  /** Parley's RandomSource: its own secureRandom (libsodium) or Node's CSPRNG. */
  readonly random: 'sodium' | 'node';
  /** Parley's crypto backend: native libsodium (sodium-native, the default on Node) or WASM. */
  readonly crypto: 'native' | 'wasm';
  /** Time rounds by process CPU time instead of wall time (--cpu). */
  readonly cpu: boolean;
  readonly timing: MeasureOptions;
}

function checkLib(name: string): 'parley' | 'libsignal' {
  if (name !== 'parley' && name !== 'libsignal') throw new Error('--lib takes parley or libsignal');
  return name;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const only: string[] = [];
  let groupSizes = [10, 100, 1000];
  let lib: BenchOptions['lib'];
  let random: BenchOptions['random'] = 'sodium';
  let crypto: BenchOptions['crypto'] = 'native';
  // `--name value` or `--name=value`.
  const value = (i: number, name: string): string | undefined => {
    const a = argv[i] ?? '';
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
    return a === name ? argv[i + 1] : undefined;
  };
  for (let i = 0; i < argv.length; i++) {
    const o = value(i, '--only');
    const g = value(i, '--groups');
    const l = value(i, '--lib');
    const r = value(i, '--random');
    const c = value(i, '--crypto');
    if (c !== undefined) {
      if (c !== 'native' && c !== 'wasm') throw new Error('--crypto takes native or wasm');
      crypto = c;
    }
    if (r !== undefined) {
      if (r !== 'sodium' && r !== 'node') throw new Error('--random takes sodium or node');
      random = r;
    }
    if (o !== undefined) only.push(...o.split(','));
    if (g !== undefined) groupSizes = g.split(',').map(Number);
    if (l !== undefined) lib = checkLib(l);
  }
  if (groupSizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) {
    throw new Error('--groups takes sizes between 1 and 1000, e.g. --groups 10,100');
  }
  return {
    json: argv.includes('--json'),
    quick,
    only,
    groupSizes,
    lib,
    random,
    crypto,
    cpu: argv.includes('--cpu'),
    timing: quick
      ? { warmupMs: 100, measureMs: 300, rounds: 3 }
      : { warmupMs: 500, measureMs: 2000, rounds: 8 },
  };
}

export interface ResultRow {
  readonly workload: string;
  readonly members?: number;
  /** What one op is, for the table. */
  readonly unit: string;
  readonly parley: number;
  readonly libsignal: number;
  /** Lowest and highest Parley/libsignal ratio of the interleaved round pairs. */
  readonly spread?: readonly [number, number];
  /** Parley/libsignal ratio the issue asks for, if any. */
  readonly target?: number;
}

export const ratio = (r: Pick<ResultRow, 'parley' | 'libsignal'>): number =>
  r.libsignal > 0 ? r.parley / r.libsignal : Number.NaN;

const roundTo = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** One JSON object per line, as the issue asks. */
export function jsonLine(r: ResultRow): string {
  return JSON.stringify({
    workload: r.workload,
    ...(r.members !== undefined ? { members: r.members } : {}),
    parley_ops_s: roundTo(r.parley, 1),
    libsignal_ops_s: roundTo(r.libsignal, 1),
    ratio: roundTo(ratio(r), 3),
  });
}

const fmtRate = (x: number): string =>
  x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);

function verdict(r: ResultRow): string {
  if (r.target === undefined) return '';
  return ratio(r) >= r.target ? `>=${r.target}x ok` : `>=${r.target}x MISS`;
}

/** Per-round Parley/libsignal ratios (rounds ran back to back, so they share the load). */
export function pairedSpread(
  parley: readonly number[],
  libsignal: readonly number[],
): [number, number] | undefined {
  const ratios = parley.flatMap((p, i) => {
    const l = libsignal[i];
    return l ? [p / l] : [];
  });
  return ratios.length ? [Math.min(...ratios), Math.max(...ratios)] : undefined;
}

/** A fixed-width table: workload, members, parley, libsignal, ratio (and its spread), target. */
export function formatTable(rows: readonly ResultRow[]): string {
  const header = [
    'workload',
    'members',
    'op',
    'parley ops/s',
    'libsignal ops/s',
    'ratio',
    'per-round',
    'target',
  ];
  const body = rows.map((r) => [
    r.workload,
    r.members === undefined ? '' : String(r.members),
    r.unit,
    fmtRate(r.parley),
    fmtRate(r.libsignal),
    `${ratio(r).toFixed(2)}x`,
    r.spread ? `${r.spread[0].toFixed(2)}-${r.spread[1].toFixed(2)}` : '',
    verdict(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const numeric = new Set([1, 3, 4, 5]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
