/**
 * Who a send must reach, asked from the services that know: prekey-directory (the current
 * devices of users, cached: device-list.cache.ts says why that is as good as asking) and
 * group-membership (the current members and epoch of a group). The comparison with what a
 * sender named is pure (`compareDeviceSets`), so it is unit-tested.
 */
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress, GroupId, UserId } from '@parley/contracts';
import {
  EpochConflictError,
  Events,
  MAX_GROUP_MEMBERS,
  MismatchedDevicesError,
  namespaced,
  Rpc,
} from '@parley/contracts';
import { NATS_CONNECTION, PARLEY_CONFIG, RpcClient } from '@parley/server-kit';
import type { NatsConnection, Subscription } from 'nats';
import { Events as NatsEvents } from 'nats';
import type { MessageDeliveryConfig } from '../app/message-delivery.config';
import { CommitBatcher } from './commit-batcher';
import { DeviceListCache } from './device-list.cache';

type DeviceLists = ReadonlyMap<UserId, readonly DeviceAddress[]>;

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
export class DeviceSets implements OnModuleInit, OnModuleDestroy {
  /**
   * Lookups of concurrent sends share one directory call (up to MAX_GROUP_MEMBERS users): as
   * fresh as separate calls (each is asked after its send arrived), at a fraction of the
   * requests and queries under load.
   */
  private readonly lookups: CommitBatcher<readonly UserId[], DeviceLists>;
  readonly cache: DeviceListCache;
  private changes: Subscription | undefined;

  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(PARLEY_CONFIG) private readonly config: MessageDeliveryConfig,
  ) {
    this.cache = new DeviceListCache({
      maxUsers: config.DELIVERY_DEVICE_CACHE_MAX_USERS,
      ttlMs: config.DELIVERY_DEVICE_CACHE_TTL_MS,
    });
    this.lookups = new CommitBatcher({
      run: (lists) => this.lookUp(lists),
      inFlight: 4,
      maxItems: 256,
      maxWeight: MAX_GROUP_MEMBERS,
      weight: (list) => list.length,
      retryAlone: false,
    });
  }

  /** Subscribed (and the server told) before the first send is served. */
  async onModuleInit(): Promise<void> {
    // A hybrid app (HTTP + NATS) runs init hooks once per context: subscribe once.
    if (this.changes) return;
    const contract = Events.prekeys.devicesChanged;
    this.changes = this.nc.subscribe(namespaced(this.config.PARLEY_NATS_PREFIX, contract.subject), {
      callback: (error, msg) => {
        if (error) {
          this.cache.clear();
          return;
        }
        try {
          const event = contract.schema.safeParse(msg.json());
          if (event.success) this.cache.drop(event.data.userId);
          else this.cache.clear();
        } catch {
          this.cache.clear();
        }
      },
    });
    void this.clearOnReconnect();
    await this.nc.flush();
  }

  onModuleDestroy(): void {
    this.changes?.unsubscribe();
  }

  /** Events published while the connection was down are lost to it: forget everything. */
  private async clearOnReconnect(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === NatsEvents.Disconnect || status.type === NatsEvents.Reconnect) {
        this.cache.clear();
      }
    }
  }

  /** Every current device of these users. */
  async devicesOf(userIds: readonly UserId[]): Promise<DeviceAddress[]> {
    const known = new Map<UserId, readonly DeviceAddress[]>();
    const unknown: UserId[] = [];
    for (const userId of new Set(userIds)) {
      const devices = this.cache.get(userId);
      if (devices) known.set(userId, devices);
      else unknown.push(userId);
    }
    if (unknown.length > 0) {
      const generation = this.cache.generation;
      const fetched = await this.lookups.submit(unknown);
      this.cache.setAll(fetched, generation);
      for (const [userId, devices] of fetched) known.set(userId, devices);
    }
    return userIds.flatMap((u) => known.get(u) ?? []);
  }

  private async lookUp(lists: readonly (readonly UserId[])[]): Promise<DeviceLists[]> {
    const userIds = [...new Set(lists.flat())];
    const { users } = await this.rpc.request(Rpc.prekeys.listDevices, { userIds });
    const byUser = new Map(
      users.map((u) => [
        u.userId,
        u.devices.map((d) => ({ userId: u.userId, deviceId: d.deviceId })),
      ]),
    );
    // A user the directory does not know has no devices (cached too: a first device is an event).
    return lists.map((list) => new Map(list.map((u) => [u, byUser.get(u) ?? []])));
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
