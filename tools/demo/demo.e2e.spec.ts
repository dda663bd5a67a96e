/**
 * The demo as a newcomer runs it: a separate process that starts the five services as
 * processes of their own, runs the conversation through them, and must exit 0 with the
 * transcript's key lines, leaving no service process behind.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runDemo(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 150_000,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        require.resolve('tsx/cli'),
        '--tsconfig',
        'tools/demo/tsconfig.json',
        'tools/demo/main.ts',
        ...args,
      ],
      {
        cwd: REPO_ROOT,
        env: { ...env, DEMO_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error(`demo still running after ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('bash tools/parley.sh demo', () => {
  it('runs the whole conversation through five service processes and exits 0', async () => {
    const run = await runDemo([]);
    const out = run.stdout;
    if (run.code !== 0) throw new Error(`demo exited ${String(run.code)}:\n${out}\n${run.stderr}`);

    const pids = [...out.matchAll(/(\S+) ready \(pid (\d+), port \d+, log /g)];
    expect(pids.map((m) => m[1]).sort()).toEqual([
      'gateway',
      'group-membership',
      'message-delivery',
      'prekey-directory',
      'push-notification',
    ]);
    for (const name of ['alice#1', 'bob#1', 'bob#2', 'carol#1'])
      expect(out).toContain(`${name} registered`);
    expect(out).toMatch(/safety number alice <-> bob#1: (\d{5} ){11}\d{5}\n/);
    expect(out).toContain('bob#2 <- alice#1 (1:1): "Hi Bob, lunch at noon?"');
    expect(out).toContain('bob#2 <- bob#1 (copy, to alice): "Sure, see you there"');
    expect(out).toMatch(/wire: 3 pairwise envelope\(s\): bob#1 \w+ \d+ B/);
    expect(out).toMatch(/carol#1 <- alice#1 \(group \w{8}\): "Kick-off at 10"/);
    expect(out).toMatch(
      /wire: ONE sender-key ciphertext of \d+ B, fanned out by the server to 3 device\(s\)/,
    );
    expect(out).toMatch(
      /wire: ONE sender-key ciphertext of \d+ B, fanned out by the server to 2 device\(s\)/,
    );
    expect(out).toContain('bob#2 <- alice#1 (group');
    expect(out).not.toMatch(/carol#1 <- \S+ \(group \w+\): "Secret plan/);
    expect(out).toContain('carol#1 received nothing after removal: 0 messages, 0 undecryptable');
    expect(out).toContain('carol#1 tries to post to the group: refused');
    expect(out).toContain('bob#2 caught up: 3 messages received after reconnecting');
    expect(out).toContain('stopped 5 services');
    expect(out).toContain('demo finished: every expected message was delivered and decrypted');
    expect(out).not.toContain('UNDECRYPTABLE');

    for (const [, , pid] of pids) expect(alive(Number(pid))).toBe(false);
  }, 160_000);

  it('exits non-zero with a clear message when the stack is not there', async () => {
    const run = await runDemo(
      [],
      { ...process.env, DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/parley' },
      60_000,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^demo failed: /m);
  }, 90_000);

  it('keeps the in-process protocol demo behind --protocol-only', async () => {
    const run = await runDemo(['--protocol-only'], process.env, 90_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('demo finished: every message decrypted as expected');
  }, 120_000);
});
