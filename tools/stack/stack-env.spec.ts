import { formatEnv, maintenanceUrl, resolveStackEnv } from './stack-env';

const ROOT = '/repo';

describe('resolveStackEnv', () => {
  it('uses the local defaults when nothing is set', () => {
    const stack = resolveStackEnv({}, ROOT);
    expect(stack).toEqual({
      databaseUrl: 'postgresql://postgres:postgres@127.0.0.1:5432/parley',
      natsUrl: 'nats://127.0.0.1:4222',
      databaseFromEnv: false,
      natsFromEnv: false,
      pgPort: 5432,
      natsPort: 4222,
      stateDir: '/repo/tmp/stack',
    });
  });

  it('takes DATABASE_URL and NATS_URL as they are', () => {
    const stack = resolveStackEnv(
      { DATABASE_URL: 'postgres://u:p@db.internal:6543/x', NATS_URL: 'nats://n1:4222,nats://n2:4222' },
      ROOT,
    );
    expect(stack.databaseUrl).toBe('postgres://u:p@db.internal:6543/x');
    expect(stack.natsUrl).toBe('nats://n1:4222,nats://n2:4222');
    expect(stack.databaseFromEnv && stack.natsFromEnv).toBe(true);
  });

  it('treats empty variables as unset, and honours the port and state overrides', () => {
    const stack = resolveStackEnv(
      { DATABASE_URL: '', PARLEY_STACK_PG_PORT: '5499', PARLEY_STACK_NATS_PORT: '14222', PARLEY_STACK_DIR: '/var/tmp/s' },
      ROOT,
    );
    expect(stack.databaseUrl).toBe('postgresql://postgres:postgres@127.0.0.1:5499/parley');
    expect(stack.natsUrl).toBe('nats://127.0.0.1:14222');
    expect(stack.databaseFromEnv).toBe(false);
    expect(stack.stateDir).toBe('/var/tmp/s');
  });

  it('refuses what cannot be a database or NATS URL, or a port', () => {
    expect(() => resolveStackEnv({ DATABASE_URL: 'mysql://x/y' }, ROOT)).toThrow(/DATABASE_URL/);
    expect(() => resolveStackEnv({ NATS_URL: 'not a url' }, ROOT)).toThrow(/NATS_URL/);
    expect(() => resolveStackEnv({ PARLEY_STACK_NATS_PORT: '70000' }, ROOT)).toThrow(/PARLEY_STACK_NATS_PORT/);
  });
});

describe('formatEnv', () => {
  const stack = { databaseUrl: 'postgresql://a/b', natsUrl: 'nats://c:1' };
  it('prints KEY=value lines, or export lines for eval', () => {
    expect(formatEnv(stack)).toBe('DATABASE_URL=postgresql://a/b\nNATS_URL=nats://c:1\n');
    expect(formatEnv(stack, true)).toBe('export DATABASE_URL=postgresql://a/b\nexport NATS_URL=nats://c:1\n');
  });
});

describe('maintenanceUrl', () => {
  it('points at the postgres database of the same server and names the target', () => {
    expect(maintenanceUrl('postgresql://u:p@h:1/parley_x?sslmode=disable')).toEqual({
      adminUrl: 'postgresql://u:p@h:1/postgres?sslmode=disable',
      database: 'parley_x',
    });
  });
});
