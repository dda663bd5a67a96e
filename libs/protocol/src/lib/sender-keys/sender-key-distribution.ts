/**
 * Sender key distribution messages: how a member device hands its current chain key (at
 * its current iteration) and chain signature key to another member device. They travel
 * only inside pairwise (1:1 session) ciphertexts, which authenticate the sender; the
 * receiver files the result under that authenticated sender. A newcomer gets the chain
 * at its current iteration, so it cannot read anything sent before.
 */
import { assertBytes } from '../bytes';
import { KEY_BYTES } from '../crypto/primitives';
import { DecodeError, InvalidArgumentError, InvalidStateError } from '../errors';
import type { RandomSource } from '../random';
import { decodeVersioned, encodeVersioned, requireLength } from '../wire/codec';
import { SenderKeyDistributionMessageSchema } from '../wire/generated/parley/wire/v1/wire_pb';
import { constantTimeEqual } from '../crypto/primitives';
import { DISTRIBUTION_ID_BYTES, MAX_SENDER_KEY_ITERATION } from './constants';
import { SenderChain } from './sender-chain';
import { assertGroupId, SenderKeyState } from './sender-key-state';

const WHAT = 'SenderKeyDistributionMessage';
/** Two keys, an id and two varints: anything bigger is not a distribution message. */
const MAX_DISTRIBUTION_BYTES = 128;

export interface SenderKeyDistribution {
  readonly distributionId: Uint8Array;
  readonly chainId: number;
  readonly iteration: number;
  /** Secret: the chain key at `iteration`. */
  readonly chainKey: Uint8Array;
  readonly signingKey: Uint8Array;
}

export function encodeSenderKeyDistribution(d: SenderKeyDistribution): Uint8Array {
  return encodeVersioned(SenderKeyDistributionMessageSchema, d);
}

/** Strict decode; throws DecodeError. The returned chain key is a copy the caller owns. */
export function decodeSenderKeyDistribution(bytes: Uint8Array): SenderKeyDistribution {
  const m = decodeVersioned(
    SenderKeyDistributionMessageSchema,
    bytes,
    WHAT,
    MAX_DISTRIBUTION_BYTES,
  );
  if (m.iteration > MAX_SENDER_KEY_ITERATION) throw new DecodeError('MALFORMED', WHAT, 'iteration');
  return {
    distributionId: requireLength(
      m.distributionId,
      DISTRIBUTION_ID_BYTES,
      WHAT,
      'distribution id',
    ).slice(),
    chainId: m.chainId,
    iteration: m.iteration,
    chainKey: requireLength(m.chainKey, KEY_BYTES, WHAT, 'chain key').slice(),
    signingKey: requireLength(m.signingKey, KEY_BYTES, WHAT, 'signing key').slice(),
  };
}

/**
 * The distribution message for our own current chain, to send over every pairwise
 * session of the group's other member devices. Holds a secret: never log or store it
 * outside a pairwise ciphertext.
 */
export function createSenderKeyDistribution(own: SenderKeyState): Uint8Array {
  if (!own.isOwn) throw new InvalidStateError('only our own sender key is distributed');
  const c = own.current;
  return encodeSenderKeyDistribution({
    distributionId: own.distributionId,
    chainId: c.chainId,
    iteration: c.iteration,
    chainKey: c.chainKey,
    signingKey: c.signingPublicKey,
  });
}

/**
 * Files a distribution received from an authenticated sender device. `existing` is the
 * state the caller keeps for (that sender, this distribution id), if any: it is updated
 * in place and returned; otherwise a new state is returned. Throws DecodeError for a
 * malformed message, InvalidArgumentError if `existing` is for another distribution id,
 * and InvalidStateError if it belongs to another group or is our own. On a throw,
 * `existing` is unchanged.
 */
export function processSenderKeyDistribution(
  existing: SenderKeyState | undefined,
  groupId: Uint8Array,
  distributionBytes: Uint8Array,
  nowMs: number,
): SenderKeyState {
  assertGroupId(groupId);
  assertBytes(distributionBytes, 'distribution message');
  const d = decodeSenderKeyDistribution(distributionBytes);
  const chain = new SenderChain({
    chainId: d.chainId,
    iteration: d.iteration,
    chainKey: d.chainKey,
    signingPublicKey: d.signingKey,
    createdAtMs: nowMs,
  });
  if (!existing) return new SenderKeyState(groupId.slice(), d.distributionId, [chain]);
  if (!constantTimeEqual(existing.distributionId, d.distributionId)) {
    chain.wipe();
    throw new InvalidArgumentError('the state passed is for another distribution id');
  }
  if (!constantTimeEqual(existing.groupId, groupId)) {
    chain.wipe();
    throw new InvalidStateError('this distribution id belongs to another group');
  }
  if (existing.isOwn) {
    chain.wipe();
    throw new InvalidStateError('cannot receive into our own sender key');
  }
  existing.addReceivedChain(chain);
  return existing;
}

/** A uniformly random uint32 chain id. */
export function randomChainId(random: RandomSource): number {
  const b = random.bytes(4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false);
}
