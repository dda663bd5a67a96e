// Public surface of @parley/client-sdk (browser and Node). The Node-only pieces (the
// encrypted FileStore and the `ws` WebSocket adapter) are in '@parley/client-sdk/node'.
export { ParleyClient } from './lib/client';
export type { ParleyClientOptions } from './lib/client';
export type { ParleyEvents, IncomingMessage, UndecryptableMessage } from './lib/events';
export type { GroupInfo, GroupOptions } from './lib/groups';
export type { UndecryptableReason } from './lib/receive-errors';
export type { DeviceAddress } from './lib/addresses';

export type {
  ParleyStore,
  InboxRecord,
  IdentityRecord,
  PreKeysRecord,
  StoredKeyPair,
  StoredSignedPreKey,
  GroupRecord,
  GroupMode,
} from './lib/store/store';
export { MemoryStore } from './lib/store/memory-store';
export { RecordStore, PROCESSED_IDS_KEPT } from './lib/store/record-store';
export type { RecordBackend } from './lib/store/record-store';

export type { FetchLike, FetchInit, FetchResponseLike } from './lib/transport/fetch';
export type {
  WebSocketLike,
  WebSocketFactory,
  ReconnectPolicy,
  ServerFrame,
} from './lib/transport/live-connection';
export { DEFAULT_RECONNECT } from './lib/transport/live-connection';

export {
  ParleySdkError,
  ApiError,
  NetworkError,
  NotRegisteredError,
  AlreadyRegisteredError,
  ClosedError,
  InvalidBundleError,
  GroupIntegrityError,
  UnknownGroupError,
  NotAdminError,
  SendFailedError,
  StoreKeyError,
  StoreCorruptError,
  InvalidArgumentError,
  isApiError,
  isTransient,
} from './lib/errors';
export type { SdkErrorCode } from './lib/errors';
