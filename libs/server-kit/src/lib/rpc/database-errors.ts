/**
 * A database that cannot be reached (down, restarting, pool exhausted) is a transient
 * condition for the caller: RpcHandler turns it into UNAVAILABLE (`dependency`), retry
 * later, instead of INTERNAL. Anything else from the database stays INTERNAL (a bug),
 * logged by the kit's filter.
 */

/** Prisma's codes for "could not reach / keep a connection / get one in time". */
const UNREACHABLE_CODES = new Set([
  'P1001', // can't reach the server
  'P1002', // server timed out
  'P1003', // database does not exist
  'P1008', // operation timed out
  'P1017', // server closed the connection
  'P2024', // timed out fetching a connection from the pool
  'P2028', // transaction could not start in time (maxWait)
]);

/** Driver adapter error kinds (@prisma/adapter-pg) that mean the same. */
const UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'AuthenticationFailed',
  'DatabaseAccessDenied',
  'TlsConnectionError',
]);

export function isDatabaseUnreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
  };
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  const kind = meta?.driverAdapterError?.cause?.kind;
  return typeof kind === 'string' && UNREACHABLE_KINDS.has(kind);
}
