/**
 * Wire form of a ratchet message: the encoded header travels as bytes so the receiver
 * authenticates exactly what was sent.
 */
import { AEAD_TAG_BYTES } from '../crypto/primitives';
import { DecodeError } from '../errors';
import { decodeBody, decodeVersioned, encodeBody, encodeVersioned, requireX25519PublicKey } from '../wire/codec';
import { RatchetHeaderSchema, RatchetMessageSchema } from '../wire/generated/parley/wire/v1/wire_pb';
import { MAX_PLAINTEXT_BYTES } from './constants';

export interface RatchetHeader {
  readonly ratchetKey: Uint8Array;
  readonly previousChainLength: number;
  readonly counter: number;
}

export interface RatchetMessage {
  /** Encoded RatchetHeader, authenticated as associated data. */
  readonly headerBytes: Uint8Array;
  readonly header: RatchetHeader;
  readonly ciphertext: Uint8Array;
}

const WHAT = 'RatchetMessage';
const MAX_HEADER_BYTES = 64;
const MAX_CIPHERTEXT_BYTES = MAX_PLAINTEXT_BYTES + AEAD_TAG_BYTES;

export function encodeRatchetHeader(header: RatchetHeader): Uint8Array {
  return encodeBody(RatchetHeaderSchema, header);
}

/** Without the version byte: the form nested inside a PreKeyMessage. */
export function encodeRatchetMessageBody(headerBytes: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return encodeBody(RatchetMessageSchema, { header: headerBytes, ciphertext });
}

export function encodeRatchetMessage(headerBytes: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return encodeVersioned(RatchetMessageSchema, { header: headerBytes, ciphertext });
}

function fromDecoded(m: { header: Uint8Array; ciphertext: Uint8Array }): RatchetMessage {
  if (m.ciphertext.length < AEAD_TAG_BYTES || m.ciphertext.length > MAX_CIPHERTEXT_BYTES) {
    throw new DecodeError('MALFORMED', WHAT, 'ciphertext length');
  }
  const h = decodeBody(RatchetHeaderSchema, m.header, 'RatchetHeader', MAX_HEADER_BYTES);
  return {
    headerBytes: m.header,
    header: {
      ratchetKey: requireX25519PublicKey(h.ratchetKey, WHAT, 'ratchet key'),
      previousChainLength: h.previousChainLength,
      counter: h.counter,
    },
    ciphertext: m.ciphertext,
  };
}

export function decodeRatchetMessage(bytes: Uint8Array): RatchetMessage {
  return fromDecoded(decodeVersioned(RatchetMessageSchema, bytes, WHAT));
}

export function decodeRatchetMessageBody(bytes: Uint8Array): RatchetMessage {
  return fromDecoded(decodeBody(RatchetMessageSchema, bytes, WHAT));
}
