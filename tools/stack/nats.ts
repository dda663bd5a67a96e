/**
 * NATS with JetStream for the stack: the server at NATS_URL, or the local one; else a
 * nats-server started in the background (apt-get install nats-server as root if missing).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findNatsServerBinary, waitForNats } from '@parley/testing';
import { aptInstall, isRoot, log } from './run';
import type { StackEnv } from './stack-env';
import { readState, updateState } from './state';

function hostPort(natsUrl: string): { host: string; port: number } {
  // The first server of a comma-separated list is enough to tell whether NATS is up.
  const [first = natsUrl] = natsUrl.split(',');
  const url = new URL(first.trim());
  return { host: url.hostname, port: Number(url.port || 4222) };
}

function assertJetStream(info: Record<string, unknown>, where: string) {
  if (info['jetstream'] !== true) {
    throw new Error(`the NATS server at ${where} runs without JetStream; restart it with -js`);
  }
}

async function binary(): Promise<string> {
  const found = findNatsServerBinary();
  if (found) return found;
  if (!isRoot()) throw new Error('nats-server is not installed; install it (apt-get install nats-server) or set NATS_URL');
  await aptInstall('nats-server');
  const installed = findNatsServerBinary();
  if (!installed) throw new Error('nats-server still not found after apt-get install');
  return installed;
}

export async function ensureNats(stack: StackEnv): Promise<void> {
  const { host, port } = hostPort(stack.natsUrl);
  const where = `${host}:${port}`;
  if (stack.natsFromEnv) {
    assertJetStream(await waitForNats(host, port, 30_000), where);
    return;
  }
  const running = await waitForNats(host, port, 300).catch(() => undefined);
  if (running) { assertJetStream(running, where); return; }

  const dataDir = path.join(stack.stateDir, 'nats');
  mkdirSync(dataDir, { recursive: true });
  const logFile = openSync(path.join(stack.stateDir, 'nats.log'), 'a');
  const bin = await binary();
  log(`starting ${bin} on ${where} (JetStream store ${dataDir})`);
  const child = spawn(bin, ['-a', host, '-p', String(port), '-js', '-sd', dataDir], {
    detached: true,
    stdio: ['ignore', logFile, logFile],
  });
  closeSync(logFile);
  const pid = child.pid;
  child.unref();
  if (pid === undefined) throw new Error(`could not start ${bin}`);
  updateState(stack.stateDir, (s) => (s.nats = { pid, port }));
  const info = await waitForNats(host, port, 15_000, () => isAlive(pid));
  assertJetStream(info, where);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still "exists"; /proc tells it apart.
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    return !/^\d+ \([^)]*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** The pid is still our nats-server (not a reused pid of something else). */
function isOurNats(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server');
  } catch {
    return false;
  }
}

export async function stopNats(stateDir: string): Promise<void> {
  const started = readState(stateDir).nats;
  if (!started) return;
  if (isAlive(started.pid) && isOurNats(started.pid)) {
    log(`stopping nats-server (pid ${started.pid})`);
    process.kill(started.pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (isAlive(started.pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(started.pid)) process.kill(started.pid, 'SIGKILL');
  }
  updateState(stateDir, (s) => delete s.nats);
}
