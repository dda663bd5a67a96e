/**
 * ParleyErrors as plain objects, and back. The receiving side validates what arrives, so a
 * malformed or foreign error reply becomes an InternalError instead of a crash or a lie.
 */
import { z } from 'zod';
import {
  ID_MAX_LENGTH,
  MAX_DEVICES_PER_USER,
  MAX_ENVELOPES_PER_SEND,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_GROUP_MEMBERS,
} from '../limits';
import { DeviceAddressSchema } from '../primitives/ids';
import type { ErrorCode } from './error-codes';
import { ERROR_CODES } from './error-codes';
import type { SerializedParleyError, ValidationIssue } from './parley-error';
import {
  ConflictError,
  EpochConflictError,
  ForbiddenError,
  InternalError,
  InvalidSignatureError,
  MismatchedDevicesError,
  MissingDevicesError,
  NotAMemberError,
  NotFoundError,
  ParleyError,
  PayloadTooLargeError,
  RateLimitedError,
  StaleDevicesError,
  UNAVAILABLE_REASONS,
  UnauthenticatedError,
  UnavailableError,
  ValidationFailedError,
} from './parley-error';

/** Issues kept in a VALIDATION_FAILED error: enough to fix a request, bounded on the wire. */
export const MAX_VALIDATION_ISSUES = 20;

const ShortText = z.string().max(256);

export const SerializedParleyErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string().max(MAX_ERROR_MESSAGE_LENGTH),
  details: z.record(z.string(), z.unknown()).optional(),
});

const Devices = z.array(DeviceAddressSchema).max(MAX_ENVELOPES_PER_SEND);
/** Missing devices of a group send: every device of every member at most. */
const GroupDevices = z.array(DeviceAddressSchema).max(MAX_GROUP_MEMBERS * MAX_DEVICES_PER_USER);

type Rebuild = (message: string, details: unknown) => ParleyError | undefined;

function withDetails<S extends z.ZodType>(
  schema: S,
  build: (d: z.output<S>, message: string) => ParleyError,
): Rebuild {
  return (message, details) => {
    const parsed = schema.safeParse(details);
    return parsed.success ? build(parsed.data, message) : undefined;
  };
}

const REBUILD: Readonly<Record<ErrorCode, Rebuild>> = {
  VALIDATION_FAILED: withDetails(
    z.object({
      issues: z.array(z.object({ path: ShortText, message: ShortText })).max(MAX_VALIDATION_ISSUES),
    }),
    (d, m) => new ValidationFailedError(d.issues, m),
  ),
  NOT_FOUND: withDetails(
    z.object({ resource: ShortText }),
    (d, m) => new NotFoundError(d.resource, m),
  ),
  CONFLICT: withDetails(z.object({ reason: ShortText }), (d, m) => new ConflictError(d.reason, m)),
  FORBIDDEN: (m) => new ForbiddenError(m),
  UNAUTHENTICATED: (m) => new UnauthenticatedError(m),
  RATE_LIMITED: withDetails(
    z.object({ retryAfterMs: z.number().int().nonnegative() }),
    (d, m) => new RateLimitedError(d.retryAfterMs, m),
  ),
  PAYLOAD_TOO_LARGE: withDetails(
    z.object({ limitBytes: z.number().int().nonnegative() }),
    (d, m) => new PayloadTooLargeError(d.limitBytes, m),
  ),
  UNAVAILABLE: withDetails(
    z.object({ reason: z.enum(UNAVAILABLE_REASONS) }),
    (d, m) => new UnavailableError(d.reason, m),
  ),
  INTERNAL: (m) => new InternalError(m),
  INVALID_SIGNATURE: withDetails(
    z.object({ what: ShortText }),
    (d, m) => new InvalidSignatureError(d.what, m),
  ),
  STALE_DEVICES: withDetails(
    z.object({ stale: Devices }),
    (d, m) => new StaleDevicesError(d.stale, m),
  ),
  MISSING_DEVICES: withDetails(
    z.object({ missing: Devices, extra: Devices }),
    (d, m) => new MissingDevicesError(d.missing, d.extra, m),
  ),
  EPOCH_CONFLICT: withDetails(
    z.object({ currentEpoch: z.number().int().nonnegative() }),
    (d, m) => new EpochConflictError(d.currentEpoch, m),
  ),
  NOT_A_MEMBER: withDetails(
    z.object({ groupId: z.string().max(ID_MAX_LENGTH) }),
    (d, m) => new NotAMemberError(d.groupId, m),
  ),
  MISMATCHED_DEVICES: withDetails(
    z.object({ missing: GroupDevices, stale: Devices }),
    (d, m) => new MismatchedDevicesError(d.missing, d.stale, m),
  ),
};

/** The plain object for `error`: itself if a ParleyError, an InternalError otherwise. */
export function serializeError(error: unknown): SerializedParleyError {
  return (error instanceof ParleyError ? error : new InternalError()).toJSON();
}

/**
 * Rebuilds the typed error from its plain form. Never throws: anything that is not a
 * well-formed Parley error becomes an InternalError saying so.
 */
export function parleyErrorFromJSON(value: unknown): ParleyError {
  const parsed = SerializedParleyErrorSchema.safeParse(value);
  if (!parsed.success) return new InternalError('malformed error from remote service');
  const { code, message, details } = parsed.data;
  return REBUILD[code](message, details) ?? new InternalError(`malformed ${code} error details`);
}

/** True when `value` looks like a serialized Parley error (worth passing to fromJSON). */
export function isSerializedParleyError(value: unknown): value is SerializedParleyError {
  return SerializedParleyErrorSchema.safeParse(value).success;
}

/** A zod failure as VALIDATION_FAILED, with paths and messages but never input values. */
export function validationErrorFromZod(error: z.ZodError, what?: string): ValidationFailedError {
  const issues: ValidationIssue[] = error.issues.slice(0, MAX_VALIDATION_ISSUES).map((i) => ({
    path: i.path.map(String).join('.').slice(0, 256),
    message: i.message.slice(0, 256),
  }));
  const first = issues[0];
  const message =
    what && first ? `invalid ${what}: ${first.path || '(root)'}: ${first.message}` : undefined;
  return new ValidationFailedError(issues, message);
}
