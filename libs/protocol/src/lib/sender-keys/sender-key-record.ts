/**
 * SenderKeyState <-> SenderKeyRecord (bytes of the storage protobuf
 * parley.storage.v1.SenderKeyRecordMessage, with the version byte). The record holds
 * secrets: it is for the device's own encrypted store only. Decoding is as strict as for
 * wire input, and copies every secret out of the input buffer so wiping the state never
 * touches the caller's bytes (and the reverse).
 */
import type { MessageShape } from '@bufbuild/protobuf';
import { ED25519_SECRET_BYTES, KEY_BYTES } from '../crypto/primitives';
import { DecodeError } from '../errors';
import { decodeVersioned, requireLength, WIRE_VERSION } from '../wire/codec';
import type { SenderChainRecordSchema } from '../wire/generated/parley/storage/v1/sender_key_pb';
import { SenderKeyRecordMessageSchema } from '../wire/generated/parley/storage/v1/sender_key_pb';
import {
  DISTRIBUTION_ID_BYTES,
  MAX_GROUP_ID_BYTES,
  MAX_SENDER_KEY_CHAINS,
  MAX_SENDER_KEY_ITERATION,
  MAX_SENDER_KEY_RECORD_BYTES,
  MAX_SKIPPED_SENDER_KEYS,
} from './constants';
import { SenderChain } from './sender-chain';
import { encodeSenderKeyRecord } from './sender-key-record-encoder';
import { SenderKeyState } from './sender-key-state';

/** A serialized SenderKeyState. Secret: store it encrypted. */
export type SenderKeyRecord = Uint8Array;

const WHAT = 'SenderKeyRecord';

export function serializeSenderKeyState(state: SenderKeyState): SenderKeyRecord {
  // SenderChain has exactly the record's chain fields (its skipped Map is in ascending order).
  return encodeSenderKeyRecord(state, WIRE_VERSION);
}

const copy = (b: Uint8Array, length: number, field: string): Uint8Array =>
  requireLength(b, length, WHAT, field).slice();

function chainFromRecord(
  c: MessageShape<typeof SenderChainRecordSchema>,
  first: boolean,
): SenderChain {
  if (c.iteration > MAX_SENDER_KEY_ITERATION + 1)
    throw new DecodeError('MALFORMED', WHAT, 'iteration');
  if (c.signingSecretKey !== undefined && !first) {
    throw new DecodeError(
      'MALFORMED',
      WHAT,
      'only the current chain of our own key has a private key',
    );
  }
  if (c.skipped.length > MAX_SKIPPED_SENDER_KEYS)
    throw new DecodeError('MALFORMED', WHAT, 'too many skipped');
  if (c.createdAtMs > BigInt(Number.MAX_SAFE_INTEGER))
    throw new DecodeError('MALFORMED', WHAT, 'created at');
  const skipped = new Map<number, Uint8Array>();
  let previous = -1;
  for (const s of c.skipped) {
    if (s.iteration <= previous || s.iteration >= c.iteration) {
      throw new DecodeError(
        'MALFORMED',
        WHAT,
        'skipped iterations must ascend below the chain iteration',
      );
    }
    previous = s.iteration;
    skipped.set(s.iteration, copy(s.seed, KEY_BYTES, 'skipped seed'));
  }
  return new SenderChain({
    chainId: c.chainId,
    iteration: c.iteration,
    chainKey: copy(c.chainKey, KEY_BYTES, 'chain key'),
    signingPublicKey: copy(c.signingPublicKey, KEY_BYTES, 'signing key'),
    signingSecretKey:
      c.signingSecretKey === undefined
        ? undefined
        : copy(c.signingSecretKey, ED25519_SECRET_BYTES, 'signing secret'),
    createdAtMs: Number(c.createdAtMs),
    skipped,
  });
}

/** Throws DecodeError for anything that is not a well-formed record. */
export function deserializeSenderKeyState(record: SenderKeyRecord): SenderKeyState {
  const m = decodeVersioned(
    SenderKeyRecordMessageSchema,
    record,
    WHAT,
    MAX_SENDER_KEY_RECORD_BYTES,
  );
  if (m.groupId.length === 0 || m.groupId.length > MAX_GROUP_ID_BYTES) {
    throw new DecodeError('MALFORMED', WHAT, 'group id length');
  }
  if (m.chains.length === 0 || m.chains.length > MAX_SENDER_KEY_CHAINS) {
    throw new DecodeError('MALFORMED', WHAT, 'chain count');
  }
  const ids = new Set(m.chains.map((c) => c.chainId));
  if (ids.size !== m.chains.length) throw new DecodeError('MALFORMED', WHAT, 'duplicate chain id');
  if (m.chains.length !== 1 && m.chains.some((c) => c.signingSecretKey !== undefined)) {
    throw new DecodeError('MALFORMED', WHAT, 'our own sender key has one chain');
  }
  return new SenderKeyState(
    m.groupId.slice(),
    copy(m.distributionId, DISTRIBUTION_ID_BYTES, 'distribution id'),
    m.chains.map((c, i) => chainFromRecord(c, i === 0)),
  );
}
