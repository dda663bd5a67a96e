/**
 * Top functions by self time in a V8 `.cpuprofile` (what `--profile <dir>` writes for each
 * service):  npx tsx tools/bench/e2e/profile-summary.ts <file.cpuprofile> [top=25] [skip-seconds=0]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Hotspot {
  readonly name: string;
  readonly selfMs: number;
  readonly share: number;
}

/** The profile without its first `skipS` seconds (start-up: module loading and compiling). */
export function skipStart(profile: CpuProfile, skipS: number): CpuProfile {
  let t = 0;
  let first = profile.samples.length;
  for (let i = 0; i < profile.samples.length; i++) {
    t += (profile.timeDeltas[i] ?? 0) / 1e6;
    if (t >= skipS) {
      first = i;
      break;
    }
  }
  return { ...profile, samples: profile.samples.slice(first), timeDeltas: profile.timeDeltas.slice(first) };
}

/** Self time per function (name + file:line), largest first, idle and GC included by name. */
export function hotspots(profile: CpuProfile, top = 25): { totalMs: number; busyMs: number; rows: Hotspot[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const f = byId.get(id)?.callFrame;
    if (!f) return;
    if (f.functionName === '(idle)') {
      idle += dt;
      return;
    }
    const where = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '';
    const label = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(label, (self.get(label) ?? 0) + dt);
  });
  const busy = total - idle;
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, selfMs: ms, share: busy > 0 ? ms / busy : 0 }));
  return { totalMs: total, busyMs: busy, rows };
}

/** Self time per package or source folder: where the busy time goes, coarsely. */
export function byModule(profile: CpuProfile): Hotspot[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const acc = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    if (!f || f.functionName === '(idle)') return;
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    busy += dt;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
    const key = m ? m[1] : f.url.includes('/work/') || f.url.startsWith('file:') ? `(parley) ${f.url.replace(/^.*\/(apps|libs)\//, '$1/').split('/').slice(0, 3).join('/')}` : f.url ? '(node internals)' : f.functionName;
    acc.set(key ?? '?', (acc.get(key ?? '?') ?? 0) + dt);
  });
  return [...acc.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, selfMs: ms, share: busy ? ms / busy : 0 }));
}

if (require.main === module) {
  const [file, topArg, skipArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-summary.ts <file.cpuprofile> [top]');
    process.exit(64);
  }
  const profile = skipStart(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(skipArg ?? 0));
  const { totalMs, busyMs, rows } = hotspots(profile, Number(topArg ?? 25));
  console.log(`${path.basename(file)}: ${(totalMs / 1000).toFixed(1)} s sampled, ${(busyMs / 1000).toFixed(1)} s busy`);
  for (const r of byModule(profile).slice(0, 12)) console.log(`  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}`);
  console.log('  -- functions by self time');
  for (const r of rows) console.log(`  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(6)} ms  ${r.name}`);
}
