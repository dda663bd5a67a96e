/**
 * The push-notification service's Prisma client: its models only, its schema only.
 * Generated into ../generated/push-notification by `npm run prisma:generate`.
 */
import type { ServicePrismaOptions } from '../lib/prisma-client.factory';
import { createServicePrisma } from '../lib/prisma-client.factory';
import { PrismaClient } from '../generated/push-notification/client';

export * from '../generated/push-notification/client';

export function createPushNotificationPrisma(
  connectionString: string,
  options?: ServicePrismaOptions,
): PrismaClient {
  return createServicePrisma(PrismaClient, 'push-notification', connectionString, options);
}
