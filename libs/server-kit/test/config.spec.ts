import { z } from 'zod';
import { BaseServiceEnvSchema, ConfigError, loadConfig } from '../src/lib/config/service-config';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig(BaseServiceEnvSchema, {});
    expect(c.PARLEY_NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(c.PARLEY_LOG_LEVEL).toBe('info');
    expect(c.PARLEY_SHUTDOWN_TIMEOUT_MS).toBe(10_000);
    expect(c.PARLEY_NATS_PREFIX).toBeUndefined();
    expect(c.PARLEY_INSTANCE_ID).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('parses and coerces values', () => {
    const c = loadConfig(BaseServiceEnvSchema, {
      PARLEY_NATS_URL: 'nats://a:4222, nats://b:4222',
      PARLEY_HTTP_PORT: '8080',
      PARLEY_NATS_PREFIX: 'ci.run-1',
    });
    expect(c.PARLEY_HTTP_PORT).toBe(8080);
    expect(c.PARLEY_NATS_PREFIX).toBe('ci.run-1');
  });

  it('names every bad or missing variable, without printing values', () => {
    const schema = BaseServiceEnvSchema.extend({ DATABASE_URL: z.url() });
    let error: unknown;
    try {
      loadConfig(schema, {
        PARLEY_HTTP_PORT: 'eighty',
        PARLEY_LOG_LEVEL: 'loud',
        PARLEY_NATS_URL: 'http://secret-host:4222',
        PARLEY_NATS_PREFIX: 'a.*',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const ce = error as ConfigError;
    expect(ce.variables.sort()).toEqual(
      [
        'DATABASE_URL',
        'PARLEY_HTTP_PORT',
        'PARLEY_LOG_LEVEL',
        'PARLEY_NATS_PREFIX',
        'PARLEY_NATS_URL',
      ].sort(),
    );
    expect(ce.message).toContain('DATABASE_URL: required but not set');
    expect(ce.message).toContain('PARLEY_HTTP_PORT: expected a whole number from 0 to 65535');
    expect(ce.message).not.toContain('secret-host');
    expect(ce.message).not.toContain('eighty');
  });

  it('treats empty values as unset', () => {
    const schema = BaseServiceEnvSchema.extend({ DATABASE_URL: z.url() });
    expect(() => loadConfig(schema, { DATABASE_URL: '' })).toThrow(
      /DATABASE_URL: required but not set/,
    );
    expect(
      loadConfig(BaseServiceEnvSchema, { PARLEY_HTTP_PORT: '' }).PARLEY_HTTP_PORT,
    ).toBeUndefined();
  });
});
