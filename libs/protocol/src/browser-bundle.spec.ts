// The portable entry must bundle for a browser without anything Node-only: the native
// backend (sodium-native) is reachable only through src/node.ts.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import * as protocol from './index';
import { initProtocol } from './index';

const TRANSCRIPT = path.join(__dirname, 'test/sender-key-transcript.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, shared with a child process
const senderKeyTranscript = require(TRANSCRIPT) as (p: typeof protocol) => string;

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

it('the browser bundle (libsodium ESM build) derives the same sender-key bytes as Node', async () => {
  // hmac-sha256.ts reaches libsodium's WASM module through the wrapper's `libsodium`
  // export: the ESM build a browser bundle gets must have it too. The bundle runs in a
  // child Node process (it uses no Node API) and must give the bytes this process does.
  const { text } = await bundle('libs/protocol/src/index.ts');
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-browser-bundle-'));
  try {
    await writeFile(path.join(dir, 'protocol.mjs'), text);
    const script = `
      import * as p from ${JSON.stringify(path.join(dir, 'protocol.mjs'))};
      import senderKeyTranscript from ${JSON.stringify(TRANSCRIPT)};
      await p.initProtocol();
      process.stdout.write(senderKeyTranscript(p));`;
    const fromBundle = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    await initProtocol();
    expect(fromBundle).toBe(senderKeyTranscript(protocol));
    expect(fromBundle).toContain(' hello from a bundle ');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
