/** The group-membership service's environment: the kit's variables plus its database. */
import { BaseServiceEnvSchema, envInt } from '@parley/server-kit';
import { z } from 'zod';

export const GroupMembershipEnvSchema = BaseServiceEnvSchema.extend({
  /** PostgreSQL URL; the client only touches the `group_membership` schema. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgresql:// URL' }),
  /** Connections in this instance's pool. */
  GROUPS_DB_POOL_SIZE: envInt(1, 200).default(10),
  /** Verified chain heads kept in memory, so a change need not replay its whole chain. */
  GROUPS_STATE_CACHE_SIZE: envInt(0, 1_000_000).default(1000),
});

export type GroupMembershipConfig = z.output<typeof GroupMembershipEnvSchema>;
