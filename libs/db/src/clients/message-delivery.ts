/**
 * The message-delivery service's Prisma client: its models only, its schema only.
 * Generated into ../generated/message-delivery by `npm run prisma:generate`.
 */
import type { ServicePrismaOptions } from '../lib/prisma-client.factory';
import { createServicePrisma } from '../lib/prisma-client.factory';
import { PrismaClient } from '../generated/message-delivery/client';

export * from '../generated/message-delivery/client';

export function createMessageDeliveryPrisma(
  connectionString: string,
  options?: ServicePrismaOptions,
): PrismaClient {
  return createServicePrisma(PrismaClient, 'message-delivery', connectionString, options);
}
