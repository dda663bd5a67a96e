/**
 * The errors that cross service boundaries. Each has a stable `code` and typed details;
 * `toJSON()` gives the plain object that travels over NATS (and to HTTP clients), and
 * `parleyErrorFromJSON` in error-wire.ts rebuilds the same class on the other side.
 * Messages are for humans and logs: never key material, payload content or secrets.
 */
import type { DeviceAddress } from '../primitives/ids';
import type { ErrorCode } from './error-codes';

export interface SerializedParleyError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export class ParleyError<D extends object = object> extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<D>,
  ) {
    super(message);
  }

  override get name(): string {
    return this.constructor.name;
  }

  toJSON(): SerializedParleyError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: { ...this.details } };
  }
}

export function isParleyError(value: unknown): value is ParleyError {
  return value instanceof ParleyError;
}

/** True when `value` is a ParleyError with the given code. */
export function hasErrorCode(value: unknown, code: ErrorCode): value is ParleyError {
  return value instanceof ParleyError && value.code === code;
}

export interface ValidationIssue {
  /** Dotted path into the payload, e.g. `envelopes.3.content` ('' for the root). */
  readonly path: string;
  readonly message: string;
}

export class ValidationFailedError extends ParleyError<{ issues: ValidationIssue[] }> {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[], message?: string) {
    const first = issues[0];
    super(
      'VALIDATION_FAILED',
      message ??
        (first ? `invalid input: ${first.path || '(root)'}: ${first.message}` : 'invalid input'),
      { issues: [...issues] },
    );
    this.issues = issues;
  }
}

export class NotFoundError extends ParleyError<{ resource: string }> {
  constructor(
    readonly resource: string,
    message = `${resource} not found`,
  ) {
    super('NOT_FOUND', message, { resource });
  }
}

export class ConflictError extends ParleyError<{ reason: string }> {
  constructor(
    readonly reason: string,
    message = `conflict: ${reason}`,
  ) {
    super('CONFLICT', message, { reason });
  }
}

export class ForbiddenError extends ParleyError {
  constructor(message = 'forbidden') {
    super('FORBIDDEN', message);
  }
}

export class UnauthenticatedError extends ParleyError {
  constructor(message = 'unauthenticated') {
    super('UNAUTHENTICATED', message);
  }
}

export class RateLimitedError extends ParleyError<{ retryAfterMs: number }> {
  constructor(
    readonly retryAfterMs: number,
    message = `rate limited, retry after ${retryAfterMs} ms`,
  ) {
    super('RATE_LIMITED', message, { retryAfterMs });
  }
}

export class PayloadTooLargeError extends ParleyError<{ limitBytes: number }> {
  constructor(
    readonly limitBytes: number,
    message = `payload larger than ${limitBytes} bytes`,
  ) {
    super('PAYLOAD_TOO_LARGE', message, { limitBytes });
  }
}

export const UNAVAILABLE_REASONS = [
  'timeout',
  'no-responders',
  'disconnected',
  'shutting-down',
  'dependency',
] as const;
export type UnavailableReason = (typeof UNAVAILABLE_REASONS)[number];

/** Nobody answered in time, nobody listens, or a dependency is down: retry later. */
export class UnavailableError extends ParleyError<{ reason: UnavailableReason }> {
  constructor(
    readonly reason: UnavailableReason,
    message = `service unavailable (${reason})`,
  ) {
    super('UNAVAILABLE', message, { reason });
  }
}

/** A bug or an unexpected failure. The message never carries the original error's text. */
export class InternalError extends ParleyError {
  constructor(message = 'internal error') {
    super('INTERNAL', message);
  }
}

export class InvalidSignatureError extends ParleyError<{ what: string }> {
  constructor(
    readonly what: string,
    message = `invalid signature on ${what}`,
  ) {
    super('INVALID_SIGNATURE', message, { what });
  }
}

/** Some recipient devices' keys changed since the sender fetched them: refetch, re-encrypt. */
export class StaleDevicesError extends ParleyError<{ stale: DeviceAddress[] }> {
  constructor(
    readonly stale: readonly DeviceAddress[],
    message = `${stale.length} recipient device(s) are stale`,
  ) {
    super('STALE_DEVICES', message, { stale: [...stale] });
  }
}

/**
 * The sender's device list does not match the directory: `missing` devices exist but got
 * no envelope, `extra` devices got one but do not exist (any more).
 */
export class MissingDevicesError extends ParleyError<{
  missing: DeviceAddress[];
  extra: DeviceAddress[];
}> {
  constructor(
    readonly missing: readonly DeviceAddress[],
    readonly extra: readonly DeviceAddress[] = [],
    message = `device list mismatch: ${missing.length} missing, ${extra.length} extra`,
  ) {
    super('MISSING_DEVICES', message, { missing: [...missing], extra: [...extra] });
  }
}

/**
 * A send's recipients are not exactly the current devices (docs/gateway-api.md): `missing`
 * devices exist but got no envelope, `stale` devices got one but are not current devices of
 * a current recipient (or group member). Nothing was stored; refresh, re-encrypt, resend.
 */
export class MismatchedDevicesError extends ParleyError<{
  missing: DeviceAddress[];
  stale: DeviceAddress[];
}> {
  constructor(
    readonly missing: readonly DeviceAddress[],
    readonly stale: readonly DeviceAddress[],
    message = `recipient devices mismatch: ${missing.length} missing, ${stale.length} stale`,
  ) {
    super('MISMATCHED_DEVICES', message, { missing: [...missing], stale: [...stale] });
  }
}

/** A membership change was based on an older epoch than the group's current one. */
export class EpochConflictError extends ParleyError<{ currentEpoch: number }> {
  constructor(
    readonly currentEpoch: number,
    message = `membership changed meanwhile (current epoch ${currentEpoch})`,
  ) {
    super('EPOCH_CONFLICT', message, { currentEpoch });
  }
}

export class NotAMemberError extends ParleyError<{ groupId: string }> {
  constructor(
    readonly groupId: string,
    message = `not a member of group ${groupId}`,
  ) {
    super('NOT_A_MEMBER', message, { groupId });
  }
}
