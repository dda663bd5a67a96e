/**
 * Where the development stack lives: DATABASE_URL and NATS_URL when set (they are used as they
 * are, nothing is started for them); else the local defaults the stack starts if needed.
 * Pure: no I/O, so it is unit-tested.
 */
import path from 'node:path';

export const DEFAULT_DATABASE = 'parley';
export const DEFAULT_PG_PORT = 5432;
export const DEFAULT_NATS_PORT = 4222;
/** Trust auth ignores it; where a password is needed the stack sets this one. */
export const DEFAULT_PG_PASSWORD = 'postgres';

export interface StackEnv {
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** True when the URL came from the environment: the stack waits for it, never starts it. */
  readonly databaseFromEnv: boolean;
  readonly natsFromEnv: boolean;
  readonly pgPort: number;
  readonly natsPort: number;
  /** State of what the stack started: data directories, logs, pid files. */
  readonly stateDir: string;
}

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`${name} must be a TCP port, got ${JSON.stringify(value)}`);
  return n;
}

export function resolveStackEnv(env: NodeJS.ProcessEnv, repoRoot: string): StackEnv {
  const pgPort = port(env['PARLEY_STACK_PG_PORT'], DEFAULT_PG_PORT, 'PARLEY_STACK_PG_PORT');
  const natsPort = port(env['PARLEY_STACK_NATS_PORT'], DEFAULT_NATS_PORT, 'PARLEY_STACK_NATS_PORT');
  const databaseUrl = env['DATABASE_URL'] || undefined;
  const natsUrl = env['NATS_URL'] || undefined;
  if (databaseUrl) assertUrl(databaseUrl, ['postgres:', 'postgresql:'], 'DATABASE_URL');
  // NATS clients take a comma-separated list of servers.
  if (natsUrl) natsUrl.split(',').forEach((u) => { assertUrl(u.trim(), ['nats:', 'tls:'], 'NATS_URL'); });
  return {
    databaseUrl:
      databaseUrl ?? `postgresql://postgres:${DEFAULT_PG_PASSWORD}@127.0.0.1:${pgPort}/${DEFAULT_DATABASE}`,
    natsUrl: natsUrl ?? `nats://127.0.0.1:${natsPort}`,
    databaseFromEnv: !!databaseUrl,
    natsFromEnv: !!natsUrl,
    pgPort,
    natsPort,
    stateDir: path.resolve(repoRoot, env['PARLEY_STACK_DIR'] || path.join('tmp', 'stack')),
  };
}

function assertUrl(value: string, protocols: string[], name: string) {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} is not a URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new Error(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
}

/** `KEY=value` lines for `stack env` (`--export` prefixes `export `, for eval in a shell). */
export function formatEnv(stack: Pick<StackEnv, 'databaseUrl' | 'natsUrl'>, exportPrefix = false): string {
  const prefix = exportPrefix ? 'export ' : '';
  return `${prefix}DATABASE_URL=${stack.databaseUrl}\n${prefix}NATS_URL=${stack.natsUrl}\n`;
}

/** The server's maintenance database (where CREATE DATABASE runs), and the target's name. */
export function maintenanceUrl(databaseUrl: string): { adminUrl: string; database: string } {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || DEFAULT_DATABASE;
  url.pathname = '/postgres';
  return { adminUrl: url.toString(), database };
}
