/**
 * Fresh, uniquely named databases with every service's migrations applied, for integration
 * tests. Fast: the migrations run once into a template database (named after a hash of the
 * migration files, so an edited or new migration gets a new template), and each test
 * database is a copy of it (`CREATE DATABASE ... TEMPLATE`, some tens of milliseconds).
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { migrate, readMigrations, resolvePrismaDir, SERVICE_NAMES } from '@parley/db';
import { testDatabaseUrl, withDatabase } from './test-env';

/** Bump when the runner's own tables change, so old templates are not reused. */
const TEMPLATE_FORMAT = 'v1';
const TEMPLATE_PREFIX = 'parley_tpl_';
const TEST_PREFIX = 'parley_test_';
/** PostgreSQL's "object in use" (a template being copied, or a database still connected). */
const OBJECT_IN_USE = '55006';

export interface TestDatabase {
  readonly name: string;
  /** Connection string of the new database. */
  readonly url: string;
  /** Drops it, closing any connections left open. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Any URL of the server to use; DATABASE_URL or the local server by default. */
  readonly serverUrl?: string;
  /** Goes into the database's name, to tell leftovers apart. */
  readonly label?: string;
  /** Apply the migrations (default); `false` gives an empty database. */
  readonly migrated?: boolean;
  /** The `prisma/` folder; found automatically by default. */
  readonly prismaDir?: string;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function withAdmin<T>(serverUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Name of the template for the migrations as they are on disk now. */
export function templateName(prismaDir: string = resolvePrismaDir()): string {
  const hash = createHash('sha256').update(TEMPLATE_FORMAT);
  for (const service of SERVICE_NAMES) {
    for (const m of readMigrations(prismaDir, service))
      hash.update(`${service}/${m.name}/${m.checksum}\n`);
  }
  return `${TEMPLATE_PREFIX}${hash.digest('hex').slice(0, 16)}`;
}

async function databaseExists(client: Client, name: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rowCount === 1;
}

/** Builds the template once per set of migrations; parallel jest workers wait for the first. */
async function ensureTemplate(serverUrl: string, prismaDir: string): Promise<string> {
  const template = templateName(prismaDir);
  return withAdmin(serverUrl, async (admin) => {
    if (await databaseExists(admin, template)) return template;
    const lockKey = createHash('sha256')
      .update('parley:testing:template')
      .digest()
      .readBigInt64BE(0);
    await admin.query('SELECT pg_advisory_lock($1::bigint)', [lockKey.toString()]);
    try {
      if (await databaseExists(admin, template)) return template;
      const building = `${template}_build`;
      await admin.query(`DROP DATABASE IF EXISTS ${quote(building)} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${quote(building)}`);
      await migrate({ connectionString: withDatabase(serverUrl, building), prismaDir });
      // Renamed only once complete: a template under its final name is always whole.
      await admin.query(`ALTER DATABASE ${quote(building)} RENAME TO ${quote(template)}`);
      await admin.query(
        `ALTER DATABASE ${quote(template)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
      );
      await dropStaleTemplates(admin, template);
      return template;
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey.toString()]);
    }
  });
}

/** Best effort: templates of older migration sets are dead weight (one in use stays). */
async function dropStaleTemplates(admin: Client, current: string) {
  const { rows } = await admin.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2',
    [TEMPLATE_PREFIX, current],
  );
  for (const { datname } of rows) {
    try {
      await admin.query(`ALTER DATABASE ${quote(datname)} WITH IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE ${quote(datname)}`);
    } catch {
      // in use by another run; a later build drops it
    }
  }
}

export async function createTestDatabase(
  options: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  const serverUrl = options.serverUrl ?? testDatabaseUrl();
  const label = (options.label ?? 'db')
    .replace(/[^a-z0-9_]/gi, '_')
    .slice(0, 20)
    .toLowerCase();
  const name = `${TEST_PREFIX}${label}_${randomBytes(5).toString('hex')}`;
  const template =
    options.migrated === false
      ? undefined
      : await ensureTemplate(serverUrl, options.prismaDir ?? resolvePrismaDir());
  await withAdmin(serverUrl, async (admin) => {
    const create = `CREATE DATABASE ${quote(name)}${template ? ` TEMPLATE ${quote(template)}` : ''}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(create);
        return;
      } catch (error) {
        // Another copy of the template starting at the same instant; it clears in moments.
        if ((error as { code?: string }).code !== OBJECT_IN_USE || attempt >= 20) throw error;
        await sleep(25 * attempt);
      }
    }
  });
  return {
    name,
    url: withDatabase(serverUrl, name),
    drop: () =>
      withAdmin(serverUrl, (admin) =>
        admin.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`),
      ).then(() => undefined),
  };
}

/** Runs `fn` with a fresh migrated database and drops it afterwards, whatever happens. */
export async function withTestDatabase<T>(
  fn: (db: TestDatabase) => Promise<T>,
  options?: CreateTestDatabaseOptions,
): Promise<T> {
  const db = await createTestDatabase(options);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}
