/**
 * Creating and signing membership changes. Every built change is run through the same
 * verifier as received ones before it is returned, so the builder cannot produce a
 * change other clients would refuse.
 */
import { ed25519Sign } from '../crypto/primitives';
import { InvalidArgumentError } from '../errors';
import type { IdentityKeyPair } from '../identity/identity-key';
import type { RandomSource } from '../random';
import { GROUP_NONCE_BYTES, MAX_SUBJECTS_PER_CHANGE } from './constants';
import type { MemberDevice } from './member-device';
import { checkedMemberDevice } from './member-device';
import type { MembershipAction } from './membership-change';
import {
  encodeMembershipChangeBody,
  encodeSignedMembershipChange,
  membershipSignedBytes,
} from './membership-change';
import { applyMembershipChange } from './membership-chain';
import type { GroupMembershipState } from './membership-state';

export interface BuiltMembershipChange {
  /** The encoded SignedMembershipChange to publish (group-membership service). */
  readonly change: Uint8Array;
  /** The state after it. */
  readonly state: GroupMembershipState;
}

function assertTime(nowMs: number): void {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0)
    throw new InvalidArgumentError('time must be a safe integer >= 0');
}

function sign(
  author: IdentityKeyPair,
  body: Parameters<typeof encodeMembershipChangeBody>[0],
): Uint8Array {
  const bodyBytes = encodeMembershipChangeBody(body);
  return encodeSignedMembershipChange(
    bodyBytes,
    ed25519Sign(author.secretKey, membershipSignedBytes(bodyBytes)),
  );
}

/**
 * Epoch 0. `creator` is the creating device (its identity key must be `identity`'s); it
 * becomes a member and the only admin, with `members` as the other initial devices.
 * The group id is `state.groupId`.
 */
export function createGroup(
  identity: IdentityKeyPair,
  creator: MemberDevice,
  members: readonly MemberDevice[],
  random: RandomSource,
  nowMs: number,
): BuiltMembershipChange {
  assertTime(nowMs);
  const creatorDevice = checkedMemberDevice(creator);
  if (members.length + 1 > MAX_SUBJECTS_PER_CHANGE) {
    throw new InvalidArgumentError(
      `a group starts with at most ${MAX_SUBJECTS_PER_CHANGE} devices; add more later`,
    );
  }
  const change = sign(identity, {
    groupId: new Uint8Array(0),
    epoch: 0,
    previousHash: new Uint8Array(0),
    action: 'create',
    subjects: [creatorDevice, ...members.map(checkedMemberDevice)],
    authorIdentityKey: identity.publicKey,
    timestampMs: nowMs,
    groupNonce: random.bytes(GROUP_NONCE_BYTES),
  });
  return { change, state: applyMembershipChange(undefined, change) };
}

/**
 * The next change after `state`, signed by `author` (a member device's identity). Throws
 * MembershipError when the change would be refused (not an admin, last admin, ...).
 */
export function buildMembershipChange(
  state: GroupMembershipState,
  author: IdentityKeyPair,
  action: Exclude<MembershipAction, 'create'>,
  subjects: readonly MemberDevice[],
  nowMs: number,
): BuiltMembershipChange {
  assertTime(nowMs);
  if (!['add', 'remove', 'promote', 'demote'].includes(action))
    throw new InvalidArgumentError('unknown action');
  if (
    !Array.isArray(subjects) ||
    subjects.length === 0 ||
    subjects.length > MAX_SUBJECTS_PER_CHANGE
  ) {
    throw new InvalidArgumentError(`a change names 1..${MAX_SUBJECTS_PER_CHANGE} devices`);
  }
  const change = sign(author, {
    groupId: state.groupId,
    epoch: state.epoch + 1,
    previousHash: state.headHash,
    action,
    subjects: subjects.map(checkedMemberDevice),
    authorIdentityKey: author.publicKey,
    timestampMs: nowMs,
    groupNonce: new Uint8Array(0),
  });
  return { change, state: applyMembershipChange(state, change) };
}

/** Every member device of `userId`: the subjects that remove a whole user. */
export function devicesOfUser(state: GroupMembershipState, userId: string): MemberDevice[] {
  return state.members().filter((d) => d.userId === userId);
}
