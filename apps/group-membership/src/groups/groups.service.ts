/**
 * Group membership rules. Policies (also in the app's README):
 * - Every change is verified by the protocol's own chain code against the stored head
 *   before anything is stored; a bad signature is INVALID_SIGNATURE, a change the author
 *   may not make (e.g. a plain member removing someone else) is FORBIDDEN, a change built
 *   on another head is EPOCH_CONFLICT. Nothing is stored when a change is refused.
 * - The group id is the lowercase hex SHA-256 of the genesis change (the protocol's
 *   `state.groupId`); a create naming another id is VALIDATION_FAILED.
 * - The actor (the authenticated device the gateway forwards) must be the genesis's
 *   creator, and for later changes a member device allowed to make that kind of change.
 * - `userIds` must be exactly the users whose devices the change adds or removes.
 * - Changes of one group are serialized by a row lock on the group; `baseEpoch` must be the
 *   current epoch, so of two changes built on the same epoch exactly one lands.
 * - Sending the same change again (same bytes at baseEpoch + 1, or the same genesis) is
 *   idempotent: it answers as the first time and publishes the event again (the stream
 *   stores it once). A failed publish answers UNAVAILABLE, so the caller retries.
 * - Members and the chain are shown to current members only (NOT_A_MEMBER otherwise, also
 *   for unknown groups, so the answer does not reveal which groups exist).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress, ReplyOf, RequestOf, Rpc } from '@parley/contracts';
import {
  DeviceIdSchema,
  EpochConflictError,
  ForbiddenError,
  MAX_CHAIN_PAGE,
  NotAMemberError,
  NotFoundError,
  UnavailableError,
  ValidationFailedError,
} from '@parley/contracts';
import { PARLEY_LOGGER } from '@parley/server-kit';
import type { Logger } from 'pino';
import type { ChainRecord, DeviceRow, GroupHead, Tx } from './groups.repository';
import { GroupsRepository } from './groups.repository';
import { MembershipChangedNotifier } from './membership-changed.notifier';
import { equalBytes, MembershipStateCache } from './membership-state.cache';
import type { GroupMembershipState } from './membership.verifier';
import { MembershipVerifier } from './membership.verifier';

type Groups = typeof Rpc.groups;
type ChangeRequest = RequestOf<Groups['addMembers']>;
export type ChangeKind = 'added' | 'removed';

interface Landed {
  readonly entry: ChainRecord;
  readonly state: GroupMembershipState | undefined;
}

@Injectable()
export class GroupsService {
  constructor(
    @Inject(GroupsRepository) private readonly repo: GroupsRepository,
    @Inject(MembershipVerifier) private readonly verifier: MembershipVerifier,
    @Inject(MembershipStateCache) private readonly cache: MembershipStateCache,
    @Inject(MembershipChangedNotifier) private readonly notifier: MembershipChangedNotifier,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  async create(req: RequestOf<Groups['create']>): Promise<ReplyOf<Groups['create']>> {
    const state = this.verifier.genesis(req.change);
    const groupId = groupIdOf(state);
    if (req.groupId !== groupId) {
      throw invalid('groupId', 'must be the lowercase hex SHA-256 of the genesis change');
    }
    checkUserIds('members', req.members, state.members());
    // At epoch 0 the creator is the only admin.
    const creator = state.admins()[0];
    if (!creator || !isDevice(creator, req.actor)) {
      throw new ForbiddenError('the actor is not the device that signed the genesis change');
    }

    const landed = await this.repo.transaction(async (tx): Promise<Landed> => {
      const head = { epoch: 0, headHash: state.headHash };
      if (!(await this.repo.insertGroup(tx, groupId, head))) {
        // Same id, so the same genesis: a retried create.
        const genesis = await this.repo.findChange(tx, groupId, 0);
        if (!genesis) throw new Error('stored group without a genesis');
        return { entry: genesis, state: undefined };
      }
      const entry = await this.repo.appendChange(tx, {
        groupId,
        epoch: 0,
        kind: 'created',
        change: req.change,
        hash: state.headHash,
        actor: req.actor,
      });
      await this.syncMembers(tx, groupId, state);
      return { entry, state };
    });
    if (landed.state) this.cache.set(groupId, landed.state);
    await this.publish(groupId, landed.entry, req.members);
    return { groupId, epoch: 0 };
  }

  async changeMembers(
    kind: ChangeKind,
    req: ChangeRequest,
  ): Promise<ReplyOf<Groups['addMembers']>> {
    const { groupId } = req;
    const landed = await this.repo.transaction(async (tx): Promise<Landed> => {
      const head = await this.repo.lockGroup(tx, groupId);
      if (!head) throw new NotFoundError('group');
      const already = await this.repo.findChange(tx, groupId, req.baseEpoch + 1);
      if (already && already.kind === kind && equalBytes(already.change, req.change)) {
        // A retry: its userIds must fit the stored change too (they go into the event).
        const before = this.verifier.replay(
          await this.repo.changesUpTo(tx, groupId, req.baseEpoch),
        );
        const after = this.verifier.next(before, already.change);
        checkUserIds('userIds', req.userIds, subjectsOf(kind, before, after));
        return { entry: already, state: undefined };
      }
      if (req.baseEpoch !== head.epoch) throw new EpochConflictError(head.epoch);

      const state = await this.headState(tx, groupId, head);
      const next = this.verifier.next(state, req.change);
      const subjects = subjectsOf(kind, state, next);
      checkUserIds('userIds', req.userIds, subjects);
      authorizeActor(state, req.actor, kind, subjects);

      const entry = await this.repo.appendChange(tx, {
        groupId,
        epoch: next.epoch,
        kind,
        change: req.change,
        hash: next.headHash,
        actor: req.actor,
      });
      await this.repo.advanceGroup(tx, groupId, head.epoch, {
        epoch: next.epoch,
        headHash: next.headHash,
      });
      await this.syncMembers(tx, groupId, next);
      return { entry, state: next };
    });
    if (landed.state) this.cache.set(groupId, landed.state);
    await this.publish(groupId, landed.entry, req.userIds);
    return { groupId, epoch: landed.entry.epoch };
  }

  async listMembers(
    req: RequestOf<Groups['listMembers']>,
  ): Promise<ReplyOf<Groups['listMembers']>> {
    return this.repo.snapshot(async (tx) => {
      const head = await this.memberView(tx, req.groupId, req.requester);
      const members = await this.repo.listMembers(tx, req.groupId);
      return {
        groupId: req.groupId,
        epoch: head.epoch,
        members: members.map((m) => ({
          userId: m.userId,
          role: m.isAdmin ? ('admin' as const) : ('member' as const),
        })),
      };
    });
  }

  async getChain(req: RequestOf<Groups['getChain']>): Promise<ReplyOf<Groups['getChain']>> {
    const limit = req.limit ?? MAX_CHAIN_PAGE;
    return this.repo.snapshot(async (tx) => {
      await this.memberView(tx, req.groupId, req.requester);
      const rows = await this.repo.chainPage(tx, req.groupId, req.fromEpoch ?? 0, limit + 1);
      const page = rows.slice(0, limit);
      const after = rows[limit];
      return {
        groupId: req.groupId,
        entries: page.map((r) => ({ epoch: r.epoch, change: r.change, at: r.createdAt.getTime() })),
        ...(after ? { nextEpoch: after.epoch } : {}),
      };
    });
  }

  /** The head, when `requester` is a current member; NOT_A_MEMBER otherwise. */
  private async memberView(tx: Tx, groupId: string, requester: string): Promise<GroupHead> {
    const head = await this.repo.findHead(tx, groupId);
    if (!head || !(await this.repo.isMember(tx, groupId, requester))) {
      throw new NotAMemberError(groupId);
    }
    return head;
  }

  /** The verified state at the stored head: cached, or rebuilt from the stored chain. */
  private async headState(tx: Tx, groupId: string, head: GroupHead): Promise<GroupMembershipState> {
    const cached = this.cache.get(groupId, head);
    if (cached) return cached;
    const state = this.verifier.replay(await this.repo.changesUpTo(tx, groupId));
    if (state.epoch !== head.epoch || !equalBytes(state.headHash, head.headHash)) {
      throw new Error('stored chain disagrees with the stored head');
    }
    this.cache.set(groupId, state);
    return state;
  }

  private async syncMembers(tx: Tx, groupId: string, state: GroupMembershipState): Promise<void> {
    const devices: DeviceRow[] = state.members();
    const admins = new Set(state.admins().map((d) => d.userId));
    await this.repo.syncMembers(tx, groupId, state.epoch, devices, admins);
  }

  /** After commit. A failure asks the caller to retry: the retry republishes (deduplicated). */
  private async publish(groupId: string, entry: ChainRecord, userIds: readonly string[]) {
    try {
      await this.notifier.notify({
        groupId,
        epoch: entry.epoch,
        kind: entry.kind,
        actor: { userId: entry.actorUserId, deviceId: entry.actorDeviceId },
        userIds: [...userIds],
        at: entry.createdAt.getTime(),
      });
    } catch (error) {
      this.logger.warn(
        { code: (error as { code?: string }).code ?? 'INTERNAL', groupId, epoch: entry.epoch },
        'membership event not published; the change is stored, a retry publishes it',
      );
      throw new UnavailableError(
        'dependency',
        'membership change stored but its event was not published: send the same request again',
      );
    }
  }
}

function groupIdOf(state: GroupMembershipState): string {
  return Buffer.from(state.groupId).toString('hex');
}

/** The devices a change added or removed; an add sent as a removal (or back) is refused. */
function subjectsOf(
  kind: ChangeKind,
  before: GroupMembershipState,
  after: GroupMembershipState,
): DeviceRow[] {
  const subjects = kind === 'added' ? after.removedIn(before) : before.removedIn(after);
  if (subjects.length === 0) {
    throw invalid('change', `the change does not ${kind === 'added' ? 'add' : 'remove'} members`);
  }
  return subjects;
}

function isDevice(device: DeviceRow, address: DeviceAddress): boolean {
  return device.userId === address.userId && device.deviceId === address.deviceId;
}

function invalid(path: string, message: string): ValidationFailedError {
  return new ValidationFailedError([{ path, message }], `invalid request: ${path}: ${message}`);
}

/**
 * `userIds` must name exactly the users of `devices`. As `userIds` passed the contract's id
 * rules, so do the signed change's user ids; device ids are checked here (the protocol
 * allows 0, the contracts and tables do not).
 */
function checkUserIds(path: string, userIds: readonly string[], devices: readonly DeviceRow[]) {
  if (!devices.every((d) => DeviceIdSchema.safeParse(d.deviceId).success)) {
    throw invalid('change', 'device ids must be 1..2^32-1');
  }
  const expected = new Set(devices.map((d) => d.userId));
  if (userIds.length !== expected.size || !userIds.every((u) => expected.has(u))) {
    throw invalid(path, 'must list exactly the users the signed change names');
  }
}

/**
 * The authenticated actor must be a member device allowed to make this change at the
 * current head (the protocol checked the signer; this binds the caller to the same rules).
 */
function authorizeActor(
  state: GroupMembershipState,
  actor: DeviceAddress,
  kind: ChangeKind,
  subjects: readonly DeviceRow[],
): void {
  const device = state.members().find((d) => isDevice(d, actor));
  if (!device) throw new ForbiddenError('the actor is not a member device of the group');
  const leaving = kind === 'removed' && subjects.every((s) => s.userId === actor.userId);
  if (!state.isAdmin(device) && !leaving) {
    throw new ForbiddenError('only an admin may make this membership change');
  }
}
