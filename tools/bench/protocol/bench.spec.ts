import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Runner } from './harness';
import { activeCryptoBackend } from '@parley/protocol/node';
import { formatTable, jsonLine, measureInterleaved, pairedSpread, parseArgs } from './harness';
import { parleyBench } from './parley';
import { workloadSpecs } from './workloads';

describe('harness', () => {
  it('times interleaved rounds on the clock it is given and reports the median rate', async () => {
    let now = 0;
    const order: string[] = [];
    // A: 1 ms per op (1000 ops/s); B: 4 ms per op (250 ops/s).
    const runner = (name: string, msPerOp: number): Runner => ({
      run: (n) => {
        order.push(name);
        now += n * msPerOp;
      },
    });
    const [a, b] = await measureInterleaved(
      [runner('a', 1), runner('b', 4)],
      { warmupMs: 50, measureMs: 300, rounds: 3 },
      () => now,
    );
    expect(a!.opsPerSec).toBeCloseTo(1000, 5);
    expect(b!.opsPerSec).toBeCloseTo(250, 5);
    expect(a!.rounds).toHaveLength(3);
    // After warm-up the rounds alternate a, b, a, b ...
    const timed = order.join('').replace(/^a+b+/, '');
    expect(timed).toMatch(/^(a+b+){3}$/);
  });

  it('parses the options', () => {
    const full = parseArgs([]);
    expect(full).toMatchObject({
      json: false,
      quick: false,
      only: [],
      groupSizes: [10, 100, 1000],
      lib: undefined,
      random: 'sodium',
      crypto: 'native',
    });
    expect(parseArgs(['--random', 'node']).random).toBe('node');
    expect(parseArgs(['--crypto', 'wasm']).crypto).toBe('wasm');
    expect(() => parseArgs(['--crypto=openssl'])).toThrow(/--crypto/);
    expect(parseArgs(['--cpu']).cpu).toBe(true);
    expect(full.cpu).toBe(false);
    expect(() => parseArgs(['--random=x'])).toThrow(/--random/);
    expect(full.timing.measureMs).toBeGreaterThanOrEqual(1000);
    const quick = parseArgs([
      '--quick',
      '--json',
      '--only',
      'ping-pong,setup',
      '--groups=10,20',
      '--lib',
      'parley',
    ]);
    expect(quick).toMatchObject({
      json: true,
      quick: true,
      only: ['ping-pong', 'setup'],
      groupSizes: [10, 20],
      lib: 'parley',
    });
    expect(quick.timing.measureMs).toBeLessThan(full.timing.measureMs);
    expect(() => parseArgs(['--groups', '0'])).toThrow(/--groups/);
    expect(() => parseArgs(['--lib', 'x'])).toThrow(/--lib/);
  });

  it('prints one JSON object per row and a table with the ratio and target', () => {
    const row = {
      workload: 'group-pairwise',
      members: 10,
      unit: 'group msg',
      parley: 300,
      libsignal: 100,
      target: 2,
    };
    expect(JSON.parse(jsonLine(row))).toEqual({
      workload: 'group-pairwise',
      members: 10,
      parley_ops_s: 300,
      libsignal_ops_s: 100,
      ratio: 3,
    });
    expect(JSON.parse(jsonLine({ ...row, members: undefined }))).not.toHaveProperty('members');
    const table = formatTable([
      row,
      {
        ...row,
        workload: 'ping-pong',
        members: undefined,
        unit: 'msg',
        parley: 100,
        libsignal: 100,
        target: 1.5,
      },
    ]);
    expect(table).toMatch(/group-pairwise\s+10\s+group msg\s+300\s+100\s+3\.00x\s+>=2x ok/);
    expect(formatTable([{ ...row, spread: pairedSpread([300, 330], [100, 150]) }])).toMatch(
      /3\.00x\s+2\.20-3\.00\s+>=2x ok/,
    );
    expect(table).toMatch(/ping-pong\s+msg\s+100\s+100\s+1\.00x\s+>=1\.5x MISS/);
  });
});

describe('Parley workloads (tiny N)', () => {
  it.each([
    ['sodium', 'native'],
    ['node', 'wasm'],
  ] as const)(
    'run every workload with every decrypt checked (%s randomness, %s crypto)',
    async (random, crypto) => {
      const lib = await parleyBench(new Uint8Array(randomBytes(256)), random, crypto);
      expect(activeCryptoBackend()).toBe(crypto === 'native' ? 'sodium-native' : 'libsodium-wasm');
      for (const spec of workloadSpecs([3])) {
        const runner = await spec.make(lib);
        await runner.run(3);
      }
      const sizes = await lib.sessionSizes(5);
      expect(sizes.initiator).toBeGreaterThan(100);
      expect(sizes.responder).toBeGreaterThan(100);
    },
  );
});

describe('the benchmark end to end, libsignal included', () => {
  it('prints JSON lines for both libraries', () => {
    const out = execFileSync(
      process.execPath,
      [
        require.resolve('tsx/cli'),
        path.join(__dirname, 'main.ts'),
        '--quick',
        '--json',
        '--only',
        'sender-key',
        '--groups',
        '2',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ workload: 'sender-key' });
    expect(lines[0]!['parley_ops_s']).toBeGreaterThan(0);
    expect(lines[0]!['libsignal_ops_s']).toBeGreaterThan(0);
    expect(lines.filter((l) => l['workload'] === 'session-record-bytes')).toHaveLength(2);
  });
});
