/**
 * One way to build a service's Prisma client: the engine-free client over `pg`, bound to the
 * service's own PostgreSQL schema (`@parley/db/<service>` wraps this per service).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import type { ServiceName } from './services';
import { serviceSchema } from './services';

export interface ServicePrismaOptions {
  /** Pool size (pg's default is 10). */
  readonly maxConnections?: number;
  /** Called on errors of idle pooled connections (e.g. the server restarted). */
  readonly onPoolError?: (error: Error) => void;
}

export type PrismaClientClass<TClient> = new (options: { adapter: PrismaPg }) => TClient;

export function createServicePrisma<TClient>(
  Client: PrismaClientClass<TClient>,
  service: ServiceName,
  connectionString: string,
  options: ServicePrismaOptions = {},
): TClient {
  const adapter = new PrismaPg(
    { connectionString, ...(options.maxConnections ? { max: options.maxConnections } : {}) },
    {
      schema: serviceSchema(service),
      onPoolError: options.onPoolError ?? (() => undefined),
    },
  );
  return new Client({ adapter });
}
