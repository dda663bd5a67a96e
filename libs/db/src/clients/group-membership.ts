/**
 * The group-membership service's Prisma client: its models only, its schema only.
 * Generated into ../generated/group-membership by `npm run prisma:generate`.
 */
import type { ServicePrismaOptions } from '../lib/prisma-client.factory';
import { createServicePrisma } from '../lib/prisma-client.factory';
import { PrismaClient } from '../generated/group-membership/client';

export * from '../generated/group-membership/client';

export function createGroupMembershipPrisma(
  connectionString: string,
  options?: ServicePrismaOptions,
): PrismaClient {
  return createServicePrisma(PrismaClient, 'group-membership', connectionString, options);
}
