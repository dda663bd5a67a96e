// The portable entry must bundle for a browser without anything Node-only: the native
// backend (sodium-native) is reachable only through src/node.ts.
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(__dirname, '../../..');

async function bundle(entry: string, external: string[] = []) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    tsconfig: 'tsconfig.base.json',
    external,
  });
  return { inputs: Object.keys(result.metafile.inputs), text: result.outputFiles[0]?.text ?? '' };
}

it('bundles @parley/protocol for the browser with libsodium WASM and no native backend', async () => {
  const { inputs, text } = await bundle('libs/protocol/src/index.ts');
  expect(inputs).toContain('libs/protocol/src/lib/crypto/wasm-backend.ts');
  expect(inputs.filter((i) => /sodium-native|native-backend|src\/node\.ts/.test(i))).toEqual([]);
  expect(text).not.toMatch(/sodium-native/);
});

it('keeps sodium-native behind the Node entry point', async () => {
  const { inputs, text } = await bundle('libs/protocol/src/node.ts', ['sodium-native']);
  expect(inputs).toContain('libs/protocol/src/lib/crypto/native-backend.ts');
  expect(text).toMatch(/sodium-native/);
});
