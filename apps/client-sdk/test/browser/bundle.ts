/**
 * The SDK bundled for browsers with esbuild, as an app would (platform browser, the
 * package's "browser" fields honoured), plus what went into it, so the test can prove that
 * no Node-only module is inside.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

export interface BrowserBundle {
  readonly code: string;
  readonly inputs: readonly string[];
}

const REPO_ROOT = path.resolve(__dirname, '../../../..');

export async function bundleForBrowser(entry: string): Promise<BrowserBundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: REPO_ROOT,
    tsconfig: path.join(REPO_ROOT, 'tsconfig.base.json'),
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild wrote nothing');
  return { code: out.text, inputs: Object.keys(result.metafile.inputs) };
}

/** Node's built-in modules and the Node-only packages the SDK's Node entry uses. */
const NODE_ONLY_PACKAGES = ['ws', 'sodium-native', 'pg', 'nats', '@nestjs', '@prisma'];

/** Inputs that only run on Node. Stubs a package's "browser" field disables are fine. */
export function nodeOnlyInputs(inputs: readonly string[]): string[] {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  return inputs.filter((input) => {
    if (builtins.has(input) || input.startsWith('node:')) return true;
    const inNodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    if (
      inNodeModules &&
      NODE_ONLY_PACKAGES.some((p) => inNodeModules === p || inNodeModules.startsWith(`${p}/`))
    ) {
      return true;
    }
    // The SDK's own Node-only files (FileStore, the ws adapter, the Node entry).
    return /apps\/client-sdk\/src\/(node\/|node\.ts)/.test(input);
  });
}
