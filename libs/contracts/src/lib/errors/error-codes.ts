/**
 * Stable error codes: callers switch on these, never on messages. Adding a code is fine;
 * renaming or removing one breaks every caller across NATS and HTTP.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNAVAILABLE',
  'INTERNAL',
  // Domain codes.
  'INVALID_SIGNATURE',
  'STALE_DEVICES',
  'MISSING_DEVICES',
  'EPOCH_CONFLICT',
  'NOT_A_MEMBER',
  'MISMATCHED_DEVICES',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  FORBIDDEN: 403,
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  // A signature inside the submitted data (signed prekey, membership change) is wrong:
  // the request is bad. A bad authentication signature is UNAUTHENTICATED instead.
  INVALID_SIGNATURE: 400,
  // Signal's choices: 409 for a device list that misses or invents devices, 410 for
  // devices whose keys changed since the sender fetched them.
  STALE_DEVICES: 410,
  MISSING_DEVICES: 409,
  EPOCH_CONFLICT: 409,
  NOT_A_MEMBER: 403,
  // Signal's 409 for a send whose recipients are not exactly the current devices.
  MISMATCHED_DEVICES: 409,
};

/** The HTTP status the gateway answers with for an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
