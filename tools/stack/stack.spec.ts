/**
 * The stack script end to end, against the machine's PostgreSQL (a database of its own) and a
 * nats-server the script starts itself on a free port (so the machine's own is left alone).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort, startNatsServer, testDatabaseUrl, waitForNats, withDatabase } from '@parley/testing';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

async function stack(args: string[], env: NodeJS.ProcessEnv) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [TSX, 'tools/stack/stack.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Gone, or a zombie waiting for whichever process adopted it to reap it. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \([^)]*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('stack.ts', () => {
  const database = `parley_stacktest_${process.pid}_${Date.now().toString(36)}`;
  const databaseUrl = withDatabase(testDatabaseUrl(), database);
  let stateDir: string;
  let natsPort: number;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'parley-stack-'));
    natsPort = await freePort();
    env = {
      DATABASE_URL: databaseUrl,
      NATS_URL: '',
      PARLEY_STACK_NATS_PORT: String(natsPort),
      PARLEY_STACK_DIR: stateDir,
    };
  });
  afterAll(async () => {
    await stack(['down'], env);
    await query(withDatabase(testDatabaseUrl(), 'postgres'), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('up: creates the database, migrates it, starts NATS with JetStream, prints the variables', async () => {
    const result = await stack(['up'], env);
    expect(result.stderr).toContain(`creating database ${database}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`DATABASE_URL=${databaseUrl}\nNATS_URL=nats://127.0.0.1:${natsPort}\n`);
    const info = await waitForNats('127.0.0.1', natsPort, 2_000);
    expect(info['jetstream']).toBe(true);
    const applied = await query<{ n: number }>(
      databaseUrl,
      'SELECT count(*)::int AS n FROM message_delivery._prisma_migrations',
    );
    expect(applied[0]!.n).toBeGreaterThan(0);
  });

  it('up again: idempotent and fast', async () => {
    const started = performance.now();
    const result = await stack(['up'], env);
    const elapsed = performance.now() - started;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/migrations: 0 applied/);
    expect(result.stderr).not.toMatch(/starting|creating/);
    // Mostly tsx start-up; the work itself takes some tens of ms.
    expect(elapsed).toBeLessThan(5_000);
  });

  it('env: prints the same variables without touching anything', async () => {
    const result = await stack(['env', '--export'], env);
    expect(result.stdout).toBe(`export DATABASE_URL=${databaseUrl}\nexport NATS_URL=nats://127.0.0.1:${natsPort}\n`);
  });

  it('refuses a NATS server without JetStream', async () => {
    const plain = await startNatsServer({ jetstream: false });
    try {
      const result = await stack(['up'], { ...env, NATS_URL: plain.url });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/without JetStream/);
    } finally {
      await plain.dispose();
    }
  });

  it('down: stops the nats-server it started, and only that', async () => {
    expect(existsSync(path.join(stateDir, 'started.json'))).toBe(true);
    const { nats } = JSON.parse(readFileSync(path.join(stateDir, 'started.json'), 'utf8')) as {
      nats: { pid: number };
    };
    const result = await stack(['down'], env);
    expect(result.code).toBe(0);
    await expect(waitForNats('127.0.0.1', natsPort, 200)).rejects.toThrow();
    expect(isRunning(nats.pid)).toBe(false);
    expect(existsSync(path.join(stateDir, 'started.json'))).toBe(false);
    // The machine's PostgreSQL was not started by the stack and still answers.
    expect(await query(databaseUrl, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});
