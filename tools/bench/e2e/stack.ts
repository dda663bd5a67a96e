/**
 * The stack under test as real processes: a fresh migrated database on the local
 * PostgreSQL, a NATS namespace of its own on the local nats-server (tools/stack brings
 * both up), and each service as its own node process running its main.ts under tsx's
 * loader (node is the process itself, so its pid is the service's and `--cpu-prof` works).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, freePort, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
// The deployables' own bundler (tools/build), so the bench runs what the images run.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { bundle, bundleTarget } from '../../build/bundle';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export type ServiceName = 'prekey-directory' | 'group-membership' | 'message-delivery' | 'gateway';
export const SERVICES: readonly ServiceName[] = [
  'prekey-directory',
  'group-membership',
  'message-delivery',
  'gateway',
];

/** node flags that make a child run TypeScript the way `tsx` does. */
export function tsxNodeArgs(): string[] {
  return [
    '--require',
    require.resolve('tsx/preflight'),
    '--import',
    `file://${require.resolve('tsx/esm').replace(/esm\/index\.(c|m)?js$/, 'loader.mjs')}`,
  ];
}

export interface StackOptions {
  /**
   * Run each service's deployable bundle (tools/build: esbuild, one file, what the Docker
   * images run) instead of its sources under tsx's loader.
   */
  readonly built?: boolean;
  /** Directory for `--cpu-prof` profiles of every service (none when unset). */
  readonly cpuProfDir?: string;
  /**
   * Allocation profiles (alloc-profile.cjs) into `dir/<service>.heapprofile`, sampled from
   * `startS` after start for `seconds`; with built services their bundle is copied beside
   * (`<service>.main.js`) so alloc-summary.ts can name the package of each line.
   */
  readonly allocProfile?: { readonly dir: string; readonly startS: number; readonly seconds: number };
  /** Extra node flags for every service process (e.g. GC settings to compare). */
  readonly nodeArgs?: readonly string[];
  /** Extra environment per service. */
  readonly env?: Partial<Record<ServiceName, Record<string, string>>>;
}

export interface RunningStack {
  readonly baseUrl: string;
  readonly wsUrl: string;
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly namespace: string;
  /** Each service's Prometheus endpoint. */
  readonly metricsUrls: Readonly<Record<ServiceName, string>>;
  /** Current pid of each service (changes when one is restarted). */
  readonly pids: Readonly<Record<ServiceName, number>>;
  /** kill -9 of one service, then a new process of it; resolves when it is ready again. */
  killAndRestart(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

/** Bundles every service into a private folder (not dist/, which other work may be using). */
async function buildServices(outRoot: string): Promise<Record<ServiceName, string>> {
  const out: Partial<Record<ServiceName, string>> = {};
  for (const name of SERVICES) {
    out[name] = (await bundle(bundleTarget(name, REPO_ROOT), path.join(outRoot, name))).outfile;
  }
  return out as Record<ServiceName, string>;
}

function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: StackOptions,
  builtEntry: string | undefined,
): ChildProcess {
  const app = path.join(REPO_ROOT, 'apps', name);
  const args = builtEntry ? [] : [...tsxNodeArgs()];
  args.push(...(options.nodeArgs ?? []));
  const { cpuProfDir, allocProfile } = options;
  // One folder per service: node writes a profile per thread (tsx's loader runs in one too).
  if (cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${path.join(cpuProfDir, name)}`);
  const allocEnv: Record<string, string> = {};
  if (allocProfile) {
    args.push('-r', path.join(__dirname, 'alloc-profile.cjs'));
    allocEnv['PARLEY_ALLOC_OUT'] = path.join(allocProfile.dir, `${name}.heapprofile`);
    allocEnv['PARLEY_ALLOC_START_S'] = String(allocProfile.startS);
    allocEnv['PARLEY_ALLOC_SECONDS'] = String(allocProfile.seconds);
    if (builtEntry) copyFileSync(builtEntry, path.join(allocProfile.dir, `${name}.main.js`));
  }
  args.push(builtEntry ?? path.join(app, 'src/main.ts'));
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, ...allocEnv, TSX_TSCONFIG_PATH: path.join(app, 'tsconfig.app.json') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`[bench] ${name} exited with ${String(code)}`);
  });
  return child;
}

async function waitForHttp(url: string, timeoutMs: number, children: ChildProcess[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (children.some((c) => c.exitCode !== null)) throw new Error('a service exited during start-up');
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${url}`);
    await sleep(200);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<boolean>((resolve) => child.once('exit', () => { resolve(true); }));
  child.kill('SIGTERM');
  if (!(await Promise.race([exited, sleep(15_000).then(() => false)]))) child.kill('SIGKILL');
}

export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const bundleDir = options.built ? mkdtempSync(path.join(os.tmpdir(), 'parley-bench-e2e-')) : undefined;
  const entries = bundleDir ? await buildServices(bundleDir) : undefined;
  const db: TestDatabase = await createTestDatabase({ label: 'bench_e2e' });
  const namespace = uniqueSubjectPrefix('bench-e2e');
  const natsUrl = testNatsUrl();
  const port = await freePort();
  if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
  if (options.allocProfile) mkdirSync(options.allocProfile.dir, { recursive: true });
  const common = {
    DATABASE_URL: db.url,
    PARLEY_NATS_URL: natsUrl,
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_LOG_LEVEL: 'warn',
  };
  const defaults: Record<ServiceName, Record<string, string>> = {
    'prekey-directory': { PREKEY_DB_POOL_SIZE: '10' },
    'group-membership': { GROUPS_DB_POOL_SIZE: '10' },
    'message-delivery': { DELIVERY_DB_POOL_SIZE: '20' },
    gateway: {
      PARLEY_HTTP_PORT: String(port),
      GATEWAY_DB_POOL_SIZE: '10',
      // The bench measures throughput, not the per-device limiter.
      GATEWAY_RATE_LIMIT: '10000000',
      GATEWAY_BODY_LIMIT_BYTES: String(1024 * 1024),
    },
  };
  // Every service gets a health port: the stack is up when each answers /health/ready.
  const healthPorts: Record<ServiceName, number> = {
    'prekey-directory': await freePort(),
    'group-membership': await freePort(),
    'message-delivery': await freePort(),
    gateway: port,
  };
  for (const name of SERVICES) defaults[name]['PARLEY_HTTP_PORT'] = String(healthPorts[name]);
  const children = new Map<ServiceName, ChildProcess>();
  const stop = async () => {
    // The gateway first (no new work), then the services, then the database.
    const gw = children.get('gateway');
    if (gw) await stopChild(gw);
    await Promise.all([...children.entries()].filter(([n]) => n !== 'gateway').map(([, c]) => stopChild(c)));
    await db.drop().catch((e: unknown) => { console.error('[bench] dropping the database:', e); });
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  };
  const pids = {} as Record<ServiceName, number>;
  const launch = (name: ServiceName, generation: number) => {
    const child = startService(
      name,
      { ...common, PARLEY_INSTANCE_ID: `bench-${name}-${generation}`, ...defaults[name], ...options.env?.[name] },
      // Profiles of the first process of each service only (a restarted one would overwrite).
      generation === 1 ? options : options.nodeArgs ? { nodeArgs: options.nodeArgs } : {},
      entries?.[name],
    );
    children.set(name, child);
    pids[name] = child.pid ?? 0;
  };
  let generation = 1;
  const killAndRestart = async (name: ServiceName) => {
    const child = children.get(name);
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    launch(name, ++generation);
    await waitForHttp(`http://127.0.0.1:${healthPorts[name]}/health/ready`, 120_000, [children.get(name) as ChildProcess]);
  };
  try {
    for (const name of SERVICES) launch(name, 1);
    const baseUrl = `http://127.0.0.1:${port}`;
    await Promise.all(
      SERVICES.map((name) => waitForHttp(`http://127.0.0.1:${healthPorts[name]}/health/ready`, 180_000, [...children.values()])),
    );
    const metricsUrls = Object.fromEntries(SERVICES.map((name) => [name, `http://127.0.0.1:${healthPorts[name]}/metrics`])) as Record<ServiceName, string>;
    return { baseUrl, wsUrl: `ws://127.0.0.1:${port}/v1/ws`, databaseUrl: db.url, natsUrl, namespace, metricsUrls, pids, killAndRestart, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
