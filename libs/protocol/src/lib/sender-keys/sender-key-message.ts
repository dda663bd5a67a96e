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
import { MAX_WIRE_BYTES, requireLength, WIRE_VERSION } from '../wire/codec';
import { decodeFlat, encodeFlat } from '../wire/fields';
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

/** Longest associated data: version, distribution id (16 bytes), two 5-byte varints, tags. */
const MAX_ASSOCIATED_DATA_BYTES = 1 + 2 + DISTRIBUTION_ID_BYTES + 2 * 6;
const associatedDataScratch = new Uint8Array(MAX_ASSOCIATED_DATA_BYTES);

/**
 * senderKeyAssociatedData in a reused buffer, for one AEAD call (the view is valid until
 * the next call). A fresh 20-30 byte array would live on V8's heap, and the native AEAD
 * would make V8 move it to its own allocation, ~0.7 us a message; this buffer moved once.
 * The bytes are public header fields.
 */
export function senderKeyAssociatedDataForAead(header: SenderKeyMessageHeader): Uint8Array {
  const ad = senderKeyAssociatedData(header);
  associatedDataScratch.set(ad);
  return associatedDataScratch.subarray(0, ad.length);
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

/**
 * version byte || SenderKeyMessageBody in one buffer: what the signature covers, with the
 * body as its `subarray(1)` (saves the copy senderKeySignedBytes makes when sending).
 */
export function encodeSenderKeySignedBody(
  header: SenderKeyMessageHeader,
  ciphertext: Uint8Array,
): Uint8Array {
  return encodeFlat(
    [
      { no: 1, bytes: header.distributionId },
      { no: 2, uint32: header.chainId },
      { no: 3, uint32: header.iteration },
      { no: 4, bytes: ciphertext },
    ],
    WIRE_VERSION,
  );
}

/** What the signature key signs: version byte || body. */
export function senderKeySignedBytes(bodyBytes: Uint8Array): Uint8Array {
  return concatBytes(VERSION_PREFIX, bodyBytes);
}

/** Reused for verifying typical messages; larger ones get their own buffer. */
const VERIFY_SCRATCH_BYTES = 2048;
const verifyScratch = new Uint8Array(VERIFY_SCRATCH_BYTES);

/**
 * senderKeySignedBytes for checking a received message's signature, without an allocation
 * for typical sizes: the view is valid only until the next call. The bytes are the public
 * wire bytes, never a secret.
 */
export function senderKeySignedBytesForVerify(bodyBytes: Uint8Array): Uint8Array {
  const length = bodyBytes.length + 1;
  if (length > VERIFY_SCRATCH_BYTES) return senderKeySignedBytes(bodyBytes);
  verifyScratch[0] = WIRE_VERSION;
  verifyScratch.set(bodyBytes, 1);
  return verifyScratch.subarray(0, length);
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

const OUTER_KINDS = ['bytes', 'bytes'] as const; // SenderKeyMessage: body, signature
const BODY_KINDS = ['bytes', 'uint32', 'uint32', 'bytes'] as const; // SenderKeyMessageBody

/**
 * Strict decode; throws DecodeError for anything but a well-formed canonical message.
 * decodeFlat accepts exactly what protobuf-es plus the canonical re-encode check of
 * wire/codec.ts accepted (fields.spec.ts), with the same size and version checks first.
 */
export function decodeSenderKeyMessage(bytes: Uint8Array): SenderKeyMessage {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('MALFORMED', WHAT, 'not bytes');
  if (bytes.length === 0) throw new DecodeError('EMPTY', WHAT);
  if (bytes.length > MAX_WIRE_BYTES)
    throw new DecodeError('TOO_LARGE', WHAT, `${bytes.length} > ${MAX_WIRE_BYTES}`);
  if (bytes[0] !== WIRE_VERSION)
    throw new DecodeError('UNSUPPORTED_VERSION', WHAT, `version ${bytes[0]}`);
  const [bodyBytes, outerSignature] = decodeFlat(bytes.subarray(1), OUTER_KINDS, WHAT) as [
    Uint8Array,
    Uint8Array,
  ];
  const signature = requireLength(outerSignature, SIGNATURE_BYTES, WHAT, 'signature');
  if (bodyBytes.length > MAX_BODY_BYTES)
    throw new DecodeError('TOO_LARGE', WHAT, `${bodyBytes.length} > ${MAX_BODY_BYTES}`);
  const [distributionId, chainId, iteration, ciphertext] = decodeFlat(
    bodyBytes,
    BODY_KINDS,
    WHAT,
  ) as [Uint8Array, number, number, Uint8Array];
  if (iteration > MAX_SENDER_KEY_ITERATION) throw new DecodeError('MALFORMED', WHAT, 'iteration');
  if (ciphertext.length < AEAD_TAG_BYTES || ciphertext.length > MAX_CIPHERTEXT_BYTES) {
    throw new DecodeError('MALFORMED', WHAT, 'ciphertext length');
  }
  return {
    distributionId: requireLength(distributionId, DISTRIBUTION_ID_BYTES, WHAT, 'distribution id'),
    chainId,
    iteration,
    ciphertext,
    bodyBytes,
    signature,
  };
}
