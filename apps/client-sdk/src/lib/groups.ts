/**
 * Groups: the signed membership chain (fetched, verified with the protocol, cached), group
 * changes built and signed on this device, and the two sending modes. Recipients, and
 * holders of our sender key, come ONLY from the verified chain: a device the server lists
 * but the chain does not name never gets a message or a key.
 */
import type {
  GroupMembershipState,
  IdentityKeyPair,
  MemberDevice,
  RandomSource,
} from '@parley/protocol';
import {
  applyMembershipChange,
  buildMembershipChange,
  createGroup,
  createOwnSenderKey,
  createSenderKeyDistribution,
  decryptSenderKeyMessage,
  deserializeMembershipState,
  deserializeSenderKeyState,
  devicesOfUser,
  encryptPairwiseGroupMessage,
  encryptSenderKeyMessage,
  fromHex,
  InvalidArgumentError as ProtocolInvalidArgumentError,
  processSenderKeyDistribution,
  rotateOwnSenderKey,
  senderKeyRotationDue,
  serializeMembershipState,
  serializeSenderKeyState,
  toHex,
  UnknownSenderKeyError,
  verifyMembershipChain,
} from '@parley/protocol';
import type { StoredMessage } from '@parley/contracts';
import type { DeviceAddress } from './addresses';
import { addressKey } from './addresses';
import type { GroupBody, SdkContent } from './content';
import {
  decodeJson,
  directPlaintext,
  encodeJson,
  GroupBodySchema,
  groupPlaintext,
} from './content';
import {
  GroupIntegrityError,
  InvalidArgumentError,
  isApiError,
  NotAdminError,
  SendFailedError,
  UnknownGroupError,
} from './errors';
import type { Outbox, Target } from './outbox';
import { MAX_SEND_ATTEMPTS, newClientMessageId } from './outbox';
import type { Sessions } from './sessions';
import type { GroupMode, GroupRecord, ParleyStore } from './store/store';
import type { GatewayApi, OutgoingEnvelope } from './transport/gateway-api';

export interface GroupOptions {
  readonly mode: GroupMode;
  /** Sender keys only: each member rotates its sender key after this many messages. */
  readonly rotateAfterMessages?: number;
}

export interface GroupInfo {
  readonly groupId: string;
  readonly name: string;
  readonly mode: GroupMode;
  readonly epoch: number;
  /** User ids of the members, from the verified chain. */
  readonly members: string[];
  readonly admins: string[];
  readonly active: boolean;
}

export interface GroupContext {
  readonly store: ParleyStore;
  readonly api: GatewayApi;
  readonly outbox: Outbox;
  readonly sessions: Sessions;
  readonly identity: IdentityKeyPair;
  readonly self: MemberDevice;
  readonly random: RandomSource;
  readonly now: () => number;
}

type Learned = Partial<Pick<GroupRecord, 'name' | 'mode' | 'rotateAfterMessages'>>;

export type SenderKeyOpen =
  | { readonly kind: 'ok'; readonly groupId: string; readonly body: GroupBody }
  | { readonly kind: 'wait' }
  | { readonly kind: 'refused'; readonly reason: 'unknown-group' | 'not-a-member' | 'malformed' };

const memberKey = (d: MemberDevice) => `${addressKey(d)}/${toHex(d.identityKey)}`;
const users = (devices: readonly MemberDevice[]) => [...new Set(devices.map((d) => d.userId))];

export class Groups {
  private readonly states = new Map<string, GroupMembershipState>();

  constructor(private readonly ctx: GroupContext) {}

  async init(): Promise<void> {
    for (const id of await this.ctx.store.listGroupIds()) {
      const record = await this.ctx.store.loadGroup(id);
      if (record?.active) this.states.set(id, deserializeMembershipState(record.membership));
    }
  }

  /** Synchronous lookup for the protocol's pairwise payload check (bytes group id). */
  membershipOf = (groupId: Uint8Array): GroupMembershipState | undefined =>
    this.states.get(toHex(groupId));

  stateOf(groupId: string): GroupMembershipState | undefined {
    return this.states.get(groupId);
  }

  async info(groupId: string): Promise<GroupInfo> {
    const record = await this.ctx.store.loadGroup(groupId);
    if (!record) throw new UnknownGroupError(groupId);
    return infoOf(record, deserializeMembershipState(record.membership));
  }

  // --- the chain -------------------------------------------------------------------

  /**
   * Fetches the chain past our verified head and verifies every change (from the genesis,
   * bound to the group id, when the group is new to us). Returns the record, or undefined
   * when the server says we are not (or no longer) a member of a group we did not know.
   */
  async sync(groupId: string, learned: Learned = {}): Promise<GroupRecord | undefined> {
    if (!/^[0-9a-f]{64}$/.test(groupId)) throw new InvalidArgumentError('not a group id');
    const record = await this.ctx.store.loadGroup(groupId);
    const before = record ? deserializeMembershipState(record.membership) : undefined;
    const changes: Uint8Array[] = [];
    let from = before ? before.epoch + 1 : 0;
    for (;;) {
      let page;
      try {
        page = await this.ctx.api.chain(groupId, from);
      } catch (error) {
        if (!isApiError(error, 'NOT_A_MEMBER')) throw error;
        if (!record) return undefined;
        const left = { ...record, active: false };
        await this.ctx.store.saveGroup(left);
        this.states.delete(groupId);
        return left;
      }
      changes.push(...page.entries.map((e) => e.change));
      if (page.nextEpoch === undefined || page.entries.length === 0) break;
      from = page.nextEpoch;
    }
    let state = before;
    try {
      if (!state) state = verifyMembershipChain(changes, fromHex(groupId));
      else for (const change of changes) state = applyMembershipChange(state, change);
    } catch (error) {
      throw new GroupIntegrityError(
        `the membership chain of ${groupId} does not verify (${(error as Error).message}); nothing is sent to it`,
      );
    }
    return this.adopt(groupId, record, state, learned);
  }

  /** Saves a newly verified state: rotation needs, dropped sender keys, our own membership. */
  private async adopt(
    groupId: string,
    record: GroupRecord | undefined,
    state: GroupMembershipState,
    learned: Learned,
  ): Promise<GroupRecord> {
    const before = record ? deserializeMembershipState(record.membership) : undefined;
    const removed = before ? before.removedIn(state) : [];
    for (const d of removed) await this.ctx.store.deleteSenderKey(groupId, d);
    const stillThere = new Set(state.members().map(memberKey));
    const next: GroupRecord = {
      groupId,
      name: learned.name ?? record?.name ?? `group-${groupId.slice(0, 8)}`,
      mode: learned.mode ?? record?.mode ?? 'pairwise',
      rotateAfterMessages: learned.rotateAfterMessages ?? record?.rotateAfterMessages,
      membership: serializeMembershipState(state),
      active: state.isMember(this.ctx.self),
      senderKeyDistributedTo: (record?.senderKeyDistributedTo ?? []).filter((k) =>
        stillThere.has(k),
      ),
      senderKeyNeedsRotation: (record?.senderKeyNeedsRotation ?? false) || removed.length > 0,
    };
    await this.ctx.store.saveGroup(next);
    if (next.active) this.states.set(groupId, state);
    else this.states.delete(groupId);
    return next;
  }

  private async current(
    groupId: string,
  ): Promise<{ record: GroupRecord; state: GroupMembershipState }> {
    let record = await this.ctx.store.loadGroup(groupId);
    if (!record) record = await this.sync(groupId);
    if (!record?.active) throw new UnknownGroupError(groupId);
    return { record, state: deserializeMembershipState(record.membership) };
  }

  // --- changes made here -------------------------------------------------------------

  private async chainDevicesOf(userId: string): Promise<MemberDevice[]> {
    const list = await this.ctx.outbox.devicesOf(userId, true);
    return list.map((d) => ({
      userId,
      deviceId: d.deviceId,
      identityKey: d.identityKey as Uint8Array,
    }));
  }

  async create(
    name: string,
    memberUserIds: readonly string[],
    options: GroupOptions,
  ): Promise<GroupInfo> {
    const self = this.ctx.self;
    const userIds = [...new Set([self.userId, ...memberUserIds])];
    const devices: MemberDevice[] = [];
    for (const u of userIds) devices.push(...(await this.chainDevicesOf(u)));
    const others = devices.filter(
      (d) => !(d.userId === self.userId && d.deviceId === self.deviceId),
    );
    const built = createGroup(this.ctx.identity, self, others, this.ctx.random, this.ctx.now());
    const groupId = toHex(built.state.groupId);
    await this.ctx.api.createGroup({ groupId, members: userIds, change: built.change });
    const record = await this.adopt(groupId, undefined, built.state, {
      name,
      mode: options.mode,
      rotateAfterMessages: options.rotateAfterMessages,
    });
    await this.invite(record, built.state, others);
    return infoOf(record, built.state);
  }

  async addMember(groupId: string, userId: string): Promise<GroupInfo> {
    return this.change(groupId, 'add', userId);
  }

  async removeMember(groupId: string, userId: string): Promise<GroupInfo> {
    return this.change(groupId, 'remove', userId);
  }

  private async change(
    groupId: string,
    action: 'add' | 'remove',
    userId: string,
  ): Promise<GroupInfo> {
    for (let attempt = 0; attempt < MAX_SEND_ATTEMPTS; attempt++) {
      const record = await this.sync(groupId);
      if (!record?.active) throw new UnknownGroupError(groupId);
      const state = deserializeMembershipState(record.membership);
      if (
        !state.isAdmin(this.ctx.self) &&
        !(action === 'remove' && userId === this.ctx.self.userId)
      ) {
        throw new NotAdminError('only a group admin changes its members');
      }
      const subjects =
        action === 'add' ? await this.chainDevicesOf(userId) : devicesOfUser(state, userId);
      if (subjects.length === 0)
        throw new InvalidArgumentError(`${userId} has no devices to ${action}`);
      const built = buildMembershipChange(
        state,
        this.ctx.identity,
        action,
        subjects,
        this.ctx.now(),
      );
      try {
        await this.ctx.api.changeMembers(groupId, action, {
          userIds: [userId],
          baseEpoch: state.epoch,
          change: built.change,
        });
      } catch (error) {
        if (isApiError(error, 'EPOCH_CONFLICT')) continue;
        throw error;
      }
      const next = await this.adopt(groupId, record, built.state, {});
      if (action === 'add') await this.invite(next, built.state, subjects);
      return infoOf(next, built.state);
    }
    throw new SendFailedError(`the membership change of ${groupId} kept conflicting`);
  }

  /** Tells member devices about the group over their pairwise sessions. */
  private async invite(
    record: GroupRecord,
    state: GroupMembershipState,
    devices: readonly MemberDevice[],
  ): Promise<void> {
    const invitees = users(devices);
    const targets = state.members().filter((d) => invitees.includes(d.userId));
    const content: SdkContent = {
      t: 'group-invite',
      groupId: record.groupId,
      name: record.name,
      mode: record.mode,
      epoch: state.epoch,
      ...(record.rotateAfterMessages ? { rotateAfterMessages: record.rotateAfterMessages } : {}),
    };
    await this.ctx.outbox.post(
      targets,
      () => directPlaintext(content),
      newClientMessageId(this.ctx.random),
    );
  }

  // --- sending -------------------------------------------------------------------------

  async send(groupId: string, body: GroupBody): Promise<void> {
    const { record } = await this.current(groupId);
    if (record.mode === 'sender-keys') await this.sendWithSenderKey(groupId, body);
    else await this.sendPairwise(groupId, body);
  }

  private async sendPairwise(groupId: string, body: GroupBody): Promise<void> {
    const clientMessageId = newClientMessageId(this.ctx.random);
    const bodyBytes = encodeJson(GroupBodySchema, body);
    let { state } = await this.current(groupId);
    for (let attempt = 0; attempt < MAX_SEND_ATTEMPTS; attempt++) {
      const members = state
        .members()
        .filter(
          (d) => !(d.userId === this.ctx.self.userId && d.deviceId === this.ctx.self.deviceId),
        );
      const records = new Map<string, Awaited<ReturnType<Sessions['ready']>>>();
      for (const d of members)
        records.set(addressKey(d), await this.ctx.sessions.ready(d, d.identityKey));
      const ciphertexts = encryptPairwiseGroupMessage(
        state,
        this.ctx.self,
        bodyBytes,
        (device, plaintext) => {
          const record = records.get(addressKey(device));
          if (!record) throw new GroupIntegrityError('no session prepared for a member');
          return record.encrypt(groupPlaintext(plaintext));
        },
      );
      for (const d of members) {
        const record = records.get(addressKey(d));
        if (record) await this.ctx.sessions.save(d, record);
      }
      const envelopes: OutgoingEnvelope[] = ciphertexts.map((c) => ({
        recipient: { userId: c.device.userId, deviceId: c.device.deviceId },
        type: c.ciphertext.type,
        content: c.ciphertext.body,
      }));
      if (envelopes.length === 0) return;
      try {
        await this.ctx.api.sendMessages({
          clientMessageId,
          envelopes,
          group: { groupId, epoch: state.epoch },
        });
        return;
      } catch (error) {
        if (!isApiError(error, 'EPOCH_CONFLICT') && !isApiError(error, 'MISMATCHED_DEVICES'))
          throw error;
        const before = state.epoch;
        const record = await this.sync(groupId);
        if (!record?.active) throw new UnknownGroupError(groupId);
        state = deserializeMembershipState(record.membership);
        if (isApiError(error, 'MISMATCHED_DEVICES') && state.epoch === before) {
          throw new GroupIntegrityError(
            `the server's member devices of ${groupId} differ from the signed chain; refusing to encrypt to them`,
          );
        }
      }
    }
    throw new SendFailedError(`group ${groupId}: epoch conflicts did not settle`);
  }

  private async ownSenderKey(groupId: string) {
    const bytes = await this.ctx.store.loadSenderKey(groupId, this.ctx.self);
    return bytes
      ? deserializeSenderKeyState(bytes)
      : createOwnSenderKey(fromHex(groupId), this.ctx.random, this.ctx.now());
  }

  private async sendWithSenderKey(groupId: string, body: GroupBody): Promise<void> {
    const clientMessageId = newClientMessageId(this.ctx.random);
    const plaintext = encodeJson(GroupBodySchema, body);
    for (let attempt = 0; attempt < MAX_SEND_ATTEMPTS; attempt++) {
      let { record } = await this.current(groupId);
      const state = deserializeMembershipState(record.membership);
      const own = await this.ownSenderKey(groupId);
      const policy = record.rotateAfterMessages ? { maxMessages: record.rotateAfterMessages } : {};
      if (record.senderKeyNeedsRotation || senderKeyRotationDue(own, policy, this.ctx.now())) {
        rotateOwnSenderKey(own, this.ctx.random, this.ctx.now());
        record = { ...record, senderKeyDistributedTo: [], senderKeyNeedsRotation: false };
      }
      await this.ctx.store.saveSenderKey(groupId, this.ctx.self, serializeSenderKeyState(own));
      await this.ctx.store.saveGroup(record);

      // Our chain goes to every member device of the verified chain that lacks it.
      const others = state.members().filter((d) => memberKey(d) !== memberKey(this.ctx.self));
      const lacking = others.filter((d) => !record.senderKeyDistributedTo.includes(memberKey(d)));
      if (lacking.length > 0) {
        const lackingUsers = users(lacking);
        const targets: Target[] = others.filter((d) => lackingUsers.includes(d.userId));
        const content: SdkContent = {
          t: 'sender-key',
          groupId,
          epoch: state.epoch,
          distribution: createSenderKeyDistribution(own),
        };
        await this.ctx.outbox.post(
          targets,
          () => directPlaintext(content),
          newClientMessageId(this.ctx.random),
        );
        record = {
          ...record,
          senderKeyDistributedTo: [
            ...new Set([
              ...record.senderKeyDistributedTo,
              ...targets.map((t) => memberKey(t as MemberDevice)),
            ]),
          ],
        };
        await this.ctx.store.saveGroup(record);
      }

      const ciphertext = encryptSenderKeyMessage(own, plaintext);
      await this.ctx.store.saveSenderKey(groupId, this.ctx.self, serializeSenderKeyState(own));
      try {
        await this.ctx.api.sendGroupMessage(groupId, {
          clientMessageId,
          epoch: state.epoch,
          ciphertext,
        });
        return;
      } catch (error) {
        if (!isApiError(error, 'EPOCH_CONFLICT')) throw error;
        await this.sync(groupId);
      }
    }
    throw new SendFailedError(`group ${groupId}: epoch conflicts did not settle`);
  }

  // --- receiving -------------------------------------------------------------------------

  /** An invitation from an authenticated member device: verify the chain, keep the settings. */
  async onInvite(
    sender: MemberDevice,
    content: Extract<SdkContent, { t: 'group-invite' }>,
  ): Promise<GroupInfo | undefined> {
    const record = await this.sync(content.groupId);
    if (!record?.active) return undefined;
    const state = deserializeMembershipState(record.membership);
    // Only a member of the verified chain may name the group's settings.
    if (!state.isMember(sender)) return undefined;
    const updated: GroupRecord = {
      ...record,
      name: content.name,
      mode: content.mode,
      rotateAfterMessages: content.rotateAfterMessages,
    };
    await this.ctx.store.saveGroup(updated);
    return infoOf(updated, state);
  }

  /** A sender key from an authenticated device: kept only if the chain says it is a member. */
  async onSenderKey(
    sender: MemberDevice,
    content: Extract<SdkContent, { t: 'sender-key' }>,
  ): Promise<boolean> {
    let state = this.states.get(content.groupId);
    if (!state?.isMember(sender)) {
      const record = await this.sync(
        content.groupId,
        this.states.has(content.groupId) ? {} : { mode: 'sender-keys' },
      );
      state = record?.active ? deserializeMembershipState(record.membership) : undefined;
    }
    if (!state?.isMember(sender)) return false;
    const groupIdBytes = fromHex(content.groupId);
    const bytes = await this.ctx.store.loadSenderKey(content.groupId, sender);
    const existing = bytes ? deserializeSenderKeyState(bytes) : undefined;
    let next;
    try {
      next = processSenderKeyDistribution(
        existing,
        groupIdBytes,
        content.distribution,
        this.ctx.now(),
      );
    } catch (error) {
      // A new distribution id (the sender restarted its key): it replaces the old state.
      if (!(error instanceof ProtocolInvalidArgumentError)) throw error;
      next = processSenderKeyDistribution(
        undefined,
        groupIdBytes,
        content.distribution,
        this.ctx.now(),
      );
    }
    await this.ctx.store.saveSenderKey(content.groupId, sender, serializeSenderKeyState(next));
    return true;
  }

  /** Opens a sender-key message; `wait` when the sender's key has not arrived (yet). */
  async openSenderKeyMessage(m: StoredMessage): Promise<SenderKeyOpen> {
    const groupId = m.groupId;
    if (groupId === undefined || !/^[0-9a-f]{64}$/.test(groupId))
      return { kind: 'refused', reason: 'unknown-group' };
    const isSender = (s: GroupMembershipState | undefined) =>
      s?.members().some((d) => d.userId === m.sender.userId && d.deviceId === m.sender.deviceId) ??
      false;
    let state = this.states.get(groupId);
    if (!isSender(state)) {
      const record = await this.sync(groupId);
      state = record?.active ? deserializeMembershipState(record.membership) : undefined;
    }
    if (!state) return { kind: 'refused', reason: 'unknown-group' };
    if (!isSender(state)) return { kind: 'refused', reason: 'not-a-member' };
    const sender: DeviceAddress = m.sender;
    const bytes = await this.ctx.store.loadSenderKey(groupId, sender);
    if (!bytes) return { kind: 'wait' };
    const senderKey = deserializeSenderKeyState(bytes);
    let plaintext: Uint8Array;
    try {
      plaintext = decryptSenderKeyMessage(senderKey, m.content);
    } catch (error) {
      if (error instanceof UnknownSenderKeyError) return { kind: 'wait' };
      throw error;
    }
    await this.ctx.store.saveSenderKey(groupId, sender, serializeSenderKeyState(senderKey));
    const body = decodeJson(GroupBodySchema, plaintext);
    return body ? { kind: 'ok', groupId, body } : { kind: 'refused', reason: 'malformed' };
  }
}

function infoOf(record: GroupRecord, state: GroupMembershipState): GroupInfo {
  return {
    groupId: record.groupId,
    name: record.name,
    mode: record.mode,
    epoch: state.epoch,
    members: users(state.members()),
    admins: users(state.admins()),
    active: record.active,
  };
}
