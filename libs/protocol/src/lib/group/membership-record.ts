/**
 * GroupMembershipState <-> GroupMembershipRecord (bytes of the storage protobuf
 * parley.storage.v1.GroupMembershipRecord, with the version byte), so a device does not
 * re-verify the whole chain at each start. The record is trusted local state: keep it in
 * the device's own authenticated (encrypted) store. Decoding is still strict.
 */
import { KEY_BYTES } from '../crypto/primitives';
import { DecodeError } from '../errors';
import { decodeVersioned, encodeVersioned, requireLength } from '../wire/codec';
import { GroupMembershipRecordSchema } from '../wire/generated/parley/storage/v1/group_membership_pb';
import { toHex } from '../bytes';
import {
  GROUP_ID_BYTES,
  MAX_GROUP_DEVICES,
  MAX_MEMBERSHIP_RECORD_BYTES,
  MEMBERSHIP_HASH_BYTES,
} from './constants';
import type { MemberDevice } from './member-device';
import { compareDevices, deviceKey, userIdProblem } from './member-device';
import { GroupMembershipState } from './membership-state';

/** A serialized GroupMembershipState. */
export type GroupMembershipRecord = Uint8Array;

const WHAT = 'GroupMembershipRecord';

export function serializeMembershipState(state: GroupMembershipState): GroupMembershipRecord {
  return encodeVersioned(GroupMembershipRecordSchema, {
    groupId: state.groupId,
    epoch: BigInt(state.epoch),
    headHash: state.headHash,
    members: state.members().map((d) => ({ ...d, admin: state.isAdmin(d) })),
  });
}

/** Throws DecodeError for anything that is not a well-formed record. */
export function deserializeMembershipState(record: GroupMembershipRecord): GroupMembershipState {
  const m = decodeVersioned(GroupMembershipRecordSchema, record, WHAT, MAX_MEMBERSHIP_RECORD_BYTES);
  if (m.epoch > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('MALFORMED', WHAT, 'epoch');
  if (m.members.length === 0 || m.members.length > MAX_GROUP_DEVICES) {
    throw new DecodeError('MALFORMED', WHAT, 'member count');
  }
  const members: MemberDevice[] = [];
  const admins: string[] = [];
  const identities = new Set<string>();
  for (const r of m.members) {
    const problem = userIdProblem(r.userId);
    if (problem) throw new DecodeError('MALFORMED', WHAT, problem);
    const d = {
      userId: r.userId,
      deviceId: r.deviceId,
      identityKey: requireLength(r.identityKey, KEY_BYTES, WHAT, 'identity key'),
    };
    const previous = members[members.length - 1];
    if (previous && compareDevices(previous, d) >= 0) {
      throw new DecodeError('MALFORMED', WHAT, 'members must be sorted and distinct');
    }
    identities.add(toHex(d.identityKey));
    members.push(d);
    if (r.admin) admins.push(deviceKey(d));
  }
  if (identities.size !== members.length)
    throw new DecodeError('MALFORMED', WHAT, 'identity key used twice');
  if (admins.length === 0) throw new DecodeError('MALFORMED', WHAT, 'no admin');
  return new GroupMembershipState(
    requireLength(m.groupId, GROUP_ID_BYTES, WHAT, 'group id'),
    Number(m.epoch),
    requireLength(m.headHash, MEMBERSHIP_HASH_BYTES, WHAT, 'head hash'),
    members,
    admins,
  );
}
