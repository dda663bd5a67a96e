/**
 * The services as separate processes, several instances each: the same scaling as
 * `docker compose up --scale`, on one machine without Docker. Each instance gets its own
 * instance id (`<service>-<n>`), its own HTTP port (health, metrics; the gateway's API),
 * and its own log file; they share work through the services' NATS queue groups.
 *
 * Processes run the TypeScript sources through tsx's loader (one node process each, so a
 * pid is the service itself: `kill -9` hits it, not a wrapper).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@parley/testing';

export interface ServiceInstance {
  readonly service: string;
  readonly instance: string;
  readonly pid: number;
  readonly httpPort: number;
  readonly log: string;
  /** The entry file, to recognise the process later (pids get reused). */
  readonly main: string;
}

export interface StartServicesOptions {
  readonly repoRoot: string;
  /** Logs go to `<stateDir>/logs/<instance>.log`. */
  readonly stateDir: string;
  /** Which services (default: every app with a server main). */
  readonly services?: readonly string[];
  /** Instances per service (default 1). */
  readonly scale?: Readonly<Record<string, number>>;
  /** Environment of every instance, on top of this process's (DATABASE_URL, PARLEY_NATS_URL, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** How long to wait for every instance's /health/ready (default 90 s). */
  readonly readyTimeoutMs?: number;
}

/** Apps that are services: a src/main.ts and a tsconfig.app.json (the client SDK is not). */
export function availableServices(repoRoot: string): string[] {
  const apps = path.join(repoRoot, 'apps');
  return readdirSync(apps)
    .filter((app) => app !== 'client-sdk')
    .filter((app) => existsSync(path.join(apps, app, 'src', 'main.ts')))
    .filter((app) => existsSync(path.join(apps, app, 'tsconfig.app.json')))
    .sort();
}

/** `--scale a=3 --scale=b=2` (and `--services` / `--services=a,b`) from the command line. */
export function parseServiceFlags(
  flags: readonly string[],
  known: readonly string[],
): { services: string[] | undefined; scale: Record<string, number> } {
  let services: string[] | undefined;
  const scale: Record<string, number> = {};
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] ?? '';
    if (flag === '--services') services = [...known];
    else if (flag.startsWith('--services=')) services = flag.slice('--services='.length).split(',');
    else if (flag === '--scale' || flag.startsWith('--scale=')) {
      const value = flag === '--scale' ? flags[++i] : flag.slice('--scale='.length);
      const match = /^([a-z-]+)=(\d{1,2})$/.exec(value ?? '');
      if (!match?.[1] || !match[2])
        throw new Error(`--scale expects service=N, got ${String(value)}`);
      scale[match[1]] = Number(match[2]);
    }
  }
  for (const name of [...(services ?? []), ...Object.keys(scale)]) {
    if (!known.includes(name))
      throw new Error(`unknown service ${name} (known: ${known.join(', ')})`);
  }
  // Scaling a service implies running it.
  if (services && Object.keys(scale).length > 0) {
    services = [...new Set([...services, ...Object.keys(scale)])];
  }
  return { services, scale };
}

export async function startServices(options: StartServicesOptions): Promise<ServiceInstance[]> {
  const services = options.services ?? availableServices(options.repoRoot);
  const logDir = path.join(options.stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const loader = path.join(options.repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  const started: ServiceInstance[] = [];
  for (const service of services) {
    const count = options.scale?.[service] ?? 1;
    for (let n = 1; n <= count; n++) {
      const instance = `${service}-${n}`;
      const httpPort = await freePort();
      const main = path.join(options.repoRoot, 'apps', service, 'src', 'main.ts');
      const log = path.join(logDir, `${instance}.log`);
      const fd = openSync(log, 'a');
      const child = spawn(process.execPath, ['--import', loader, main], {
        cwd: options.repoRoot,
        detached: true,
        stdio: ['ignore', fd, fd],
        env: {
          ...process.env,
          ...options.env,
          TSX_TSCONFIG_PATH: path.join(options.repoRoot, 'apps', service, 'tsconfig.app.json'),
          PARLEY_INSTANCE_ID: instance,
          PARLEY_HTTP_PORT: String(httpPort),
        },
      });
      closeSync(fd);
      child.unref();
      if (child.pid === undefined) throw new Error(`could not start ${instance}`);
      started.push({ service, instance, pid: child.pid, httpPort, log, main });
    }
  }
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  try {
    await Promise.all(started.map((s) => waitReady(s, deadline)));
  } catch (error) {
    // Nothing half-started stays behind.
    await stopServices(started, 2_000);
    throw error;
  }
  return started;
}

async function waitReady(s: ServiceInstance, deadline: number): Promise<void> {
  for (;;) {
    if (!isRunning(s)) {
      throw new Error(`${s.instance} exited during start; see ${s.log}:\n${tail(s.log)}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${s.httpPort}/health/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${s.instance} not ready in time; see ${s.log}`);
    await sleep(200);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/** The pid is alive, not a zombie, and still runs this instance's entry file. */
export function isRunning(s: Pick<ServiceInstance, 'pid' | 'main'>): boolean {
  try {
    const stat = readFileSync(`/proc/${s.pid}/stat`, 'utf8');
    if (/^\d+ \([^)]*\) Z/.test(stat)) return false;
    return readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').includes(s.main);
  } catch {
    return false;
  }
}

/** SIGTERM (graceful: in-flight requests finish), SIGKILL after `graceMs`. */
export async function stopServices(
  instances: readonly ServiceInstance[],
  graceMs = 15_000,
): Promise<void> {
  await Promise.all(
    instances.map(async (s) => {
      if (!isRunning(s)) return;
      process.kill(s.pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (isRunning(s) && Date.now() < deadline) await sleep(50);
      if (isRunning(s)) process.kill(s.pid, 'SIGKILL');
    }),
  );
}
