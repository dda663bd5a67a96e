/**
 * Wire form of a sender-key message: [version][SenderKeyMessage{ body, signature }], where
 * body is an encoded SenderKeyMessageBody and the signature (by the sender's chain
 * signature key) covers version byte || body. The AEAD's associated data is the version
 * byte and the body's header fields (distribution id, chain id, iteration) encoded
 * without the ciphertext, so the header is bound twice: by the tag and by the signature.
 */
import { concatBytes } from '../bytes';
import { AEAD_TAG_BYTES, SIGNATURE_BYTES } from '../crypto/primitives';
import { DecodeError } from '../errors';
import { decodeBody, decodeVersioned, requireLength, WIRE_VERSION } from '../wire/codec';
import { encodeFlat } from '../wire/fields';
import {
  SenderKeyMessageBodySchema,
  SenderKeyMessageSchema,
} from '../wire/generated/parley/wire/v1/wire_pb';
import {
  DISTRIBUTION_ID_BYTES,
  MAX_SENDER_KEY_ITERATION,
  MAX_SENDER_KEY_PLAINTEXT_BYTES,
} from './constants';

const WHAT = 'SenderKeyMessage';
const MAX_CIPHERTEXT_BYTES = MAX_SENDER_KEY_PLAINTEXT_BYTES + AEAD_TAG_BYTES;
/** Body = ciphertext plus at most ~40 bytes of header fields and tags. */
const MAX_BODY_BYTES = MAX_CIPHERTEXT_BYTES + 64;
const VERSION_PREFIX = new Uint8Array([WIRE_VERSION]);

export interface SenderKeyMessageHeader {
  readonly distributionId: Uint8Array;
  readonly chainId: number;
  readonly iteration: number;
}

export interface SenderKeyMessage extends SenderKeyMessageHeader {
  /** The encoded body exactly as received: what the signature covers. */
  readonly bodyBytes: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly signature: Uint8Array;
}

/** AEAD associated data: version byte || encoded header fields (no ciphertext). */
export function senderKeyAssociatedData(header: SenderKeyMessageHeader): Uint8Array {
  return encodeFlat(
    [
      { no: 1, bytes: header.distributionId },
      { no: 2, uint32: header.chainId },
      { no: 3, uint32: header.iteration },
    ],
    WIRE_VERSION,
  );
}

/** The SenderKeyMessageBody protobuf, encoded directly (fields.spec.ts: same bytes as toBinary). */
export function encodeSenderKeyMessageBody(
  header: SenderKeyMessageHeader,
  ciphertext: Uint8Array,
): Uint8Array {
  return encodeFlat([
    { no: 1, bytes: header.distributionId },
    { no: 2, uint32: header.chainId },
    { no: 3, uint32: header.iteration },
    { no: 4, bytes: ciphertext },
  ]);
}

/** What the signature key signs: version byte || body. */
export function senderKeySignedBytes(bodyBytes: Uint8Array): Uint8Array {
  return concatBytes(VERSION_PREFIX, bodyBytes);
}

export function encodeSenderKeyMessage(bodyBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeFlat(
    [
      { no: 1, bytes: bodyBytes },
      { no: 2, bytes: signature },
    ],
    WIRE_VERSION,
  );
}

/** Strict decode; throws DecodeError for anything but a well-formed canonical message. */
export function decodeSenderKeyMessage(bytes: Uint8Array): SenderKeyMessage {
  const outer = decodeVersioned(SenderKeyMessageSchema, bytes, WHAT);
  const signature = requireLength(outer.signature, SIGNATURE_BYTES, WHAT, 'signature');
  const body = decodeBody(SenderKeyMessageBodySchema, outer.body, WHAT, MAX_BODY_BYTES);
  if (body.iteration > MAX_SENDER_KEY_ITERATION)
    throw new DecodeError('MALFORMED', WHAT, 'iteration');
  if (body.ciphertext.length < AEAD_TAG_BYTES || body.ciphertext.length > MAX_CIPHERTEXT_BYTES) {
    throw new DecodeError('MALFORMED', WHAT, 'ciphertext length');
  }
  return {
    distributionId: requireLength(
      body.distributionId,
      DISTRIBUTION_ID_BYTES,
      WHAT,
      'distribution id',
    ),
    chainId: body.chainId,
    iteration: body.iteration,
    ciphertext: body.ciphertext,
    bodyBytes: outer.body,
    signature,
  };
}
