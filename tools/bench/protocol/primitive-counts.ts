/**
 * Counts the libsodium calls Parley makes per op of each workload (by wrapping the
 * libsodium module's functions), so a hot spot in the profile can be traced to how often
 * a primitive runs, not just how slow it is.
 *
 *   npx tsx tools/bench/protocol/primitive-counts.ts
 */
import { randomBytes } from 'node:crypto';
import sodiumModule from 'libsodium-wrappers-sumo';
import { initProtocol } from '@parley/protocol';
import { parleyBench } from './parley';
import { workloadSpecs } from './workloads';

const OPS = 50;

async function main(): Promise<void> {
  await initProtocol();
  const counts = new Map<string, number>();
  const lib = sodiumModule as unknown as Record<string, unknown>;
  for (const name of Object.keys(lib)) {
    const fn = lib[name];
    if (typeof fn !== 'function' || !/^(crypto_|randombytes)/.test(name)) continue;
    lib[name] = (...args: unknown[]): unknown => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  }
  // The WASM backend: every primitive then goes through the wrapped libsodium module.
  const bench = await parleyBench(new Uint8Array(randomBytes(256)), 'sodium', 'wasm');
  for (const spec of workloadSpecs([10])) {
    const runner = await spec.make(bench);
    await runner.run(OPS); // past any first-message special case
    counts.clear();
    await runner.run(OPS);
    const per = [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([n, c]) => `${n.replace(/^crypto_/, '')} ${(c / OPS).toFixed(c % OPS ? 2 : 0)}`);
    process.stdout.write(
      `${spec.workload}${spec.members ? `/${spec.members}` : ''}: ${per.join(', ')}\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
