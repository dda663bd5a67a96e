/**
 * Where tests find PostgreSQL and NATS: DATABASE_URL and NATS_URL when set (the stack script
 * prints them), else the local servers. The password is ignored by trust auth and matches
 * what the stack script sets up otherwise.
 */
export const DEFAULT_DATABASE_URL = 'postgresql://postgres:postgres@127.0.0.1:5432/parley';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env['DATABASE_URL'] || DEFAULT_DATABASE_URL;
}

export function testNatsUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env['NATS_URL'] || DEFAULT_NATS_URL;
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
