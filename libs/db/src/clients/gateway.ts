/**
 * The gateway service's Prisma client: its models only, its schema only.
 * Generated into ../generated/gateway by `npm run prisma:generate`.
 */
import type { ServicePrismaOptions } from '../lib/prisma-client.factory';
import { createServicePrisma } from '../lib/prisma-client.factory';
import { PrismaClient } from '../generated/gateway/client';

export * from '../generated/gateway/client';

export function createGatewayPrisma(
  connectionString: string,
  options?: ServicePrismaOptions,
): PrismaClient {
  return createServicePrisma(PrismaClient, 'gateway', connectionString, options);
}
