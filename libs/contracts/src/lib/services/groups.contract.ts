/**
 * group-membership: groups, the signed membership chain, admins. Every change carries the
 * admin device's signed membership-change bytes (the protocol's encoding); the service
 * checks them and appends them to the chain clients verify, so it cannot add a ghost member.
 */
import { z } from 'zod';
import { defineEvent, defineRpc } from '../contract';
import {
  MAX_CHAIN_PAGE,
  MAX_GROUP_MEMBERS,
  MAX_MEMBERS_PER_CHANGE,
  MAX_MEMBERSHIP_CHANGE_BYTES,
} from '../limits';
import { base64Bytes } from '../primitives/base64-bytes';
import {
  DeviceAddressSchema,
  GroupIdSchema,
  TimestampMsSchema,
  UserIdSchema,
} from '../primitives/ids';
import { SERVICES, SUBJECTS } from '../subjects';

/** Membership epoch: 0 at creation, +1 per accepted change. */
export const EpochSchema = z.number().int().nonnegative();
export const MembershipChangeBytesSchema = base64Bytes({ max: MAX_MEMBERSHIP_CHANGE_BYTES });
export const MemberRoleSchema = z.enum(['admin', 'member']);

const UserIdSet = (max: number) =>
  z
    .array(UserIdSchema)
    .min(1)
    .max(max)
    .refine((ids) => new Set(ids).size === ids.length, { message: 'user ids must be unique' });

export const CreateGroupRequestSchema = z.object({
  groupId: GroupIdSchema,
  /** The creating admin device; it signed `change`. */
  actor: DeviceAddressSchema,
  /** Initial members, the creator included. */
  members: UserIdSet(MAX_MEMBERS_PER_CHANGE),
  /** The signed genesis change (epoch 0). */
  change: MembershipChangeBytesSchema,
});
export const CreateGroupReplySchema = z.object({
  groupId: GroupIdSchema,
  epoch: EpochSchema,
});

export const ChangeMembersRequestSchema = z.object({
  groupId: GroupIdSchema,
  actor: DeviceAddressSchema,
  userIds: UserIdSet(MAX_MEMBERS_PER_CHANGE),
  /** The epoch the change was built on; an older one fails with EPOCH_CONFLICT. */
  baseEpoch: EpochSchema,
  change: MembershipChangeBytesSchema,
});
export const ChangeMembersReplySchema = z.object({
  groupId: GroupIdSchema,
  epoch: EpochSchema,
});

export const ListMembersRequestSchema = z.object({
  groupId: GroupIdSchema,
  /** The asking user; a non-member gets NOT_A_MEMBER. */
  requester: UserIdSchema,
});
export const ListMembersReplySchema = z.object({
  groupId: GroupIdSchema,
  epoch: EpochSchema,
  members: z
    .array(z.object({ userId: UserIdSchema, role: MemberRoleSchema }))
    .max(MAX_GROUP_MEMBERS),
});

export const GetChainRequestSchema = z.object({
  groupId: GroupIdSchema,
  requester: UserIdSchema,
  /** First epoch wanted (default 0). */
  fromEpoch: EpochSchema.optional(),
  limit: z.number().int().min(1).max(MAX_CHAIN_PAGE).optional(),
});
export const ChainEntrySchema = z.object({
  epoch: EpochSchema,
  change: MembershipChangeBytesSchema,
  at: TimestampMsSchema,
});
export const GetChainReplySchema = z.object({
  groupId: GroupIdSchema,
  entries: z.array(ChainEntrySchema).max(MAX_CHAIN_PAGE),
  /** Epoch to ask for next; absent at the end of the chain. */
  nextEpoch: EpochSchema.optional(),
});

export const MembershipChangedEventSchema = z.object({
  groupId: GroupIdSchema,
  epoch: EpochSchema,
  kind: z.enum(['created', 'added', 'removed']),
  actor: DeviceAddressSchema,
  userIds: z.array(UserIdSchema).max(MAX_MEMBERS_PER_CHANGE),
  at: TimestampMsSchema,
});

const service = SERVICES.groupMembership;

export const GroupRpc = {
  create: defineRpc({
    subject: SUBJECTS.groups.create,
    service,
    request: CreateGroupRequestSchema,
    reply: CreateGroupReplySchema,
  }),
  addMembers: defineRpc({
    subject: SUBJECTS.groups.addMembers,
    service,
    request: ChangeMembersRequestSchema,
    reply: ChangeMembersReplySchema,
  }),
  removeMembers: defineRpc({
    subject: SUBJECTS.groups.removeMembers,
    service,
    request: ChangeMembersRequestSchema,
    reply: ChangeMembersReplySchema,
  }),
  listMembers: defineRpc({
    subject: SUBJECTS.groups.listMembers,
    service,
    request: ListMembersRequestSchema,
    reply: ListMembersReplySchema,
  }),
  getChain: defineRpc({
    subject: SUBJECTS.groups.getChain,
    service,
    request: GetChainRequestSchema,
    reply: GetChainReplySchema,
  }),
} as const;

export const GroupEvents = {
  /** Clients rotate sender keys on it; kept in JetStream so no member misses it. */
  membershipChanged: defineEvent({
    subject: SUBJECTS.events.membershipChanged,
    stream: 'events',
    schema: MembershipChangedEventSchema,
  }),
} as const;
