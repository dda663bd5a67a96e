/**
 * Turns anything a message handler throws into the serialized ParleyError reply. Unknown
 * errors go back as a bare INTERNAL (their text stays in our logs, never in the reply);
 * the log line names the subject and code, never the payload.
 */
import type { ArgumentsHost, RpcExceptionFilter } from '@nestjs/common';
import { Catch } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import type { SerializedParleyError } from '@parley/contracts';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import { throwError } from 'rxjs';
import { toParleyError } from './to-parley-error';

@Catch()
export class ParleyRpcExceptionFilter implements RpcExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<SerializedParleyError> {
    const error = toParleyError(exception);
    const subject = subjectOf(host);
    if (error.code === 'INTERNAL') {
      this.logger.error(
        { subject, code: error.code, err: describe(exception) },
        'request failed with an unexpected error',
      );
    } else {
      this.logger.debug({ subject, code: error.code }, 'request refused');
    }
    const body = error.toJSON();
    return throwError(() => body);
  }
}

function subjectOf(host: ArgumentsHost): string | undefined {
  if (host.getType() !== 'rpc') return undefined;
  const ctx = host.switchToRpc().getContext<NatsContext | undefined>();
  return typeof ctx?.getSubject === 'function' ? ctx.getSubject() : undefined;
}

/** Type, message and stack of an unexpected error; no other properties (they may hold data). */
function describe(exception: unknown): { type: string; message?: string; stack?: string } {
  if (exception instanceof Error) {
    return {
      type: exception.name,
      message: exception.message,
      ...(exception.stack ? { stack: exception.stack } : {}),
    };
  }
  return { type: typeof exception };
}
