/**
 * The SDK in a real browser: bundled for the browser with esbuild (and proven free of
 * Node-only modules), loaded into headless Chromium (Debian's, driven by playwright-core),
 * where it registers a device with the browser's fetch, WebSocket and Web Crypto and
 * exchanges 1:1 messages with a Node SDK client through the real gateway and services.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { ServiceProcesses } from './service-processes';
import { startServiceProcesses } from './service-processes';
import type { IncomingMessage, ParleyClient } from '../../src/node';
import { createNodeClient, MemoryStore } from '../../src/node';
import type { BrowserBundle } from './bundle';
import { bundleForBrowser, nodeOnlyInputs } from './bundle';
import type { Harness } from './page';
import type { PageServer } from './server';
import { startPageServer } from './server';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// ENVIRONMENT.md's flags; headless comes from playwright's `headless: true` (--headless).
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Undefined until beforeAll got that far (afterAll cleans up whatever was started).
let stack: ServiceProcesses | undefined;
let bundle: BrowserBundle;
let server: PageServer | undefined;
let profile: string | undefined;
let context: BrowserContext | undefined;
let page: Page;
const pageErrors: string[] = [];
const nodeClients: ParleyClient[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: apt-get install -y chromium (tools/parley.sh does it when it may)`,
    );
  }
  const [started, built] = await Promise.all([
    startServiceProcesses('browser'),
    bundleForBrowser(path.join(__dirname, 'page.ts')),
  ]);
  stack = started;
  bundle = built;
  server = await startPageServer(stack.url, bundle.code);
  profile = await mkdtemp(path.join(tmpdir(), 'parley-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => 'parley' in globalThis);
}, 150_000);

afterAll(async () => {
  for (const c of nodeClients) await c.close();
  if (context) {
    await page
      .evaluate(() => (globalThis as unknown as { parley: Harness }).parley.close())
      .catch(() => undefined);
    await context.close();
  }
  await server?.close();
  await stack?.stop();
  if (profile) await rm(profile, { recursive: true, force: true });
}, 60_000);

async function waitFor(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the client SDK in headless Chromium', () => {
  it('bundles for the browser without any Node-only module', () => {
    expect(bundle.inputs).toContain('apps/client-sdk/src/lib/client.ts');
    expect(bundle.inputs.some((i) => i.includes('libsodium-wrappers-sumo'))).toBe(true);
    expect(nodeOnlyInputs(bundle.inputs)).toEqual([]);
    expect(bundle.code).not.toMatch(
      /require\(["'](node:)?(fs|net|http|https|ws|crypto|path|os)["']\)/,
    );
  });

  it('registers in the page and exchanges 1:1 messages with a Node client through the gateway', async () => {
    const identityKey = await page.evaluate(
      (u) => (globalThis as unknown as { parley: Harness }).parley.online(u),
      'webalice',
    );
    expect(identityKey).toMatch(/^[0-9a-f]{64}$/);

    const bob = await createNodeClient({
      serverUrl: stack!.url,
      store: new MemoryStore(),
      userId: 'nodebob',
    });
    nodeClients.push(bob);
    const received: IncomingMessage[] = [];
    bob.on('message', (m) => received.push(m));
    await bob.register();
    await bob.connect();

    await page.evaluate(
      ([from, to, text]) =>
        (globalThis as unknown as { parley: Harness }).parley.send(from, to, text),
      ['webalice', 'nodebob', 'hello from chromium'] as const,
    );
    await waitFor('the Node client to get the page message', () => received.length === 1);
    expect(received[0]).toMatchObject({
      from: { userId: 'webalice', deviceId: 1 },
      text: 'hello from chromium',
    });

    await bob.send('webalice', 'hello back from node');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { parley: Harness }).parley
          .messages('webalice')
          .some((m) => m.text === 'hello back from node'),
      undefined,
      { timeout: 20_000 },
    );
    const inPage = await page.evaluate(() =>
      (globalThis as unknown as { parley: Harness }).parley.messages('webalice'),
    );
    expect(inPage).toEqual([{ from: 'nodebob#1', text: 'hello back from node' }]);

    const fromPage = await page.evaluate(
      ([u, other]) => (globalThis as unknown as { parley: Harness }).parley.safetyNumber(u, other),
      ['webalice', 'nodebob'] as const,
    );
    expect(fromPage).toBe((await bob.safetyNumber('webalice')).digits);
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as { parley: Harness }).parley.errors('webalice'),
      ),
    ).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
