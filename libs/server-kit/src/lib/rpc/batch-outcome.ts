/**
 * One item of a batch RPC, answered as its own RPC would have been: `{ok: value}`, or
 * `{err}` with the serialized ParleyError (an unreachable database is UNAVAILABLE, anything
 * unexpected a bare INTERNAL whose details stay in the log, as ParleyRpcExceptionFilter does
 * for a whole request). One failing item never fails the others.
 */
import type { SerializedParleyError } from '@parley/contracts';
import { UnavailableError } from '@parley/contracts';
import type { Logger } from 'pino';
import { isDatabaseUnreachable } from './database-errors';
import { toParleyError } from './to-parley-error';

export type BatchOutcome<T> = { ok: T } | { err: SerializedParleyError };

export async function batchOutcome<T>(
  run: () => Promise<T>,
  logger: Logger,
  subject: string,
): Promise<BatchOutcome<T>> {
  try {
    return { ok: await run() };
  } catch (exception) {
    const error = isDatabaseUnreachable(exception)
      ? new UnavailableError('dependency', 'database unavailable')
      : toParleyError(exception);
    if (error.code === 'INTERNAL') {
      const type = exception instanceof Error ? exception.name : typeof exception;
      const stack = exception instanceof Error ? exception.stack : undefined;
      logger.error(
        { subject, code: error.code, err: { type, stack } },
        'batch item failed unexpectedly',
      );
    } else {
      logger.debug({ subject, code: error.code }, 'batch item refused');
    }
    return { err: error.toJSON() };
  }
}
