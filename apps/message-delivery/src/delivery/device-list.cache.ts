/**
 * Device lists by user, so a device-set check does not cost a directory call per send.
 *
 * Why a cached list is as good as a fresh one: prekey-directory publishes
 * `prekeys.devices-changed` (core NATS) after committing a new device and before answering
 * the registration. On one NATS server that event is queued to this service's connection
 * before the registration's reply leaves the server, so it is handled here before any send
 * that follows from it (one connection delivers in order; the handler runs synchronously).
 * What can break that order is this connection dropping (events missed) or NATS clusters
 * (no order across servers): the first empties the cache, the age bound limits the second.
 *
 * A lookup that was under way while an invalidation arrived may hold the list from before
 * it, so its result is not cached (generation check) — it is still a correct answer for
 * the send that asked, which raced with the registration.
 */
import type { DeviceAddress, UserId } from '@parley/contracts';
import { LRUCache } from 'lru-cache';

export interface DeviceListCacheOptions {
  readonly maxUsers: number;
  /** 0 disables the cache. */
  readonly ttlMs: number;
}

export class DeviceListCache {
  private readonly lists: LRUCache<UserId, readonly DeviceAddress[]> | undefined;
  private invalidations = 0;

  constructor(options: DeviceListCacheOptions) {
    this.lists =
      options.ttlMs > 0
        ? new LRUCache({ max: options.maxUsers, ttl: options.ttlMs, ttlAutopurge: false })
        : undefined;
  }

  /** A token for `set`: lists read after taking it may be cached unless one is dropped. */
  get generation(): number {
    return this.invalidations;
  }

  get(userId: UserId): readonly DeviceAddress[] | undefined {
    return this.lists?.get(userId);
  }

  /** Keeps lists read since `generation`; does nothing if any invalidation happened since. */
  setAll(lists: ReadonlyMap<UserId, readonly DeviceAddress[]>, generation: number): void {
    if (!this.lists || generation !== this.invalidations) return;
    for (const [userId, devices] of lists) this.lists.set(userId, devices);
  }

  drop(userId: UserId): void {
    this.invalidations++;
    this.lists?.delete(userId);
  }

  clear(): void {
    this.invalidations++;
    this.lists?.clear();
  }

  get size(): number {
    return this.lists?.size ?? 0;
  }
}
