/**
 * Verifying the signed membership chain (DESIGN.md 6). A client encrypts only to the
 * devices this chain says are members, so a server cannot slip in a ghost member.
 *
 * The chain:
 *   - epoch 0 is a CREATE with an empty group id and previous hash and a 16-byte nonce,
 *     signed by the creator device, which must be one of its subjects; the subjects
 *     become the members and the creator the only admin. The group id is SHA-256 of this
 *     encoded change, so knowing the id pins the genesis.
 *   - each later change names that group id, has epoch = previous + 1 and previous_hash
 *     = SHA-256 of the previous encoded change, and carries a valid signature by its
 *     author, who is allowed to make it by the state at the previous epoch.
 *
 * Rules (members are devices; a user is removed by removing each of its devices):
 *   ADD      admin only; subjects are new devices (neither their (user, device) nor their
 *            identity key is in use); they join as plain members.
 *   REMOVE   an admin may remove any members, admins included; a plain member may only
 *            remove devices of its own user (leaving, or unlinking a lost device).
 *   PROMOTE  admin only; subjects are plain members and become admins.
 *   DEMOTE   admin only; subjects are admins and become plain members (self included).
 *   After every change at least one admin remains (so at least one member): the last
 *   admin must promote someone before leaving or stepping down. Subjects of one change
 *   are distinct and must match members exactly (user id, device id and identity key).
 */
import { toHex } from '../bytes';
import { constantTimeEqual, ed25519Verify } from '../crypto/primitives';
import { MembershipError } from '../errors';
import { MAX_GROUP_DEVICES } from './constants';
import type { MemberDevice } from './member-device';
import { deviceKey, sameDevice } from './member-device';
import type { MembershipChange } from './membership-change';
import {
  decodeSignedMembershipChange,
  membershipChangeHash,
  membershipSignedBytes,
} from './membership-change';
import { GroupMembershipState } from './membership-state';

function verifySignature(change: MembershipChange): void {
  if (change.signature.length === 0) throw new MembershipError('UNSIGNED');
  if (
    !ed25519Verify(
      change.authorIdentityKey,
      membershipSignedBytes(change.bodyBytes),
      change.signature,
    )
  ) {
    throw new MembershipError('BAD_SIGNATURE');
  }
}

function distinctSubjects(subjects: readonly MemberDevice[]): void {
  const devices = new Set(subjects.map(deviceKey));
  const keys = new Set(subjects.map((s) => toHex(s.identityKey)));
  if (devices.size !== subjects.length || keys.size !== subjects.length) {
    throw new MembershipError('INVALID_SUBJECT', 'a device or identity key appears twice');
  }
}

function applyGenesis(change: MembershipChange): GroupMembershipState {
  if (change.epoch !== 0) throw new MembershipError('OUT_OF_ORDER', 'a chain starts at epoch 0');
  if (change.action !== 'create')
    throw new MembershipError('BAD_GENESIS', 'epoch 0 must be a CREATE');
  if (
    change.groupId.length !== 0 ||
    change.previousHash.length !== 0 ||
    change.groupNonce.length === 0
  ) {
    throw new MembershipError(
      'BAD_GENESIS',
      'CREATE has no group id or previous hash, and has a nonce',
    );
  }
  verifySignature(change);
  distinctSubjects(change.subjects);
  if (change.subjects.length > MAX_GROUP_DEVICES) throw new MembershipError('TOO_MANY_MEMBERS');
  const creator = change.subjects.find((s) =>
    constantTimeEqual(s.identityKey, change.authorIdentityKey),
  );
  if (!creator) throw new MembershipError('BAD_GENESIS', 'the creator must be a subject of CREATE');
  const groupId = membershipChangeHash(change.encoded);
  return new GroupMembershipState(groupId, 0, groupId, change.subjects, [deviceKey(creator)]);
}

function applyNext(state: GroupMembershipState, change: MembershipChange): GroupMembershipState {
  if (change.groupId.length === 0 || !state.sameGroup(change.groupId))
    throw new MembershipError('WRONG_GROUP');
  if (change.epoch <= state.epoch)
    throw new MembershipError('REPLAYED', `epoch ${change.epoch} <= ${state.epoch}`);
  if (change.epoch !== state.epoch + 1) {
    throw new MembershipError('OUT_OF_ORDER', `epoch ${change.epoch} after ${state.epoch}`);
  }
  if (!constantTimeEqual(change.previousHash, state.headHash)) throw new MembershipError('FORK');
  if (change.action === 'create' || change.groupNonce.length !== 0) {
    throw new MembershipError('BAD_GENESIS', 'only epoch 0 creates');
  }
  const author = state.memberByIdentityKey(change.authorIdentityKey);
  if (!author) throw new MembershipError('NOT_ADMIN', 'the author is not a member');
  const authorIsAdmin = state.isAdmin(author);
  const selfRemoval =
    change.action === 'remove' && change.subjects.every((s) => s.userId === author.userId);
  if (!authorIsAdmin && !selfRemoval) throw new MembershipError('NOT_ADMIN');
  verifySignature(change);
  distinctSubjects(change.subjects);

  const members = new Map(state.members().map((d) => [deviceKey(d), d]));
  const admins = new Set(state.admins().map(deviceKey));
  const isCurrent = (s: MemberDevice) => {
    const m = members.get(deviceKey(s));
    return m !== undefined && sameDevice(m, s);
  };
  for (const s of change.subjects) {
    const key = deviceKey(s);
    switch (change.action) {
      case 'add':
        if (members.has(key) || state.memberByIdentityKey(s.identityKey)) {
          throw new MembershipError('INVALID_SUBJECT', 'already a member (device or identity key)');
        }
        members.set(key, s);
        break;
      case 'remove':
        if (!isCurrent(s)) throw new MembershipError('INVALID_SUBJECT', 'not a member');
        members.delete(key);
        admins.delete(key);
        break;
      case 'promote':
        if (!isCurrent(s) || admins.has(key))
          throw new MembershipError('INVALID_SUBJECT', 'not a plain member');
        admins.add(key);
        break;
      case 'demote':
        if (!isCurrent(s) || !admins.has(key))
          throw new MembershipError('INVALID_SUBJECT', 'not an admin');
        admins.delete(key);
        break;
    }
  }
  if (members.size > MAX_GROUP_DEVICES) throw new MembershipError('TOO_MANY_MEMBERS');
  if (admins.size === 0) throw new MembershipError('LAST_ADMIN');
  return new GroupMembershipState(
    state.groupId,
    change.epoch,
    membershipChangeHash(change.encoded),
    members.values(),
    admins,
  );
}

/**
 * Applies one encoded SignedMembershipChange to a verified state (or, with `undefined`,
 * verifies a genesis). Returns a new state; `state` is untouched. Throws DecodeError for
 * malformed input and MembershipError (with its reason) for a change that may not follow.
 */
export function applyMembershipChange(
  state: GroupMembershipState | undefined,
  encodedChange: Uint8Array,
): GroupMembershipState {
  const change = decodeSignedMembershipChange(encodedChange);
  return state ? applyNext(state, change) : applyGenesis(change);
}

/**
 * Verifies a whole chain from its genesis. Pass the group id you learned from a member
 * you trust (e.g. in the invitation received over a pairwise session): the genesis must
 * hash to it, so a server cannot substitute another group's history.
 */
export function verifyMembershipChain(
  changes: readonly Uint8Array[],
  expectedGroupId?: Uint8Array,
): GroupMembershipState {
  const [genesis, ...rest] = changes;
  if (genesis === undefined) throw new MembershipError('EMPTY_CHAIN');
  let state = applyMembershipChange(undefined, genesis);
  if (expectedGroupId !== undefined && !state.sameGroup(expectedGroupId)) {
    throw new MembershipError('WRONG_GROUP', 'the genesis does not hash to the expected group id');
  }
  for (const change of rest) state = applyMembershipChange(state, change);
  return state;
}
