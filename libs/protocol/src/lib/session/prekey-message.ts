/**
 * PreKeyMessage: the initiator's messages until the first reply, carrying what the
 * responder needs to run X3DH (identity key, base key, prekey ids) around a ratchet message.
 */
import { KEY_BYTES } from '../crypto/primitives';
import type { RatchetMessage } from '../ratchet/ratchet-message';
import { decodeRatchetMessageBody, encodeRatchetMessageBody } from '../ratchet/ratchet-message';
import { decodeVersioned, encodeVersioned, requireLength, requireX25519PublicKey } from '../wire/codec';
import { PreKeyMessageSchema } from '../wire/generated/parley/wire/v1/wire_pb';

export interface PreKeyMessage {
  readonly identityKey: Uint8Array;
  readonly baseKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | undefined;
  readonly message: RatchetMessage;
}

const WHAT = 'PreKeyMessage';

export function encodePreKeyMessage(
  fields: Omit<PreKeyMessage, 'message'>,
  headerBytes: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  return encodeVersioned(PreKeyMessageSchema, {
    identityKey: fields.identityKey,
    baseKey: fields.baseKey,
    signedPreKeyId: fields.signedPreKeyId,
    oneTimePreKeyId: fields.oneTimePreKeyId,
    message: encodeRatchetMessageBody(headerBytes, ciphertext),
  });
}

export function decodePreKeyMessage(bytes: Uint8Array): PreKeyMessage {
  const m = decodeVersioned(PreKeyMessageSchema, bytes, WHAT);
  return {
    identityKey: requireLength(m.identityKey, KEY_BYTES, WHAT, 'identity key'),
    baseKey: requireX25519PublicKey(m.baseKey, WHAT, 'base key'),
    signedPreKeyId: m.signedPreKeyId,
    oneTimePreKeyId: m.oneTimePreKeyId,
    message: decodeRatchetMessageBody(m.message),
  };
}
