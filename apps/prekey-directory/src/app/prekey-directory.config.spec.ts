import { ConfigError, loadConfig } from '@parley/server-kit';
import { PrekeyDirectoryEnvSchema } from './prekey-directory.config';

describe('prekey-directory configuration', () => {
  it('needs only DATABASE_URL; policies default to the contracts', () => {
    const config = loadConfig(PrekeyDirectoryEnvSchema, { DATABASE_URL: 'postgresql://db/parley' });
    expect(config).toMatchObject({
      DATABASE_URL: 'postgresql://db/parley',
      PREKEY_DB_POOL_SIZE: 10,
      PREKEY_LOW_THRESHOLD: 25,
      PREKEY_SIGNED_GRACE_MS: 30 * 24 * 60 * 60 * 1000,
      PARLEY_NATS_URL: 'nats://127.0.0.1:4222',
    });
  });

  it('names every bad variable and never prints a value', () => {
    let error: unknown;
    try {
      loadConfig(PrekeyDirectoryEnvSchema, {
        DATABASE_URL: 'mysql://user:hunter2@db/parley',
        PREKEY_LOW_THRESHOLD: '-1',
        PREKEY_DB_POOL_SIZE: 'many',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.variables.sort()).toEqual([
      'DATABASE_URL',
      'PREKEY_DB_POOL_SIZE',
      'PREKEY_LOW_THRESHOLD',
    ]);
    expect(configError.message).not.toContain('hunter2');
  });
});
