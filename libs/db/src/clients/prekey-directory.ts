/**
 * The prekey-directory service's Prisma client: its models only, its schema only.
 * Generated into ../generated/prekey-directory by `npm run prisma:generate`.
 */
import type { ServicePrismaOptions } from '../lib/prisma-client.factory';
import { createServicePrisma } from '../lib/prisma-client.factory';
import { PrismaClient } from '../generated/prekey-directory/client';

export * from '../generated/prekey-directory/client';

export function createPrekeyDirectoryPrisma(
  connectionString: string,
  options?: ServicePrismaOptions,
): PrismaClient {
  return createServicePrisma(PrismaClient, 'prekey-directory', connectionString, options);
}
