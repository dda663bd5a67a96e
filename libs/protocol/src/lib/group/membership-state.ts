/**
 * GroupMembershipState: what a verified membership chain says at its head. Immutable:
 * every change yields a new state (membership-chain.ts), nothing mutates one, and the
 * accessors hand out copies. Only verified chains and stored records create states.
 */
import { toHex } from '../bytes';
import { constantTimeEqual } from '../crypto/primitives';
import type { MemberDevice } from './member-device';
import { compareDevices, deviceKey, sameDevice } from './member-device';

const copyDevice = (d: MemberDevice): MemberDevice =>
  Object.freeze({ userId: d.userId, deviceId: d.deviceId, identityKey: d.identityKey.slice() });

export class GroupMembershipState {
  private readonly groupIdBytes: Uint8Array;
  private readonly headHashBytes: Uint8Array;
  private readonly byDevice: ReadonlyMap<string, MemberDevice>;
  private readonly byIdentity: ReadonlyMap<string, MemberDevice>;
  private readonly adminKeys: ReadonlySet<string>;

  /** @internal Built by the chain verifier and the record decoder only. */
  constructor(
    groupId: Uint8Array,
    readonly epoch: number,
    headHash: Uint8Array,
    members: Iterable<MemberDevice>,
    admins: Iterable<string>,
  ) {
    this.groupIdBytes = groupId.slice();
    this.headHashBytes = headHash.slice();
    const sorted = [...members].map(copyDevice).sort(compareDevices);
    this.byDevice = new Map(sorted.map((d) => [deviceKey(d), d]));
    this.byIdentity = new Map(sorted.map((d) => [toHex(d.identityKey), d]));
    this.adminKeys = new Set(admins);
    Object.freeze(this);
  }

  /** 32 bytes: SHA-256 of the genesis change. */
  get groupId(): Uint8Array {
    return this.groupIdBytes.slice();
  }

  /** SHA-256 of the last applied change: the next change's previous_hash. */
  get headHash(): Uint8Array {
    return this.headHashBytes.slice();
  }

  get memberCount(): number {
    return this.byDevice.size;
  }

  /** Member devices in canonical order (user id, then device id). */
  members(): MemberDevice[] {
    return [...this.byDevice.values()].map(copyDevice);
  }

  admins(): MemberDevice[] {
    return [...this.byDevice.values()]
      .filter((d) => this.adminKeys.has(deviceKey(d)))
      .map(copyDevice);
  }

  /** True only if user id, device id AND identity key all match a member. */
  isMember(device: MemberDevice): boolean {
    const m = this.byDevice.get(deviceKey(device));
    return m !== undefined && sameDevice(m, device);
  }

  isAdmin(device: MemberDevice): boolean {
    return this.isMember(device) && this.adminKeys.has(deviceKey(device));
  }

  memberByIdentityKey(identityKey: Uint8Array): MemberDevice | undefined {
    const m = this.byIdentity.get(toHex(identityKey));
    return m ? copyDevice(m) : undefined;
  }

  /** Devices that are members here but not in `next` (whose senders must rotate keys). */
  removedIn(next: GroupMembershipState): MemberDevice[] {
    return this.members().filter((d) => !next.isMember(d));
  }

  sameGroup(groupId: Uint8Array): boolean {
    return constantTimeEqual(this.groupIdBytes, groupId);
  }
}
