/**
 * Everything a device keeps about one peer device: the current session and a few archived
 * ones (a new session replaces the current one when the peer restarts X3DH, e.g. after a
 * reinstall or when both sides initiate at once; delayed messages of the old one still
 * decrypt). Serializes to bytes so the SDK can persist it after every message.
 */
import { DecryptionError, DuplicateMessageError, InvalidStateError } from '../errors';
import type { ProtocolError } from '../errors';
import type { IdentityKeyPair } from '../identity/identity-key';
import type { PreKeyBundle } from '../identity/prekey-bundle';
import type { RandomSource } from '../random';
import { decodeVersioned, encodeVersioned } from '../wire/codec';
import { SessionRecordMessageSchema } from '../wire/generated/parley/storage/v1/session_pb';
import { decodePreKeyMessage } from './prekey-message';
import type { PreKeyLookup } from './session-cipher';
import { acceptPreKeyMessage, continuesSession, decryptWithSession, encryptMessage, initiateSession } from './session-cipher';
import { sessionFromRecord, sessionToRecord } from './session-serialization';
import type { CiphertextMessage, SessionState } from './session-state';

/** Archived sessions kept for delayed messages; the oldest is dropped past this. */
export const MAX_ARCHIVED_SESSIONS = 4;
/** A record is a handful of sessions with at most MAX_SKIPPED_KEYS_TOTAL keys each. */
const MAX_RECORD_BYTES = 2 * 1024 * 1024;

export interface DecryptResult {
  readonly plaintext: Uint8Array;
  /** Set when this message started a new session: delete that one-time prekey now. */
  readonly usedOneTimePreKeyId: number | undefined;
  /** The peer's identity key as authenticated by this session. */
  readonly remoteIdentityKey: Uint8Array;
  readonly startedNewSession: boolean;
}

export class SessionRecord {
  private constructor(private sessions: SessionState[]) {}

  static empty(): SessionRecord {
    return new SessionRecord([]);
  }

  static deserialize(bytes: Uint8Array): SessionRecord {
    const m = decodeVersioned(SessionRecordMessageSchema, bytes, 'SessionRecord', MAX_RECORD_BYTES);
    return new SessionRecord(m.sessions.map(sessionFromRecord));
  }

  serialize(): Uint8Array {
    return encodeVersioned(SessionRecordMessageSchema, { sessions: this.sessions.map(sessionToRecord) });
  }

  get hasCurrentSession(): boolean {
    return this.sessions.length > 0;
  }

  get remoteIdentityKey(): Uint8Array | undefined {
    return this.sessions[0]?.remoteIdentityKey;
  }

  /** Starts a new session from a bundle; the previous one is archived. */
  initiate(ourIdentity: IdentityKeyPair, theirBundle: PreKeyBundle, random: RandomSource): void {
    this.promote(initiateSession(ourIdentity, theirBundle, random));
  }

  encrypt(plaintext: Uint8Array): CiphertextMessage {
    const current = this.sessions[0];
    if (!current) throw new InvalidStateError('no session: initiate one from a prekey bundle');
    return encryptMessage(current, plaintext);
  }

  /**
   * Decrypts with whichever session the message belongs to; a PreKeyMessage for no known
   * session starts one. On failure nothing in the record changes.
   */
  decrypt(
    message: CiphertextMessage,
    ourIdentity: IdentityKeyPair,
    preKeys: PreKeyLookup,
    random: RandomSource,
  ): DecryptResult {
    if (message.type === 'prekey') {
      const preKeyMessage = decodePreKeyMessage(message.body);
      const existing = this.sessions.find((s) => continuesSession(s, preKeyMessage));
      if (existing) {
        const plaintext = decryptWithSession(existing, preKeyMessage, random);
        this.promote(existing);
        return { plaintext, usedOneTimePreKeyId: undefined, remoteIdentityKey: existing.remoteIdentityKey, startedNewSession: false };
      }
      const accepted = acceptPreKeyMessage(ourIdentity, preKeyMessage, preKeys, random);
      this.promote(accepted.session);
      return {
        plaintext: accepted.plaintext,
        usedOneTimePreKeyId: accepted.usedOneTimePreKeyId,
        remoteIdentityKey: accepted.session.remoteIdentityKey,
        startedNewSession: true,
      };
    }
    if (this.sessions.length === 0) throw new InvalidStateError('no session for this sender');
    let firstError: ProtocolError | undefined;
    for (const session of this.sessions) {
      try {
        const plaintext = decryptWithSession(session, message, random);
        this.promote(session);
        return { plaintext, usedOneTimePreKeyId: undefined, remoteIdentityKey: session.remoteIdentityKey, startedNewSession: false };
      } catch (error) {
        // A duplicate is the most telling answer; otherwise report the current session's.
        if (error instanceof DuplicateMessageError) throw error;
        if (!(error instanceof DecryptionError) && !(error instanceof InvalidStateError)) throw error;
        firstError ??= error;
      }
    }
    throw firstError ?? new DecryptionError('no session decrypts this message');
  }

  private promote(session: SessionState): void {
    this.sessions = [session, ...this.sessions.filter((s) => s !== session)].slice(0, MAX_ARCHIVED_SESSIONS + 1);
  }
}
