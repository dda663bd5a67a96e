/** The prekey directory's environment: the kit's variables plus its database and policies. */
import { PREKEY_LOW_THRESHOLD } from '@parley/contracts';
import { BaseServiceEnvSchema, envInt } from '@parley/server-kit';
import { z } from 'zod';

const DAY_MS = 24 * 60 * 60 * 1000;

export const PrekeyDirectoryEnvSchema = BaseServiceEnvSchema.extend({
  /** PostgreSQL URL; the client only touches the `prekey_directory` schema. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgresql:// URL' }),
  /** Connections in this instance's pool. */
  PREKEY_DB_POOL_SIZE: envInt(1, 200).default(10),
  /** Under this many one-time prekeys left, the directory emits `prekeys.low` (once per crossing). */
  PREKEY_LOW_THRESHOLD: envInt(0, 1000).default(PREKEY_LOW_THRESHOLD),
  /**
   * How long a replaced signed prekey stays stored after its successor arrived. Only the
   * newest is ever served; the grace period is for audit and for the owner, which must keep
   * the old private key at least this long (initiators may hold a bundle fetched earlier).
   */
  PREKEY_SIGNED_GRACE_MS: envInt(0, 365 * DAY_MS).default(30 * DAY_MS),
});

export type PrekeyDirectoryConfig = z.output<typeof PrekeyDirectoryEnvSchema>;
