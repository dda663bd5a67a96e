/**
 * Group mode A, pairwise fan-out (DESIGN.md 4): a group message is one
 * PairwiseGroupPayload { group id, membership epoch, body }, encrypted separately to
 * every member device over its 1:1 session. The session layer is injected, so this file
 * knows nothing about sessions; the recipients come only from the verified membership
 * state, never from a list the server supplies.
 *
 * The injected `encrypt` must use the session whose remote identity key equals
 * `device.identityKey` (and refuse otherwise): that is what ties the ciphertext to the
 * member the chain names.
 */
import { assertBytes } from '../bytes';
import { DecodeError, InvalidArgumentError, NotAMemberError } from '../errors';
import { decodeVersioned, encodeVersioned, requireLength } from '../wire/codec';
import { PairwiseGroupPayloadSchema } from '../wire/generated/parley/wire/v1/wire_pb';
import { GROUP_ID_BYTES, MAX_PAIRWISE_EPOCH_LAG, MAX_PAIRWISE_GROUP_BODY_BYTES } from './constants';
import type { MemberDevice } from './member-device';
import { sameDevice } from './member-device';
import type { GroupMembershipState } from './membership-state';

const WHAT = 'PairwiseGroupPayload';
/** Body plus group id, epoch and tags. */
const MAX_PAYLOAD_BYTES = MAX_PAIRWISE_GROUP_BODY_BYTES + 64;

/** Encrypts over the 1:1 session with `device`; C is whatever the session returns. */
export type SessionEncrypt<C = Uint8Array> = (device: MemberDevice, plaintext: Uint8Array) => C;

export interface PairwiseGroupPayload {
  readonly groupId: Uint8Array;
  readonly epoch: number;
  readonly body: Uint8Array;
}

export interface PairwiseCiphertext<C = Uint8Array> {
  readonly device: MemberDevice;
  readonly ciphertext: C;
}

export function encodePairwiseGroupPayload(p: PairwiseGroupPayload): Uint8Array {
  return encodeVersioned(PairwiseGroupPayloadSchema, {
    groupId: p.groupId,
    epoch: BigInt(p.epoch),
    body: p.body,
  });
}

/** Strict decode; throws DecodeError. */
export function decodePairwiseGroupPayload(bytes: Uint8Array): PairwiseGroupPayload {
  const m = decodeVersioned(PairwiseGroupPayloadSchema, bytes, WHAT, MAX_PAYLOAD_BYTES);
  if (m.epoch > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('MALFORMED', WHAT, 'epoch');
  if (m.body.length > MAX_PAIRWISE_GROUP_BODY_BYTES)
    throw new DecodeError('TOO_LARGE', WHAT, 'body');
  return {
    groupId: requireLength(m.groupId, GROUP_ID_BYTES, WHAT, 'group id'),
    epoch: Number(m.epoch),
    body: m.body,
  };
}

/**
 * Encrypts `body` once per member device other than `sender` (the sender's other
 * devices included). Throws NotAMemberError if `sender` is not a member itself.
 */
export function encryptPairwiseGroupMessage<C = Uint8Array>(
  membership: GroupMembershipState,
  sender: MemberDevice,
  body: Uint8Array,
  encrypt: SessionEncrypt<C>,
): PairwiseCiphertext<C>[] {
  assertBytes(body, 'group message body');
  if (body.length > MAX_PAIRWISE_GROUP_BODY_BYTES) {
    throw new InvalidArgumentError(
      `group message body exceeds ${MAX_PAIRWISE_GROUP_BODY_BYTES} bytes`,
    );
  }
  if (!membership.isMember(sender))
    throw new NotAMemberError('SENDER_NOT_MEMBER', 'we are not a member');
  const plaintext = encodePairwiseGroupPayload({
    groupId: membership.groupId,
    epoch: membership.epoch,
    body,
  });
  return membership
    .members()
    .filter((d) => !sameDevice(d, sender))
    .map((device) => ({ device, ciphertext: encrypt(device, plaintext) }));
}

/**
 * Checks a decrypted pairwise plaintext from `sender` (the device its session
 * authenticated) against our verified state of the group it names, looked up with
 * `membershipOf`. Accepts the current epoch or one up to MAX_PAIRWISE_EPOCH_LAG behind,
 * and only from a device that is a member now. Throws DecodeError or NotAMemberError
 * (reason WRONG_GROUP for a group we do not know, EPOCH_AHEAD when we must fetch newer
 * changes first, EPOCH_TOO_OLD, SENDER_NOT_MEMBER).
 */
export function openPairwiseGroupPayload(
  plaintext: Uint8Array,
  sender: MemberDevice,
  membershipOf: (groupId: Uint8Array) => GroupMembershipState | undefined,
): PairwiseGroupPayload {
  const payload = decodePairwiseGroupPayload(plaintext);
  const membership = membershipOf(payload.groupId);
  if (!membership || !membership.sameGroup(payload.groupId)) {
    throw new NotAMemberError('WRONG_GROUP', 'not a group we are in');
  }
  if (payload.epoch > membership.epoch) throw new NotAMemberError('EPOCH_AHEAD');
  if (membership.epoch - payload.epoch > MAX_PAIRWISE_EPOCH_LAG)
    throw new NotAMemberError('EPOCH_TOO_OLD');
  if (!membership.isMember(sender)) throw new NotAMemberError('SENDER_NOT_MEMBER');
  return payload;
}
