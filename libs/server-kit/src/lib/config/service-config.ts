/**
 * Typed configuration from the environment, validated once at start. A bad or missing
 * variable stops the service with one message naming every such variable; values are
 * never printed (they may be secrets, e.g. a database URL with its password).
 */
import { hostname } from 'node:os';
import { isValidNamespace } from '@parley/contracts';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NATS_URL = /^(nats|tls|ws|wss):\/\/[^\s,]+$/;

/** A whole number from an environment string. */
export function envInt(min: number, max: number) {
  return z.coerce
    .number({ message: `expected a whole number from ${min} to ${max}` })
    .int({ message: `expected a whole number from ${min} to ${max}` })
    .min(min, { message: `expected a whole number from ${min} to ${max}` })
    .max(max, { message: `expected a whole number from ${min} to ${max}` });
}

function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
}

/** Variables every service reads. Services extend it: `BaseServiceEnvSchema.extend({...})`. */
export const BaseServiceEnvSchema = z.object({
  /** Comma-separated NATS server URLs. */
  PARLEY_NATS_URL: z
    .string()
    .default('nats://127.0.0.1:4222')
    .refine((v) => v.split(',').every((u) => NATS_URL.test(u.trim())), {
      message: 'expected comma-separated nats:// (or tls://, ws://, wss://) URLs',
    }),
  /** Namespace in front of every subject and stream (tests, shared NATS clusters). */
  PARLEY_NATS_PREFIX: z
    .string()
    .refine(isValidNamespace, {
      message: 'expected dot-separated tokens of A-Z a-z 0-9 _ - (at most 64 characters)',
    })
    .optional(),
  PARLEY_LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  /**
   * Port of the HTTP listener (/health/live, /health/ready, /metrics; the gateway's API);
   * a NATS-only service has no listener when unset (0: any free port).
   */
  PARLEY_HTTP_PORT: envInt(0, 65535).optional(),
  /** This instance's id in logs and presence (a NATS subject token). */
  PARLEY_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'expected 1-64 characters of A-Z a-z 0-9 _ -' })
    .default(defaultInstanceId),
  /**
   * Proxies in front of the HTTP listener whose X-Forwarded-For is believed (client
   * addresses for per-address rate limits): a number of hops (`1` behind one reverse
   * proxy), or comma-separated addresses/CIDRs. Unset: none, the peer address counts.
   */
  PARLEY_TRUST_PROXY: z
    .string()
    .regex(/^(\d{1,2}|[0-9A-Fa-f.:/]+(,\s*[0-9A-Fa-f.:/]+)*)$/, {
      message: 'expected a hop count or comma-separated addresses/CIDRs',
    })
    .transform((v) => (/^\d+$/.test(v) ? Number(v) : v))
    .optional(),
  /** How long shutdown waits for in-flight requests and event handlers. */
  PARLEY_SHUTDOWN_TIMEOUT_MS: envInt(0, 300_000).default(10_000),
  /** Default timeout of outgoing requests. */
  PARLEY_RPC_TIMEOUT_MS: envInt(1, 300_000).default(5_000),
});

export type BaseServiceConfig = z.output<typeof BaseServiceEnvSchema>;

export interface ConfigProblem {
  readonly variable: string;
  readonly problem: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration from the environment:\n${problems
        .map((p) => `  - ${p.variable}: ${p.problem}`)
        .join('\n')}`,
    );
  }

  override get name(): string {
    return 'ConfigError';
  }

  get variables(): string[] {
    return this.problems.map((p) => p.variable);
  }
}

/**
 * Parses `env` (default `process.env`) with `schema`. Empty values count as unset, as
 * `FOO=` in a compose file means. Throws ConfigError listing every bad variable.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const missing = issue.code === 'invalid_type' && present[variable] === undefined;
    return { variable, problem: missing ? 'required but not set' : issue.message };
  });
  throw new ConfigError(problems);
}
