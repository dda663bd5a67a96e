/**
 * What a runtime image holds, without Docker: each bundle is copied alone into a folder
 * outside the repository (no node_modules anywhere above it) and run with node, as the
 * images' last stage does. The migration job migrates a fresh database, the services start
 * on it and report ready, then stop on SIGTERM with exit code 0. Real PostgreSQL and NATS.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, freePort, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { TestDatabase } from '@parley/testing';
import { bundle, bundleTarget, REPO_ROOT } from './bundle';

const SERVICES = ['gateway', 'prekey-directory', 'group-membership', 'message-delivery'];
// push-notification joins the list once its app is in the tree.
const ALL = existsSync(path.join(REPO_ROOT, 'apps/push-notification/src/main.ts'))
  ? [...SERVICES, 'push-notification']
  : SERVICES;

interface Exit {
  code: number | null;
  output: string;
}

function run(
  file: string,
  env: Record<string, string>,
): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [file], {
    cwd: path.dirname(file),
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<Exit>((resolve) => {
    child.on('close', (code) => {
      resolve({ code, output });
    });
  });
  return { child, exit };
}

describe('single-file bundles (the runtime images’ content)', () => {
  let out: string;
  let db: TestDatabase;
  const files = new Map<string, string>();

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'parley-bundles-'));
    db = await createTestDatabase({ label: 'bundles', migrated: false });
    await Promise.all(
      ['migrate', ...ALL].map(async (name) => {
        const built = await bundle(bundleTarget(name), path.join(out, 'build', name));
        // Alone in its own folder, like /app in the image.
        const dir = path.join(out, 'image', name);
        mkdirSync(dir, { recursive: true });
        copyFileSync(built.outfile, path.join(dir, 'main.js'));
        files.set(name, path.join(dir, 'main.js'));
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await db.drop();
    rmSync(out, { recursive: true, force: true });
  });

  it('the migration job names a missing DATABASE_URL and exits 1', async () => {
    const { exit } = run(files.get('migrate')!, {});
    const result = await exit;
    expect(result.code).toBe(1);
    expect(result.output).toContain('DATABASE_URL: required but not set');
  });

  it('the migration job migrates a fresh database, and a second run is a no-op', async () => {
    const env = { DATABASE_URL: db.url, PARLEY_PRISMA_DIR: path.join(REPO_ROOT, 'prisma') };
    const first = await run(files.get('migrate')!, env).exit;
    expect(first).toMatchObject({ code: 0 });
    expect(first.output).toMatch(/migrations: [1-9]\d* applied, 0 already in place/);
    const second = await run(files.get('migrate')!, env).exit;
    expect(second.output).toMatch(/migrations: 0 applied, [1-9]\d* already in place/);
  });

  it.each(ALL)('%s starts from its bundle alone, is ready, and stops cleanly', async (name) => {
    const port = await freePort();
    const { child, exit } = run(files.get(name)!, {
      DATABASE_URL: db.url,
      PARLEY_NATS_URL: testNatsUrl(),
      PARLEY_NATS_PREFIX: uniqueSubjectPrefix('bundle'),
      PARLEY_HTTP_PORT: String(port),
      PARLEY_INSTANCE_ID: `${name}-bundle`,
    });
    try {
      let status = 0;
      for (let i = 0; i < 150 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await sleep(200);
      }
      expect(status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('parley_nats_connected');
    } finally {
      child.kill('SIGTERM');
    }
    const result = await exit;
    expect(result.code).toBe(0);
    expect(result.output).toContain('"msg":"NATS connection drained"');
  });
});
