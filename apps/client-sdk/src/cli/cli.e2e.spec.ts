/**
 * The `parley` CLI as a user runs it (the `bin` entry, as separate processes, one home per
 * device) against the real services, each its own process as the demo starts them, on a
 * fresh database and NATS namespace.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ServiceProcesses } from '../../test/browser/service-processes';
import { startServiceProcesses } from '../../test/browser/service-processes';

const BIN = path.join(__dirname, 'bin.cjs');

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let stack: ServiceProcesses;
let root: string;

beforeAll(async () => {
  stack = await startServiceProcesses('cli');
  root = await mkdtemp(path.join(tmpdir(), 'parley-cli-'));
}, 150_000);
afterAll(async () => {
  await stack.stop();
  await rm(root, { recursive: true, force: true });
}, 60_000);

function start(
  home: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcessByStdio<null, Readable, Readable>; done: Promise<Result> } {
  const child = spawn(process.execPath, [BIN, '--home', path.join(root, home), ...args], {
    env: { ...process.env, PARLEY_STORE_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const done = new Promise<Result>((resolve) => {
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done };
}

const parley = (home: string, args: string[], env?: NodeJS.ProcessEnv) =>
  start(home, args, env).done;

async function ok(home: string, args: string[]): Promise<Result> {
  const r = await parley(home, args);
  if (r.code !== 0)
    throw new Error(`parley ${args.join(' ')} exited ${String(r.code)}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `listen` in the background, resolved once it is connected (wrapped: an async function would wait for `done`). */
async function listening(home: string, args: string[]): Promise<{ done: Promise<Result> }> {
  const { child, done } = start(home, ['listen', '--json', ...args]);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      if (err.includes('listening as')) resolve();
    });
    child.on('close', () => {
      reject(new Error(`listen ended early:\n${err}`));
    });
  });
  return { done };
}

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; text?: string; from?: string; groupId?: string });

describe('parley CLI against the real services', () => {
  it('registers two users who exchange 1:1 and group messages', async () => {
    const [alice, bob] = await Promise.all([
      ok('alice', ['register', 'alice', '--server', stack.url]),
      ok('bob', ['register', 'bob', '--device', '1', '--server', stack.url]),
    ]);
    expect(alice.stdout).toContain('registered alice#1');
    expect(bob.stdout).toContain('registered bob#1');
    expect(alice.stderr).toMatch(/registering alice#1 .*\.\.\. done \(\d+\.\d s\)/);
    // The store key file is private; the device file names no secret.
    expect((await stat(path.join(root, 'alice', 'store.key'))).mode & 0o777).toBe(0o600);
    const device = JSON.parse(
      await readFile(path.join(root, 'alice', 'device.json'), 'utf8'),
    ) as object;
    expect(device).toEqual({ serverUrl: stack.url, userId: 'alice', deviceId: 1 });

    // 1:1, bob listening live.
    const bobListen = await listening('bob', ['--count', '1', '--timeout', '40']);
    expect((await ok('alice', ['send', 'bob', 'hello', 'bob'])).stdout).toContain('sent to bob');
    const got = await bobListen.done;
    if (got.code !== 0)
      throw new Error(`bob's listen exited ${String(got.code)}:\n${got.stdout}\n${got.stderr}`);
    expect(jsonLines(got.stdout)).toEqual([
      expect.objectContaining({ type: 'message', from: 'alice#1', text: 'hello bob' }),
    ]);

    // A reply that waits in alice's mailbox until she listens (offline catch-up).
    await ok('bob', ['send', 'alice', 'hi alice']);
    const aliceGot = await parley('alice', ['listen', '--count', '1', '--timeout', '30']);
    expect(aliceGot.code).toBe(0);
    expect(aliceGot.stdout).toContain('bob#1: hi alice');

    const [aliceNumber, bobNumber] = await Promise.all([
      ok('alice', ['safety-number', 'bob']),
      ok('bob', ['safety-number', 'alice']),
    ]);
    const digits = (r: Result) => r.stdout.split('\n')[1];
    expect(digits(aliceNumber)).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(digits(aliceNumber)).toBe(digits(bobNumber));

    // A sender-key group: created, used, then bob is removed and may no longer post.
    const created = await ok('alice', ['group', 'create', 'pair', 'bob', '--mode', 'sender-keys']);
    const groupId = created.stdout.split('\n')[0] ?? '';
    expect(groupId).toMatch(/^[0-9a-f]{64}$/);
    expect(created.stdout).toContain('group "pair" (sender-keys) epoch 0');
    await ok('alice', ['group', 'send', groupId, 'welcome', 'to', 'the', 'group']);
    const bobGroup = await parley('bob', ['listen', '--count', '1', '--timeout', '30', '--json']);
    expect(bobGroup.code).toBe(0);
    expect(jsonLines(bobGroup.stdout)).toContainEqual(
      expect.objectContaining({
        type: 'message',
        from: 'alice#1',
        text: 'welcome to the group',
        groupId,
      }),
    );
    const shown = await ok('bob', ['group', 'show', groupId]);
    expect(shown.stdout).toContain('members: alice, bob; admins: alice');

    expect((await ok('alice', ['group', 'remove', groupId, 'bob'])).stdout).toContain(
      'members: alice;',
    );
    const refused = await parley('bob', ['group', 'send', groupId, 'still', 'here?']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^parley: /m);
  }, 180_000);

  it('says clearly what is wrong, with distinct exit codes', async () => {
    const noDevice = await parley('nobody', ['send', 'bob', 'x']);
    expect(noDevice.code).toBe(3);
    expect(noDevice.stderr).toContain('run `parley register <userId> --server <url>` first');

    const usage = await parley('nobody', ['group', 'create', 'x', 'bob', '--mode', 'broadcast']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Allowed choices are pairwise, sender-keys');

    const down = await parley('carol', ['register', 'carol', '--server', 'http://127.0.0.1:1']);
    expect(down.code).toBe(5);
    expect(down.stderr).toContain('cannot reach the gateway');

    await ok('dave', ['register', 'dave', '--server', stack.url]);
    const again = await parley('dave', ['register', 'dave', '--server', stack.url]);
    expect(again.code).toBe(3);
    const wrongKey = await parley('dave', ['whoami'], { PARLEY_STORE_KEY: '00'.repeat(32) });
    expect(wrongKey.code).toBe(4);
    expect(wrongKey.stderr).toContain('does not open with this key');
    await chmod(path.join(root, 'dave', 'store.key'), 0o644);
    const open = await parley('dave', ['whoami']);
    expect(open.code).toBe(4);
    expect(open.stderr).toContain('chmod 600');
    await chmod(path.join(root, 'dave', 'store.key'), 0o600);
    expect((await ok('dave', ['whoami'])).stdout).toContain(`dave#1 at ${stack.url}`);

    const timeout = await parley('dave', ['listen', '--count', '1', '--timeout', '1']);
    expect(timeout.code).toBe(7);
  }, 150_000);

  it('keeps the device in a store sealed by an environment key when one is given', async () => {
    const key = 'ab'.repeat(32);
    const r = await parley('erin', ['register', 'erin', '--server', stack.url], {
      PARLEY_STORE_KEY: key,
    });
    expect(r.code).toBe(0);
    await expect(stat(path.join(root, 'erin', 'store.key'))).rejects.toThrow();
    expect((await parley('erin', ['whoami'], { PARLEY_STORE_KEY: key })).code).toBe(0);
    expect((await parley('erin', ['whoami'])).code).toBe(4);
  }, 90_000);
});
