/**
 * The push-notification environment: the kit's variables, the database, coalescing and
 * retry policy, and each provider's credentials. A provider is enabled when all of its
 * credentials are set; half a provider's credentials is a configuration error. Keys are
 * checked here (they must parse) so a bad key stops the service at start, not at the
 * first push; messages name the variable, never its value.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { BaseServiceEnvSchema, envInt } from '@parley/server-kit';
import { z } from 'zod';
import { DEFAULT_WEB_PUSH_HOSTS, HOST_PATTERN } from '../providers/web-push-hosts';

const DAY_MS = 24 * 60 * 60 * 1000;

const httpUrl = z
  .url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' })
  .transform((u) => u.replace(/\/+$/, ''));

/** PEM from the environment: real newlines, or `\n` escapes as one-line env files carry them. */
const pem = (what: string, check: (pem: string) => boolean) =>
  z
    .string()
    .transform((v) => v.replace(/\\n/g, '\n'))
    .refine(check, { message: `expected ${what}` });

function isPrivateKey(type: 'ec' | 'rsa', curve?: string) {
  return (value: string): boolean => {
    try {
      const key = createPrivateKey(value);
      return (
        key.asymmetricKeyType === type &&
        (curve === undefined || key.asymmetricKeyDetails?.namedCurve === curve)
      );
    } catch {
      return false;
    }
  };
}

/** A VAPID key: base64url of a raw P-256 point (public, 65 bytes) or scalar (private, 32). */
const base64UrlKey = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'expected base64url' })
    .refine((v) => Buffer.from(v, 'base64url').length === bytes, {
      message: `expected base64url of ${bytes} bytes`,
    });

export const PushNotificationEnvSchema = BaseServiceEnvSchema.extend({
  /** PostgreSQL URL; the client only touches the `push_notification` schema. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgresql:// URL' }),
  PUSH_DB_POOL_SIZE: envInt(1, 200).default(10),
  /** At most one wake-up per device and provider in this window; wake-ups inside it are dropped. */
  PUSH_COALESCE_WINDOW_MS: envInt(0, DAY_MS).default(10_000),
  /** How long a provider may take to answer one push. */
  PUSH_SEND_TIMEOUT_MS: envInt(100, 120_000).default(10_000),
  /** Pause before an event whose push failed transiently is delivered again. */
  PUSH_RETRY_DELAY_MS: envInt(0, 3_600_000).default(5_000),
  /** Events (so pushes) handled at once by this instance; a slow push service then holds up no others. */
  PUSH_CONCURRENCY: envInt(1, 1000).default(16),
  /** Deliveries of one event before JetStream gives up on it. */
  PUSH_MAX_DELIVER: envInt(1, 1000).default(10),
  /** Rejected pushes in a row after which a registration is dropped (it can never work). */
  PUSH_MAX_REJECTED: envInt(1, 1000).default(5),
  /** How long a wake-up stays useful at the provider (Web Push TTL, APNs/FCM expiry). */
  PUSH_TTL_SECONDS: envInt(0, 28 * 24 * 3600).default(24 * 3600),

  /** Web Push (RFC 8030 + VAPID RFC 8292): enabled with both keys and the subject. */
  WEB_PUSH_VAPID_PUBLIC_KEY: base64UrlKey(65).optional(),
  WEB_PUSH_VAPID_PRIVATE_KEY: base64UrlKey(32).optional(),
  /** The operator's contact for push services: a mailto: or https: URL. */
  WEB_PUSH_VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, { message: 'expected a mailto: or https:// URL' })
    .optional(),
  /**
   * Hosts Web Push endpoints may point at (comma-separated; `*.domain` for subdomains, `*`
   * for any): the server POSTs to client-given URLs, so only known push services by default.
   */
  WEB_PUSH_ALLOWED_HOSTS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine((hosts) => hosts.length > 0 && hosts.every((h) => HOST_PATTERN.test(h)), {
      message: 'expected comma-separated host names, *.domain patterns or *',
    })
    .default([...DEFAULT_WEB_PUSH_HOSTS]),
  /** Extra CA certificates (PEM) trusted for push services (private UnifiedPush servers, tests). */
  WEB_PUSH_CA_CERTS: pem('PEM certificates', (v) => {
    try {
      return new X509Certificate(v).publicKey.type === 'public';
    } catch {
      return false;
    }
  }).optional(),

  /** APNs token-based auth (a .p8 key): enabled with key id, team id and key. */
  APNS_KEY_ID: z
    .string()
    .regex(/^[A-Z0-9]{10}$/, { message: 'expected the 10-character key id' })
    .optional(),
  APNS_TEAM_ID: z
    .string()
    .regex(/^[A-Z0-9]{10}$/, { message: 'expected the 10-character team id' })
    .optional(),
  APNS_PRIVATE_KEY: pem(
    'a PEM P-256 private key (the .p8 file)',
    isPrivateKey('ec', 'prime256v1'),
  ).optional(),
  APNS_PRODUCTION_URL: httpUrl.default('https://api.push.apple.com'),
  APNS_SANDBOX_URL: httpUrl.default('https://api.sandbox.push.apple.com'),

  /** FCM HTTP v1 with a service account: enabled with project id, client email and key. */
  FCM_PROJECT_ID: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, { message: 'expected a Firebase project id' })
    .optional(),
  FCM_CLIENT_EMAIL: z.email({ message: 'expected the service account e-mail' }).optional(),
  FCM_PRIVATE_KEY: pem('a PEM RSA private key', isPrivateKey('rsa')).optional(),
  FCM_BASE_URL: httpUrl.default('https://fcm.googleapis.com'),
  FCM_TOKEN_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' })
    .default('https://oauth2.googleapis.com/token'),
}).superRefine(
  (env, ctx) => {
    const groups: Record<string, (keyof typeof env)[]> = {
      'Web Push': [
        'WEB_PUSH_VAPID_PUBLIC_KEY',
        'WEB_PUSH_VAPID_PRIVATE_KEY',
        'WEB_PUSH_VAPID_SUBJECT',
      ],
      APNs: ['APNS_KEY_ID', 'APNS_TEAM_ID', 'APNS_PRIVATE_KEY'],
      FCM: ['FCM_PROJECT_ID', 'FCM_CLIENT_EMAIL', 'FCM_PRIVATE_KEY'],
    };
    for (const [provider, names] of Object.entries(groups)) {
      const set = names.filter((n) => env[n] !== undefined);
      if (set.length === 0 || set.length === names.length) continue;
      for (const name of names.filter((n) => env[n] === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `required when ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set (${provider})`,
        });
      }
    }
    // Also when other variables are bad: one start-up error should name every problem. The
    // check reads only which variables are present, so a partly invalid object is fine.
  },
  { when: () => true },
);

export type PushNotificationConfig = z.output<typeof PushNotificationEnvSchema>;
