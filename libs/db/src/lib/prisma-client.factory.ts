/**
 * One way to build a service's Prisma client: the engine-free client over `pg`, bound to the
 * service's own PostgreSQL schema (`@parley/db/<service>` wraps this per service).
 */
import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import type { ServiceName } from './services';
import { serviceSchema } from './services';

export interface ServicePrismaOptions {
  /** Pool size (pg's default is 10). */
  readonly maxConnections?: number;
  /** Called on errors of idle pooled connections (e.g. the server restarted). */
  readonly onPoolError?: (error: Error) => void;
  /**
   * Prepare every statement under a name taken from its text, so each connection parses it
   * once and PostgreSQL can keep a generic plan (after five runs) instead of planning every
   * execution. Only for a service whose statements are a small fixed set of texts (raw SQL,
   * no ORM queries with variable IN lists): each name lives as long as its connection.
   */
  readonly namedStatements?: boolean;
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
      ...(options.namedStatements
        ? { statementNameGenerator: (query: { sql: string }) => statementName(query.sql) }
        : {}),
    },
  );
  return new Client({ adapter });
}

const names = new Map<string, string>();

/** A prepared-statement name for this SQL text (the same text, the same name). */
export function statementName(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `p_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  return name;
}
