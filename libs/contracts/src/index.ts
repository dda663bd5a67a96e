// Public surface of @parley/contracts: every NATS subject, request, reply and event of
// Parley, their runtime validation, and the typed errors that cross NATS.
export * from './lib/limits';

export {
  base64Bytes,
  fixedBytes,
  base64Length,
  isCanonicalBase64,
  bytesToBase64,
  base64ToBytes,
} from './lib/primitives/base64-bytes';
export type { Base64BytesBounds } from './lib/primitives/base64-bytes';
export {
  ID_PATTERN,
  UserIdSchema,
  GroupIdSchema,
  GatewayIdSchema,
  MessageIdSchema,
  ClientMessageIdSchema,
  DeviceIdSchema,
  PreKeyIdSchema,
  DeviceAddressSchema,
  TimestampMsSchema,
} from './lib/primitives/ids';
export type { DeviceAddress, UserId, GroupId, DeviceId } from './lib/primitives/ids';
export {
  IdentityKeySchema,
  PreKeyPublicKeySchema,
  SignatureSchema,
  SignedPreKeySchema,
  OneTimePreKeySchema,
} from './lib/primitives/keys';
export type { SignedPreKey, OneTimePreKey } from './lib/primitives/keys';

export { defineRpc, defineEvent } from './lib/contract';
export type {
  RpcContract,
  EventContract,
  RequestOf,
  RequestWireOf,
  ReplyOf,
  ReplyWireOf,
  EventOf,
  EventWireOf,
} from './lib/contract';

export {
  SUBJECT_ROOT,
  SUBJECTS,
  createSubjects,
  namespaced,
  namespacedName,
  isValidNamespace,
  SERVICES,
  queueGroupOf,
  STREAMS,
  streamSubjects,
} from './lib/subjects';
export type { ParleySubjects, ServiceName, StreamKey } from './lib/subjects';

export { ERROR_CODES, httpStatusOf, isErrorCode } from './lib/errors/error-codes';
export type { ErrorCode } from './lib/errors/error-codes';
export {
  ParleyError,
  isParleyError,
  hasErrorCode,
  ValidationFailedError,
  NotFoundError,
  ConflictError,
  ForbiddenError,
  UnauthenticatedError,
  RateLimitedError,
  PayloadTooLargeError,
  UnavailableError,
  UNAVAILABLE_REASONS,
  InternalError,
  InvalidSignatureError,
  StaleDevicesError,
  MissingDevicesError,
  MismatchedDevicesError,
  EpochConflictError,
  NotAMemberError,
} from './lib/errors/parley-error';
export type {
  SerializedParleyError,
  ValidationIssue,
  UnavailableReason,
} from './lib/errors/parley-error';
export {
  SerializedParleyErrorSchema,
  MAX_VALIDATION_ISSUES,
  serializeError,
  parleyErrorFromJSON,
  isSerializedParleyError,
  validationErrorFromZod,
} from './lib/errors/error-wire';

export * from './lib/services/prekeys.contract';
export * from './lib/services/groups.contract';
export * from './lib/services/delivery.contract';
export * from './lib/services/push.contract';
export * from './lib/services/presence.contract';
export * from './lib/services/live-batch.wire';
export { Rpc, Events } from './lib/services/catalog';

export {
  AUTH_NONCE_BYTES,
  loginMessage,
  registrationMessage,
} from './lib/auth/device-auth-messages';
export type { RegistrationPayload } from './lib/auth/device-auth-messages';

// The gateway's public API (HTTP bodies and WebSocket frames), shared with the client SDK.
export * from './lib/public/gateway-http';
export * from './lib/public/live-frames';
