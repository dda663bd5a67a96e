/**
 * Parley protocol vs @signalapp/libsignal-client, same workloads, one process.
 *
 *   npm run bench:protocol                 full run (~2-3 min), table
 *   npm run bench:protocol -- --quick      short timings (~30-60 s)
 *   npm run bench:protocol -- --json       one JSON object per line
 *   npm run bench:protocol -- --random node   Parley gets Node's CSPRNG, not libsodium's
 *   npm run bench:protocol -- --cpu        time by process CPU time (steadier on a busy machine)
 *   npm run bench:protocol -- --crypto wasm   Parley on libsodium WASM (default: native libsodium)
 *   npm run bench:protocol -- --only ping-pong,sender-key --groups 10,100
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx tools/bench/protocol/main.ts --lib parley --only ping-pong
 *
 * Progress goes to stderr, results to stdout.
 */
import { randomBytes } from 'node:crypto';
import type { ResultRow } from './harness';
import {
  cpuClock,
  formatTable,
  jsonLine,
  measureInterleaved,
  pairedSpread,
  parseArgs,
  ratio,
  wallClock,
} from './harness';
import { libsignalBench } from './libsignal';
import { parleyBench } from './parley';
import type { LibraryBench } from './workloads';
import { workloadSpecs } from './workloads';

const PAYLOAD_BYTES = 256;
const SIZE_MESSAGES_EACH_WAY = 1000;

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const payload = new Uint8Array(randomBytes(PAYLOAD_BYTES));
  const libs: LibraryBench[] = [];
  if (opts.lib !== 'libsignal') libs.push(await parleyBench(payload, opts.random, opts.crypto));
  if (opts.lib !== 'parley') libs.push(await libsignalBench(payload));
  const log = (s: string) => process.stderr.write(`${s}\n`);

  const specs = workloadSpecs(opts.groupSizes).filter(
    (s) => opts.only.length === 0 || opts.only.some((o) => s.workload.includes(o)),
  );
  const rows: ResultRow[] = [];
  for (const spec of specs) {
    const rates: Record<string, number> = {};
    const rounds: Record<string, readonly number[]> = {};
    const runners = [];
    for (const lib of libs) runners.push(await spec.make(lib));
    const ms = await measureInterleaved(runners, opts.timing, opts.cpu ? cpuClock : wallClock);
    libs.forEach((lib, i) => {
      const m = ms[i];
      if (!m) throw new Error(`no measurement for ${lib.name}`);
      rates[lib.name] = m.opsPerSec;
      rounds[lib.name] = m.rounds;
      log(
        `${spec.workload}${spec.members ? `/${spec.members}` : ''} ${lib.name}: ${m.opsPerSec.toFixed(1)} ops/s` +
          ` (rounds ${m.rounds.map((r) => r.toFixed(0)).join(' ')})`,
      );
    });
    const row: ResultRow = {
      workload: spec.workload,
      ...(spec.members !== undefined ? { members: spec.members } : {}),
      unit: spec.unit,
      parley: rates['parley'] ?? 0,
      libsignal: rates['libsignal'] ?? 0,
      spread: pairedSpread(rounds['parley'] ?? [], rounds['libsignal'] ?? []),
      ...(spec.target !== undefined ? { target: spec.target } : {}),
    };
    rows.push(row);
    if (opts.json) process.stdout.write(`${jsonLine(row)}\n`);
  }

  const sizes: Record<string, { initiator: number; responder: number }> = {};
  for (const lib of libs) sizes[lib.name] = await lib.sessionSizes(SIZE_MESSAGES_EACH_WAY);
  const none = { initiator: 0, responder: 0 };
  const p = sizes['parley'] ?? none;
  const l = sizes['libsignal'] ?? none;

  if (opts.json) {
    for (const side of ['initiator', 'responder'] as const) {
      process.stdout.write(
        `${JSON.stringify({
          workload: 'session-record-bytes',
          side,
          messages_each_way: SIZE_MESSAGES_EACH_WAY,
          parley_bytes: p[side],
          libsignal_bytes: l[side],
          ratio: Math.round((p[side] / l[side]) * 1000) / 1000,
        })}\n`,
      );
    }
  } else {
    const misses = rows.filter((r) => r.target !== undefined && ratio(r) < r.target);
    process.stdout.write(
      [
        `Parley vs libsignal-client 0.103.0, ${PAYLOAD_BYTES}-byte payloads, every state serialized after every message` +
          (opts.quick ? ' (--quick: short timings)' : ''),
        `Timing: ${opts.cpu ? 'process CPU time (--cpu)' : 'wall clock'}, ${opts.timing.rounds} interleaved rounds over ${opts.timing.measureMs} ms per library, median round; per-round = range of paired round ratios`,
        `Parley randomness: ${opts.random === 'node' ? "Node's crypto.getRandomValues (--random node)" : "the library's secureRandom (Web Crypto getRandomValues)"}`,
        `Parley crypto backend: ${opts.crypto === 'native' ? 'sodium-native (native libsodium, useNativeCrypto() from @parley/protocol/node)' : 'libsodium-wrappers-sumo WASM (--crypto wasm)'}`,
        '',
        formatTable(rows),
        '',
        `Serialized session record after ${SIZE_MESSAGES_EACH_WAY} messages each way (alternating):`,
        `  initiator: parley ${p.initiator} B, libsignal ${l.initiator} B`,
        `  responder: parley ${p.responder} B, libsignal ${l.responder} B`,
        '',
        misses.length === 0
          ? 'All targets met.'
          : `Targets missed: ${misses.map((r) => `${r.workload}${r.members ? `/${r.members}` : ''}`).join(', ')}`,
        `Total run time ${((performance.now() - started) / 1000).toFixed(1)} s.`,
        '',
      ].join('\n'),
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
