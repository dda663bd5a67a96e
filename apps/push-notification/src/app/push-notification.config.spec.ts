import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadConfig } from '@parley/server-kit';
import { PushNotificationEnvSchema } from './push-notification.config';

const ecPem = () =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(PushNotificationEnvSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('push-notification configuration', () => {
  it('needs only DATABASE_URL; no provider is enabled and policies have defaults', () => {
    const config = loadConfig(PushNotificationEnvSchema, {
      DATABASE_URL: 'postgresql://db/parley',
    });
    expect(config).toMatchObject({
      PUSH_COALESCE_WINDOW_MS: 10_000,
      PUSH_MAX_DELIVER: 10,
      APNS_PRODUCTION_URL: 'https://api.push.apple.com',
      APNS_SANDBOX_URL: 'https://api.sandbox.push.apple.com',
      FCM_BASE_URL: 'https://fcm.googleapis.com',
      FCM_TOKEN_URL: 'https://oauth2.googleapis.com/token',
    });
    expect(config.WEB_PUSH_ALLOWED_HOSTS).toEqual([
      'fcm.googleapis.com',
      'updates.push.services.mozilla.com',
      'web.push.apple.com',
      '*.notify.windows.com',
    ]);
    expect(config.WEB_PUSH_VAPID_PUBLIC_KEY).toBeUndefined();
    expect(config.APNS_KEY_ID).toBeUndefined();
  });

  it('accepts a .p8 key with \\n escapes, as one-line env files carry it', () => {
    const pem = ecPem();
    const config = loadConfig(PushNotificationEnvSchema, {
      DATABASE_URL: 'postgresql://db/parley',
      APNS_KEY_ID: 'ABCDE12345',
      APNS_TEAM_ID: 'TEAM123456',
      APNS_PRIVATE_KEY: pem.replace(/\n/g, '\\n'),
    });
    expect(config.APNS_PRIVATE_KEY).toBe(pem);
  });

  it('names the missing variables of a half-configured provider', () => {
    const error = configError({
      DATABASE_URL: 'postgresql://db/parley',
      FCM_PROJECT_ID: 'parley-prod',
    });
    expect(error.variables.sort()).toEqual(['FCM_CLIENT_EMAIL', 'FCM_PRIVATE_KEY']);
    expect(error.message).toContain('required when FCM_PROJECT_ID is set (FCM)');
  });

  it('names every bad variable and never prints a value', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const error = configError({
      DATABASE_URL: 'mysql://user:hunter2@db/parley',
      PUSH_COALESCE_WINDOW_MS: '-5',
      WEB_PUSH_VAPID_PUBLIC_KEY: 'hunter2hunter2',
      WEB_PUSH_VAPID_PRIVATE_KEY: Buffer.alloc(32, 1).toString('base64url'),
      WEB_PUSH_VAPID_SUBJECT: 'ops@parley.test',
      APNS_KEY_ID: 'ABCDE12345',
      APNS_TEAM_ID: 'TEAM123456',
      // An RSA key where APNs needs P-256.
      APNS_PRIVATE_KEY: rsa,
      FCM_BASE_URL: 'ftp://fcm.example',
      WEB_PUSH_ALLOWED_HOSTS: 'push.example.test, http://x/',
    });
    expect(error.variables.sort()).toEqual([
      'APNS_PRIVATE_KEY',
      'DATABASE_URL',
      'FCM_BASE_URL',
      'PUSH_COALESCE_WINDOW_MS',
      'WEB_PUSH_ALLOWED_HOSTS',
      'WEB_PUSH_VAPID_PUBLIC_KEY',
      'WEB_PUSH_VAPID_SUBJECT',
    ]);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('PRIVATE KEY-----');
  });
});
