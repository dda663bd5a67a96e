/** Small process helpers for the stack script. */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export function log(line: string) {
  process.stderr.write(`[stack] ${line}\n`);
}

export interface RunResult {
  readonly code: number;
  readonly output: string;
}

/** Runs a command to completion; never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('error', (e) => { resolve({ code: 127, output: e.message }); });
    child.on('close', (code) => { resolve({ code: code ?? 1, output }); });
  });
}

export async function mustRun(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(cmd, args, env);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.code}):\n${result.output.trim()}`);
  return result.output;
}

/** An executable on PATH or in the sbin folders (not on a normal user's PATH). */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env['PATH'] ?? '').split(path.delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

let aptUpdated = false;
/** apt-get install as root; refreshes the package lists once if the first try fails. */
export async function aptInstall(pkg: string): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`installing ${pkg} with apt-get`);
  const first = await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], env);
  if (first.code === 0) return;
  if (!aptUpdated) {
    aptUpdated = true;
    await mustRun('apt-get', ['update'], env);
    await mustRun('apt-get', ['install', '-y', '--no-install-recommends', pkg], env);
    return;
  }
  throw new Error(`apt-get install ${pkg} failed:\n${first.output.trim()}`);
}
