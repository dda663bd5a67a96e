/**
 * Typed errors of the SDK. Every error has a stable `code` callers switch on; messages
 * never contain key material or plaintext.
 */
export type SdkErrorCode =
  | 'API_ERROR'
  | 'NETWORK_ERROR'
  | 'NOT_REGISTERED'
  | 'ALREADY_REGISTERED'
  | 'CLOSED'
  | 'INVALID_BUNDLE'
  | 'GROUP_INTEGRITY'
  | 'UNKNOWN_GROUP'
  | 'NOT_ADMIN'
  | 'SEND_FAILED'
  | 'STORE_KEY'
  | 'STORE_CORRUPT'
  | 'INVALID_ARGUMENT';

export abstract class ParleySdkError extends Error {
  abstract readonly code: SdkErrorCode;
  override get name(): string {
    return this.constructor.name;
  }
}

/** The gateway answered with an error body `{error:{code,message,details}}`. */
export class ApiError extends ParleySdkError {
  readonly code = 'API_ERROR';
  constructor(
    readonly status: number,
    /** The gateway's PARLEY code, e.g. MISMATCHED_DEVICES, EPOCH_CONFLICT, NOT_A_MEMBER. */
    readonly apiCode: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`${status} ${apiCode}: ${message}`);
  }
}

/** The gateway could not be reached (or answered something that is not the API). */
export class NetworkError extends ParleySdkError {
  readonly code = 'NETWORK_ERROR';
}

export class NotRegisteredError extends ParleySdkError {
  readonly code = 'NOT_REGISTERED';
  constructor() {
    super('this device has no identity yet: call register() first');
  }
}

export class AlreadyRegisteredError extends ParleySdkError {
  readonly code = 'ALREADY_REGISTERED';
  constructor() {
    super('the store already holds an identity for this device');
  }
}

export class ClosedError extends ParleySdkError {
  readonly code = 'CLOSED';
  constructor() {
    super('the client is closed');
  }
}

/** A prekey bundle whose signature fails, or whose identity key is not the expected one. */
export class InvalidBundleError extends ParleySdkError {
  readonly code = 'INVALID_BUNDLE';
}

/**
 * The server's view of a group disagrees with its verified, signed membership chain (a
 * chain that does not verify, or a member the chain does not name). Nothing was sent.
 */
export class GroupIntegrityError extends ParleySdkError {
  readonly code = 'GROUP_INTEGRITY';
}

export class UnknownGroupError extends ParleySdkError {
  readonly code = 'UNKNOWN_GROUP';
  constructor(readonly groupId: string) {
    super(`not a group this device is in: ${groupId}`);
  }
}

export class NotAdminError extends ParleySdkError {
  readonly code = 'NOT_ADMIN';
}

/** A send gave up after its retries (device-set or epoch conflicts that did not settle). */
export class SendFailedError extends ParleySdkError {
  readonly code = 'SEND_FAILED';
}

/** The store's key does not open it (wrong key, or the file was tampered with). */
export class StoreKeyError extends ParleySdkError {
  readonly code = 'STORE_KEY';
}

/** A store record is malformed. */
export class StoreCorruptError extends ParleySdkError {
  readonly code = 'STORE_CORRUPT';
}

export class InvalidArgumentError extends ParleySdkError {
  readonly code = 'INVALID_ARGUMENT';
}

export function isApiError(error: unknown, apiCode?: string): error is ApiError {
  return error instanceof ApiError && (apiCode === undefined || error.apiCode === apiCode);
}

/** Worth trying again later: the gateway was unreachable, overloaded or failing. */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (!(error instanceof ApiError)) return false;
  return error.status >= 500 || error.status === 429 || error.apiCode === 'UNAVAILABLE';
}
