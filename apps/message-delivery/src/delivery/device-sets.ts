/**
 * Who a send must reach, asked from the services that know: prekey-directory (the current
 * devices of users) and group-membership (the current members and epoch of a group). The
 * comparison with what a sender named is pure (`compareDeviceSets`), so it is unit-tested.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress, GroupId, UserId } from '@parley/contracts';
import {
  EpochConflictError,
  MAX_GROUP_MEMBERS,
  MismatchedDevicesError,
  Rpc,
} from '@parley/contracts';
import { RpcClient } from '@parley/server-kit';
import { CommitBatcher } from './commit-batcher';

const key = (a: DeviceAddress): string => `${a.userId}/${a.deviceId}`;

/**
 * `missing`: expected devices the sender named no envelope for; `stale`: named devices that
 * are not expected. Both in a stable order (as expected / as named).
 */
export function compareDeviceSets(
  expected: readonly DeviceAddress[],
  named: readonly DeviceAddress[],
): { missing: DeviceAddress[]; stale: DeviceAddress[] } {
  const expectedKeys = new Set(expected.map(key));
  const namedKeys = new Set(named.map(key));
  return {
    missing: expected.filter((a) => !namedKeys.has(key(a))),
    stale: named.filter((a) => !expectedKeys.has(key(a))),
  };
}

@Injectable()
export class DeviceSets {
  /**
   * Lookups of concurrent sends share one directory call (up to MAX_GROUP_MEMBERS users): as
   * fresh as separate calls (each is asked after its send arrived), at a fraction of the
   * requests and queries under load.
   */
  private readonly lookups: CommitBatcher<readonly UserId[], DeviceAddress[]>;

  constructor(@Inject(RpcClient) private readonly rpc: RpcClient) {
    this.lookups = new CommitBatcher({
      run: (lists) => this.lookUp(lists),
      inFlight: 4,
      maxItems: 256,
      maxWeight: MAX_GROUP_MEMBERS,
      weight: (list) => list.length,
      retryAlone: false,
    });
  }

  /** Every current device of these users. */
  devicesOf(userIds: readonly UserId[]): Promise<DeviceAddress[]> {
    return userIds.length === 0 ? Promise.resolve([]) : this.lookups.submit(userIds);
  }

  private async lookUp(lists: readonly (readonly UserId[])[]): Promise<DeviceAddress[][]> {
    const userIds = [...new Set(lists.flat())];
    const { users } = await this.rpc.request(Rpc.prekeys.listDevices, { userIds });
    const byUser = new Map(
      users.map((u) => [
        u.userId,
        u.devices.map((d) => ({ userId: u.userId, deviceId: d.deviceId })),
      ]),
    );
    return lists.map((list) => list.flatMap((u) => byUser.get(u) ?? []));
  }

  /**
   * The current members of a group, asked as the sender's user: NOT_A_MEMBER comes back
   * from group-membership as is; an epoch other than the current one is EPOCH_CONFLICT.
   */
  async membersAt(groupId: GroupId, requester: UserId, epoch: number): Promise<UserId[]> {
    const list = await this.rpc.request(Rpc.groups.listMembers, { groupId, requester });
    if (list.epoch !== epoch) throw new EpochConflictError(list.epoch);
    return list.members.map((m) => m.userId);
  }

  /**
   * Refuses (MISMATCHED_DEVICES, nothing stored) unless `named` is exactly every current
   * device of `userIds` except the sending device.
   */
  async check(
    sender: DeviceAddress,
    userIds: readonly UserId[],
    named: readonly DeviceAddress[],
  ): Promise<void> {
    const expected = (await this.devicesOf(userIds)).filter((d) => key(d) !== key(sender));
    const { missing, stale } = compareDeviceSets(expected, named);
    if (missing.length > 0 || stale.length > 0) throw new MismatchedDevicesError(missing, stale);
  }
}
