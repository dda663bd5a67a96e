/**
 * A live 1:1 session with one peer device: X3DH's outputs plus the ratchet state.
 */
import type { RatchetState } from '../ratchet/double-ratchet';

export interface PendingPreKey {
  readonly baseKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | undefined;
}

export interface SessionState {
  readonly localIdentityKey: Uint8Array;
  readonly remoteIdentityKey: Uint8Array;
  /** X3DH AD = IK_initiator || IK_responder, bound into every message. */
  readonly associatedData: Uint8Array;
  /** Initiator only, until the first reply: outgoing messages are PreKeyMessages. */
  pendingPreKey: PendingPreKey | undefined;
  /** Responder only: the initiator's base key, to recognise repeated PreKeyMessages. */
  readonly remoteBaseKey: Uint8Array | undefined;
  readonly ratchet: RatchetState;
}

/** Encrypted output of a session: which wire type it is, and its bytes. */
export interface CiphertextMessage {
  readonly type: 'prekey' | 'message';
  readonly body: Uint8Array;
}
