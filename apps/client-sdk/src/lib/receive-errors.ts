/** Why a message could not be read: a typed reason for every protocol and SDK failure. */
import {
  DecodeError,
  DecryptionError,
  DuplicateMessageError,
  InvalidKeyError,
  InvalidSignatureError,
  InvalidStateError,
  MembershipError,
  NotAMemberError,
  TooManySkippedError,
  UnknownSenderKeyError,
} from '@parley/protocol';
import { GroupIntegrityError } from './errors';

export type UndecryptableReason =
  /** Already decrypted once under the protocol (a replay, or a peer restored from a backup). */
  | 'duplicate'
  /** No session decrypts it (unknown prekey, broken or missing session): repaired automatically. */
  | 'session'
  /** A gap in a chain larger than the protocol's bounds. */
  | 'too-many-skipped'
  /** Not well-formed (wire or SDK content). */
  | 'malformed'
  /** A signature that does not verify (sender-key message). */
  | 'invalid-signature'
  /** The sender's sender key never arrived. */
  | 'no-sender-key'
  /** The sender is not a member of the group in the verified chain. */
  | 'not-a-member'
  /** A group this device does not know or is no longer in. */
  | 'unknown-group'
  /** The group's membership chain did not verify. */
  | 'group-integrity'
  /** Anything else (a bug or a store failure): details on the 'error' event. */
  | 'internal';

export function reasonOf(error: unknown): UndecryptableReason {
  if (error instanceof DuplicateMessageError) return 'duplicate';
  if (error instanceof TooManySkippedError) return 'too-many-skipped';
  if (
    error instanceof DecryptionError ||
    error instanceof InvalidStateError ||
    error instanceof InvalidKeyError
  ) {
    return 'session';
  }
  if (error instanceof DecodeError) return 'malformed';
  if (error instanceof InvalidSignatureError) return 'invalid-signature';
  if (error instanceof UnknownSenderKeyError) return 'no-sender-key';
  if (error instanceof NotAMemberError)
    return error.reason === 'WRONG_GROUP' ? 'unknown-group' : 'not-a-member';
  if (error instanceof MembershipError || error instanceof GroupIntegrityError)
    return 'group-integrity';
  return 'internal';
}

/** Reasons after which the 1:1 session with the sender is started over. */
export function needsSessionRepair(reason: UndecryptableReason): boolean {
  return reason === 'session' || reason === 'duplicate' || reason === 'too-many-skipped';
}
