/**
 * Builds one deployable into a single file: `dist/apps/<app>/main.js` (+ source map), with
 * everything it imports bundled (workspace libs, npm packages, Prisma's query compiler and
 * libsodium's WASM are all JavaScript), so a runtime image needs Node and this file only.
 *
 *   npx tsx tools/build/bundle.ts <app>      an app under apps/ (its `build` Nx target)
 *   npx tsx tools/build/bundle.ts migrate    the one-shot migration job (tools/build/migrate.ts)
 *
 * NestJS requires some packages lazily only when a feature is used (class-validator, other
 * transports, template engines); those are not installed, and stay unresolved in the
 * bundle, where Nest's own try/require reports them if a feature ever asks.
 * esbuild emits no decorator metadata: the services inject by explicit tokens (@Inject),
 * the same as under tsx in development.
 */
import { createRequire } from 'node:module';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import { build } from 'esbuild';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface BundleTarget {
  readonly name: string;
  readonly entry: string;
  readonly tsconfig: string;
  readonly outDir: string;
}

export function bundleTarget(name: string, repoRoot = REPO_ROOT): BundleTarget {
  if (name === 'migrate') {
    return {
      name,
      entry: path.join(repoRoot, 'tools/build/migrate.ts'),
      tsconfig: path.join(repoRoot, 'tools/build/tsconfig.json'),
      outDir: path.join(repoRoot, 'dist/migrate'),
    };
  }
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`not an app name: ${name}`);
  const entry = path.join(repoRoot, 'apps', name, 'src/main.ts');
  if (!existsSync(entry)) throw new Error(`apps/${name}/src/main.ts not found`);
  return {
    name,
    entry,
    tsconfig: path.join(repoRoot, 'apps', name, 'tsconfig.app.json'),
    outDir: path.join(repoRoot, 'dist/apps', name),
  };
}

/** Leaves packages that are not installed (optional peers) as plain requires. */
function optionalPeers(missing: Set<string>): Plugin {
  return {
    name: 'optional-peers',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || args.path.startsWith('@parley/')) return undefined;
        try {
          createRequire(path.join(args.resolveDir, 'index.js')).resolve(args.path);
          return undefined;
        } catch {
          missing.add(args.path);
          return { path: args.path, external: true };
        }
      });
    },
  };
}

export interface BundleResult {
  readonly outfile: string;
  readonly bytes: number;
  /** Lazily required packages left out (not installed). */
  readonly unresolved: string[];
}

export async function bundle(target: BundleTarget, outDir = target.outDir): Promise<BundleResult> {
  const missing = new Set<string>();
  const outfile = path.join(outDir, 'main.js');
  await build({
    entryPoints: [target.entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    tsconfig: target.tsconfig,
    sourcemap: true,
    logLevel: 'warning',
    // Nest and pino read class and function names at run time.
    keepNames: true,
    plugins: [optionalPeers(missing)],
  });
  return { outfile, bytes: statSync(outfile).size, unresolved: [...missing].sort() };
}

async function main(argv: readonly string[]): Promise<number> {
  const [name] = argv;
  if (!name) {
    process.stderr.write('usage: bundle.ts <app>|migrate\n');
    return 64;
  }
  const result = await bundle(bundleTarget(name));
  process.stderr.write(
    `${path.relative(REPO_ROOT, result.outfile)}: ${(result.bytes / 1024 / 1024).toFixed(1)} MiB` +
      ` (left out, not installed: ${result.unresolved.join(', ') || 'nothing'})\n`,
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
