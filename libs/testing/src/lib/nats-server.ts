/**
 * A private nats-server for a test: its own free port on 127.0.0.1, JetStream on, a temporary
 * store directory. It can be stopped, killed and started again on the same port and store,
 * so a test can take NATS away mid-stream and check that nothing is lost.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const DEFAULT_START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const PORT_ATTEMPTS = 5;

export interface NatsServerOptions {
  /** JetStream on (default). */
  readonly jetstream?: boolean;
  /** A fixed port; a free one by default. */
  readonly port?: number;
  /** JetStream store; a new temporary directory (removed by dispose) by default. */
  readonly storeDir?: string;
  /** nats-server binary; NATS_SERVER_BIN, then PATH, then /usr/sbin by default. */
  readonly binary?: string;
  readonly startTimeoutMs?: number;
  /** More command-line arguments. */
  readonly args?: readonly string[];
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Whether the server process is up now. */
  readonly running: boolean;
  /** Starts it again (same port, same store) after stop() or kill(). */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM; SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** Abrupt stop, like a crash. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it and removes a store directory it created. */
  dispose(): Promise<void>;
}

export class NatsServerStartError extends Error {
  readonly code = 'NATS_SERVER_START_FAILED';
  override readonly name = 'NatsServerStartError';
}

/** The nats-server binary: NATS_SERVER_BIN, then PATH, then the Debian location. */
export function findNatsServerBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env['NATS_SERVER_BIN'],
    ...(env['PATH'] ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((d) => path.join(d, 'nats-server')),
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
  ];
  return candidates.find((file): file is string => {
    if (!file) return false;
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/**
 * Resolves with the server's INFO once a NATS server accepts connections at host:port; polls
 * until timeoutMs. Needs no NATS client: the server speaks first.
 */
export async function waitForNats(
  host: string,
  port: number,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await readInfo(host, port).catch(() => undefined);
    if (info) return info;
    if (!alive())
      throw new NatsServerStartError(`nats-server on port ${port} exited while starting`);
    if (Date.now() >= deadline) {
      throw new NatsServerStartError(
        `nats-server on ${host}:${port} did not answer within ${timeoutMs} ms`,
      );
    }
    await sleep(25);
  }
}

function readInfo(host: string, port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = '';
    const done = (error?: Error, info?: Record<string, unknown>) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(info ?? {});
    };
    socket.setTimeout(1_000, () => {
      done(new Error('timeout'));
    });
    socket.on('error', (e) => {
      done(e);
    });
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
      const end = data.indexOf('\r\n');
      if (end < 0) return;
      const line = data.slice(0, end);
      if (!line.startsWith('INFO ')) {
        done(new Error(`unexpected greeting: ${line.slice(0, 40)}`));
        return;
      }
      try {
        done(undefined, JSON.parse(line.slice(5)) as Record<string, unknown>);
      } catch (e) {
        done(e as Error);
      }
    });
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? findNatsServerBinary();
  if (!binary) {
    throw new NatsServerStartError(
      'nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER_BIN',
    );
  }
  const jetstream = options.jetstream ?? true;
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(path.join(tmpdir(), 'parley-nats-'));
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let port = options.port ?? 0;
  let child: ChildProcess | undefined;
  let stderr = '';
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const isRunning = () => !!child && child.exitCode === null && child.signalCode === null;

  const launch = async () => {
    const args = [
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      ...(jetstream ? ['-js', '-sd', storeDir] : []),
      ...(options.args ?? []),
    ];
    stderr = '';
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4_000);
    });
    try {
      const info = await waitForNats('127.0.0.1', port, timeoutMs, isRunning);
      if (jetstream && info['jetstream'] !== true) {
        throw new NatsServerStartError(`nats-server on port ${port} answered without JetStream`);
      }
    } catch (error) {
      proc.kill('SIGKILL');
      await waitForExit(proc, STOP_GRACE_MS);
      const message = error instanceof Error ? error.message : String(error);
      throw new NatsServerStartError(`${message}\n${stderr.trim()}`);
    }
  };

  const start = async () => {
    if (isRunning()) return;
    if (port !== 0) return launch();
    // A free port can be taken between the probe and the bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await launch();
        return;
      } catch (error) {
        if (attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  };

  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || !isRunning()) return;
    proc.kill(signal);
    if (!(await waitForExit(proc, STOP_GRACE_MS))) {
      proc.kill('SIGKILL');
      await waitForExit(proc, STOP_GRACE_MS);
    }
  };

  await start();
  // The port is fixed from here on: restarts come back where clients expect them.
  const server: NatsServer = {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    get running() {
      return isRunning();
    },
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await start();
    },
    dispose: async () => {
      await halt('SIGTERM');
      process.removeListener('exit', killOnExit);
      if (ownStore) rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return server;
}
