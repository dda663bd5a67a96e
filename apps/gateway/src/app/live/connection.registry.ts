/**
 * The live sockets of this gateway instance, one per device: a device that connects again
 * replaces its older socket (closed with 4409), so a later live delivery has exactly one
 * target. Removal is by socket, so a replaced socket's late close cannot evict its successor.
 * A per-user index finds every connected device of a user (membership frames).
 */
import { Injectable } from '@nestjs/common';
import type { DeviceAddress } from '@parley/contracts';
import { CLOSE_REPLACED } from '@parley/contracts';

/** What the registry needs of a socket (ws's WebSocket fits). */
export interface LiveSocket {
  close(code?: number, reason?: string): void;
}

export { CLOSE_REPLACED };

export function deviceKey(device: DeviceAddress): string {
  return `${device.userId}:${device.deviceId}`;
}

@Injectable()
export class ConnectionRegistry<S extends LiveSocket = LiveSocket> {
  private readonly byDevice = new Map<string, { device: DeviceAddress; socket: S }>();
  /** userId -> its connected device ids on this instance. */
  private readonly byUser = new Map<string, Set<number>>();

  /** Registers `socket` for `device`; returns the socket it replaced, already closed. */
  add(device: DeviceAddress, socket: S): S | undefined {
    const key = deviceKey(device);
    const previous = this.byDevice.get(key);
    this.byDevice.set(key, { device, socket });
    let ids = this.byUser.get(device.userId);
    if (!ids) this.byUser.set(device.userId, (ids = new Set()));
    ids.add(device.deviceId);
    if (previous && previous.socket !== socket) {
      previous.socket.close(CLOSE_REPLACED, 'replaced by a newer connection');
      return previous.socket;
    }
    return undefined;
  }

  /** Forgets `socket` if it is still the device's current one; true when it was. */
  remove(device: DeviceAddress, socket: S): boolean {
    const key = deviceKey(device);
    if (this.byDevice.get(key)?.socket !== socket) return false;
    this.byDevice.delete(key);
    const ids = this.byUser.get(device.userId);
    ids?.delete(device.deviceId);
    if (ids?.size === 0) this.byUser.delete(device.userId);
    return true;
  }

  /** The sockets of every connected device of `userId` on this instance. */
  socketsOfUser(userId: string): S[] {
    const ids = this.byUser.get(userId);
    if (!ids) return [];
    const sockets: S[] = [];
    for (const deviceId of ids) {
      const entry = this.byDevice.get(`${userId}:${deviceId}`);
      if (entry) sockets.push(entry.socket);
    }
    return sockets;
  }

  /** True when some device of `userId` is connected here. */
  hasUser(userId: string): boolean {
    return this.byUser.has(userId);
  }

  get(device: DeviceAddress): S | undefined {
    return this.byDevice.get(deviceKey(device))?.socket;
  }

  get size(): number {
    return this.byDevice.size;
  }

  devices(): DeviceAddress[] {
    return [...this.byDevice.values()].map((e) => e.device);
  }

  /** Every socket held now. */
  sockets(): S[] {
    return [...this.byDevice.values()].map((e) => e.socket);
  }

  /** Closes every socket (shutdown) and empties the registry. */
  closeAll(code: number, reason: string): void {
    for (const { socket } of this.byDevice.values()) socket.close(code, reason);
    this.byDevice.clear();
    this.byUser.clear();
  }
}
