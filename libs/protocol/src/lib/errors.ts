/**
 * Typed errors of the protocol. Every error has a stable `code` that callers switch on;
 * messages never contain key material or plaintext.
 */
export type ProtocolErrorCode =
  | 'NOT_INITIALIZED'
  | 'INVALID_ARGUMENT'
  | 'INVALID_KEY'
  | 'INVALID_SIGNATURE'
  | 'DECODE_ERROR'
  | 'DECRYPTION_FAILED'
  | 'DUPLICATE_MESSAGE'
  | 'TOO_MANY_SKIPPED'
  | 'INVALID_STATE'
  | 'UNKNOWN_SENDER_KEY'
  | 'MEMBERSHIP_INVALID'
  | 'NOT_A_MEMBER';

export abstract class ProtocolError extends Error {
  abstract readonly code: ProtocolErrorCode;
  override get name(): string {
    return this.constructor.name;
  }
}

export class NotInitializedError extends ProtocolError {
  readonly code = 'NOT_INITIALIZED';
  constructor() {
    super('call initProtocol() and await it before using the protocol');
  }
}

/** A caller passed a value of the wrong type, length or range. */
export class InvalidArgumentError extends ProtocolError {
  readonly code = 'INVALID_ARGUMENT';
}

/** A public key is malformed, or a Diffie-Hellman with it gave a low-order result. */
export class InvalidKeyError extends ProtocolError {
  readonly code = 'INVALID_KEY';
}

export class InvalidSignatureError extends ProtocolError {
  readonly code = 'INVALID_SIGNATURE';
}

export type DecodeFailure = 'EMPTY' | 'UNSUPPORTED_VERSION' | 'TOO_LARGE' | 'MALFORMED' | 'NON_CANONICAL';

/** Wire input that is truncated, oversized, of an unknown version or otherwise malformed. */
export class DecodeError extends ProtocolError {
  readonly code = 'DECODE_ERROR';
  constructor(
    readonly failure: DecodeFailure,
    readonly what: string,
    detail?: string,
  ) {
    super(`cannot decode ${what}: ${failure}${detail ? ` (${detail})` : ''}`);
  }
}

/** The AEAD tag did not verify: wrong key, tampered ciphertext or tampered header. */
export class DecryptionError extends ProtocolError {
  readonly code = 'DECRYPTION_FAILED';
}

/** The message key was already used (or discarded): a replay, or a duplicate delivery. */
export class DuplicateMessageError extends ProtocolError {
  readonly code = 'DUPLICATE_MESSAGE';
  constructor(readonly counter: number) {
    super(`message ${counter} was already decrypted`);
  }
}

/** A message asks to skip more keys than the bounds allow. */
export class TooManySkippedError extends ProtocolError {
  readonly code = 'TOO_MANY_SKIPPED';
  constructor(
    readonly gap: number,
    readonly max: number,
  ) {
    super(`message gap ${gap} exceeds the limit ${max}`);
  }
}

/** The operation does not fit the state (e.g. sending before a session exists). */
export class InvalidStateError extends ProtocolError {
  readonly code = 'INVALID_STATE';
}

export class UnknownSenderKeyError extends ProtocolError {
  readonly code = 'UNKNOWN_SENDER_KEY';
}

/** Why a membership change (or chain) was refused. Stable: callers may switch on it. */
export type MembershipFailure =
  | 'EMPTY_CHAIN' // no change to verify
  | 'UNSIGNED' // the change carries no signature
  | 'BAD_SIGNATURE' // the signature does not verify under the author's identity key
  | 'NOT_ADMIN' // the author is not allowed to make this change at the previous epoch
  | 'WRONG_GROUP' // the change names another group
  | 'REPLAYED' // epoch at or below the current one: an old change shown again
  | 'OUT_OF_ORDER' // epoch beyond current + 1: a change is missing in between
  | 'FORK' // previous hash is not the hash of our head
  | 'BAD_GENESIS' // epoch 0 is not a well-formed CREATE, or a later change is a CREATE
  | 'INVALID_SUBJECT' // a subject does not fit the action (already a member, not an admin...)
  | 'LAST_ADMIN' // the change would leave the group without an admin
  | 'TOO_MANY_MEMBERS'; // the change would exceed MAX_GROUP_DEVICES

export class MembershipError extends ProtocolError {
  readonly code = 'MEMBERSHIP_INVALID';
  constructor(
    readonly reason: MembershipFailure,
    detail?: string,
  ) {
    super(`membership change refused: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}

/** Why a group message was refused for its sender or group. Stable. */
export type NotAMemberFailure =
  | 'SENDER_NOT_MEMBER' // the sending device is not a member at the current epoch
  | 'WRONG_GROUP' // the message names a group other than the one it was opened for
  | 'EPOCH_AHEAD' // the sender used an epoch we have not verified yet: fetch the chain, retry
  | 'EPOCH_TOO_OLD'; // the sender used an epoch too far behind ours

export class NotAMemberError extends ProtocolError {
  readonly code = 'NOT_A_MEMBER';
  constructor(
    readonly reason: NotAMemberFailure,
    detail?: string,
  ) {
    super(`group message refused: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}
