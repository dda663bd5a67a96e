/**
 * One error shape for every HTTP answer: `{ error: { code, message, details? } }` with the status of
 * its code (`httpStatusOf`), whether it came from a service over NATS, from a guard, from
 * Nest (unknown route) or from Fastify before Nest saw the request (bad JSON, too large).
 */
import { HttpException } from '@nestjs/common';
import type { ErrorCode, SerializedParleyError } from '@parley/contracts';
import {
  httpStatusOf,
  InternalError,
  isParleyError,
  PayloadTooLargeError,
  RateLimitedError,
  ValidationFailedError,
} from '@parley/contracts';
import { ThrottlerException } from '@nestjs/throttler';

export interface HttpError {
  readonly status: number;
  /** `{ error: {...} }` (ApiErrorBodySchema): the public API's one error body. */
  readonly body: { readonly error: SerializedParleyError };
}

const CODE_OF_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'VALIDATION_FAILED',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** Fastify's own errors (body parsing, limits) carry a status and an FST_ code. */
interface FastifyLikeError {
  readonly statusCode: number;
  readonly code?: string;
  readonly message: string;
}

function isFastifyError(e: unknown): e is FastifyLikeError {
  return (
    e instanceof Error &&
    typeof (e as Partial<FastifyLikeError>).statusCode === 'number' &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}

export function toHttpError(
  exception: unknown,
  bodyLimit: number,
  retryAfterMs: number,
): HttpError {
  const { status, body } = classify(exception, bodyLimit, retryAfterMs);
  return { status, body: { error: body } };
}

function classify(
  exception: unknown,
  bodyLimit: number,
  retryAfterMs: number,
): { status: number; body: SerializedParleyError } {
  if (isParleyError(exception)) {
    return { status: httpStatusOf(exception.code), body: exception.toJSON() };
  }
  if (exception instanceof ThrottlerException) {
    return { status: 429, body: new RateLimitedError(retryAfterMs).toJSON() };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // Nest re-throws Fastify's body-limit error as an HttpException(413).
    if (status === 413) return { status, body: new PayloadTooLargeError(bodyLimit).toJSON() };
    const code = CODE_OF_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED');
    return { status, body: { code, message: exception.message } };
  }
  if (isFastifyError(exception)) {
    const status = exception.statusCode;
    if (status === 413) return { status, body: new PayloadTooLargeError(bodyLimit).toJSON() };
    if (exception.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return {
        status: 415,
        body: {
          code: 'VALIDATION_FAILED',
          message: 'unsupported content type: send application/json',
        },
      };
    }
    if (status >= 400 && status < 500) {
      // Malformed JSON and empty bodies: the parser's message names the position only.
      const reason = exception.message.slice(0, 200);
      const error = new ValidationFailedError(
        [{ path: '', message: reason }],
        `malformed request body: ${reason}`,
      );
      return { status: 400, body: error.toJSON() };
    }
  }
  return { status: 500, body: new InternalError().toJSON() };
}
