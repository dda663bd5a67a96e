/**
 * What a service allocates, from the `.heapprofile` that `--alloc-profile <dir>` writes:
 * bytes by package (when its bundle `<service>.main.js` lies beside the profile: esbuild marks
 * each module's first line with a `// node_modules/<pkg>/...` or `// apps/...` comment) and
 * the top functions by bytes.
 *
 *   npx tsx tools/bench/e2e/alloc-summary.ts <dir>/<service>.heapprofile [top=25]
 */
import { existsSync, readFileSync } from 'node:fs';

interface AllocNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: AllocNode[];
}

export interface ModuleStart {
  readonly line: number;
  readonly module: string;
}

/** Module start lines of an esbuild bundle (1-based), in order. */
export function moduleStarts(bundleText: string): ModuleStart[] {
  const starts: ModuleStart[] = [];
  bundleText.split('\n').forEach((text, i) => {
    const m = /^\/\/ ((?:node_modules\/(?:@[^/]+\/)?[^/]+)|(?:apps|libs)\/[^/]+)/.exec(text);
    if (m?.[1]) starts.push({ line: i + 1, module: m[1].replace(/^node_modules\//, '') });
  });
  return starts;
}

/** The module a bundle line belongs to (the last start at or before it). */
export function moduleAt(starts: readonly ModuleStart[], line: number): string {
  let lo = 0;
  let hi = starts.length - 1;
  let found = '(bundle)';
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const start = starts[mid] as ModuleStart;
    if (start.line <= line) {
      found = start.module;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Bytes by key over every node of the profile. */
export function allocatedBy(
  head: AllocNode,
  key: (node: AllocNode) => string,
): Map<string, number> {
  const totals = new Map<string, number>();
  const visit = (node: AllocNode) => {
    if (node.selfSize > 0) totals.set(key(node), (totals.get(key(node)) ?? 0) + node.selfSize);
    node.children.forEach(visit);
  };
  visit(head);
  return totals;
}

function print(title: string, totals: Map<string, number>, top: number): void {
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  console.log(`-- ${title} (${(all / 1e6).toFixed(1)} MB sampled)`);
  for (const [name, bytes] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((100 * bytes) / all).toFixed(1).padStart(6)}%  ${(bytes / 1e6).toFixed(1).padStart(8)} MB  ${name}`,
    );
  }
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: alloc-summary.ts <file.heapprofile> [top]');
  const top = Number(topArg ?? 25);
  const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: AllocNode }).head;
  const bundlePath = file.replace(/\.heapprofile$/, '.main.js');
  const starts = existsSync(bundlePath) ? moduleStarts(readFileSync(bundlePath, 'utf8')) : [];
  const where = (node: AllocNode): string => {
    const { url, lineNumber, functionName } = node.callFrame;
    // zod 4 compiles object parsers with new Function: no script, line 3.
    if (url === '')
      return functionName === '' && lineNumber === 2
        ? 'zod (compiled parsers)'
        : `(native) ${functionName}`;
    if (url.startsWith('node:')) return url;
    return starts.length > 0 && url.endsWith('main.js') ? moduleAt(starts, lineNumber + 1) : url;
  };
  if (starts.length > 0) print('by package', allocatedBy(head, where), top);
  print(
    'by function',
    allocatedBy(
      head,
      (n) =>
        `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop() ?? ''}:${n.callFrame.lineNumber + 1}`,
    ),
    top,
  );
}

if (require.main === module) main();
