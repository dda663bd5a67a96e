/**
 * The session layer: joins X3DH (a secret) to the Double Ratchet (a state machine) and
 * chooses the wire type. No storage here; `session-record.ts` persists.
 */
import type { KeyPair } from '../crypto/primitives';
import { constantTimeEqual, wipe } from '../crypto/primitives';
import { InvalidKeyError, InvalidStateError } from '../errors';
import type { IdentityKeyPair } from '../identity/identity-key';
import type { PreKeyBundle } from '../identity/prekey-bundle';
import { initInitiatorRatchet, initResponderRatchet, ratchetDecrypt, ratchetEncrypt } from '../ratchet/double-ratchet';
import { MAX_PLAINTEXT_BYTES } from '../ratchet/constants';
import { decodeRatchetMessage, encodeRatchetMessage } from '../ratchet/ratchet-message';
import type { RandomSource } from '../random';
import { InvalidArgumentError } from '../errors';
import { x3dhInitiate, x3dhRespond } from '../x3dh/x3dh';
import type { PreKeyMessage } from './prekey-message';
import { encodePreKeyMessage } from './prekey-message';
import type { CiphertextMessage, SessionState } from './session-state';

/** The responder's private prekeys, looked up by the ids a PreKeyMessage names. */
export interface PreKeyLookup {
  signedPreKey(id: number): KeyPair | undefined;
  oneTimePreKey(id: number): KeyPair | undefined;
}

/** Starts a session from a directory bundle (refusing a bundle with a bad signature). */
export function initiateSession(
  ourIdentity: IdentityKeyPair,
  theirBundle: PreKeyBundle,
  random: RandomSource,
): SessionState {
  const x3dh = x3dhInitiate(ourIdentity, theirBundle, random);
  try {
    return {
      localIdentityKey: ourIdentity.publicKey,
      remoteIdentityKey: theirBundle.identityKey,
      associatedData: x3dh.associatedData,
      pendingPreKey: {
        baseKey: x3dh.baseKey,
        signedPreKeyId: x3dh.signedPreKeyId,
        oneTimePreKeyId: x3dh.oneTimePreKeyId,
      },
      remoteBaseKey: undefined,
      ratchet: initInitiatorRatchet(x3dh.sharedSecret, x3dh.theirSignedPreKey, random),
    };
  } finally {
    wipe(x3dh.sharedSecret);
  }
}

export interface AcceptedSession {
  readonly session: SessionState;
  readonly plaintext: Uint8Array;
  /** The caller deletes this one-time prekey now: it must never serve twice. */
  readonly usedOneTimePreKeyId: number | undefined;
}

/** Responder: runs X3DH from a PreKeyMessage and decrypts its ratchet message. */
export function acceptPreKeyMessage(
  ourIdentity: IdentityKeyPair,
  message: PreKeyMessage,
  preKeys: PreKeyLookup,
  random: RandomSource,
): AcceptedSession {
  const signedPreKey = preKeys.signedPreKey(message.signedPreKeyId);
  if (!signedPreKey) throw new InvalidKeyError(`unknown signed prekey ${message.signedPreKeyId}`);
  let oneTimePreKey: KeyPair | undefined;
  if (message.oneTimePreKeyId !== undefined) {
    oneTimePreKey = preKeys.oneTimePreKey(message.oneTimePreKeyId);
    if (!oneTimePreKey) throw new InvalidKeyError(`unknown or used one-time prekey ${message.oneTimePreKeyId}`);
  }
  const x3dh = x3dhRespond(ourIdentity, signedPreKey, oneTimePreKey, message.identityKey, message.baseKey);
  try {
    const session: SessionState = {
      localIdentityKey: ourIdentity.publicKey,
      remoteIdentityKey: message.identityKey,
      associatedData: x3dh.associatedData,
      pendingPreKey: undefined,
      remoteBaseKey: message.baseKey,
      ratchet: initResponderRatchet(x3dh.sharedSecret, signedPreKey),
    };
    const plaintext = ratchetDecrypt(session.ratchet, message.message, session.associatedData, random);
    return { session, plaintext, usedOneTimePreKeyId: message.oneTimePreKeyId };
  } finally {
    wipe(x3dh.sharedSecret);
  }
}

export function encryptMessage(session: SessionState, plaintext: Uint8Array): CiphertextMessage {
  if (!(plaintext instanceof Uint8Array) || plaintext.length > MAX_PLAINTEXT_BYTES) {
    throw new InvalidArgumentError(`plaintext must be bytes, at most ${MAX_PLAINTEXT_BYTES}`);
  }
  const { headerBytes, ciphertext } = ratchetEncrypt(session.ratchet, plaintext, session.associatedData);
  const pending = session.pendingPreKey;
  if (pending) {
    return {
      type: 'prekey',
      body: encodePreKeyMessage(
        {
          identityKey: session.localIdentityKey,
          baseKey: pending.baseKey,
          signedPreKeyId: pending.signedPreKeyId,
          oneTimePreKeyId: pending.oneTimePreKeyId,
        },
        headerBytes,
        ciphertext,
      ),
    };
  }
  return { type: 'message', body: encodeRatchetMessage(headerBytes, ciphertext) };
}

/** True when a PreKeyMessage continues this (responder) session rather than starting one. */
export function continuesSession(session: SessionState, message: PreKeyMessage): boolean {
  return (
    session.remoteBaseKey !== undefined &&
    constantTimeEqual(session.remoteBaseKey, message.baseKey) &&
    constantTimeEqual(session.remoteIdentityKey, message.identityKey)
  );
}

/** Decrypts a ratchet message, or a repeated PreKeyMessage of this same session. */
export function decryptWithSession(
  session: SessionState,
  message: CiphertextMessage | PreKeyMessage,
  random: RandomSource,
): Uint8Array {
  if ('type' in message) {
    if (message.type !== 'message') throw new InvalidStateError('decode PreKeyMessages first');
    const plaintext = ratchetDecrypt(session.ratchet, decodeRatchetMessage(message.body), session.associatedData, random);
    // A reply authenticated under this session: the peer has it, stop sending PreKeyMessages.
    session.pendingPreKey = undefined;
    return plaintext;
  }
  if (!continuesSession(session, message)) throw new InvalidStateError('PreKeyMessage of another session');
  return ratchetDecrypt(session.ratchet, message.message, session.associatedData, random);
}
