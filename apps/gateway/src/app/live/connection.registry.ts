/**
 * The live sockets of this gateway instance, one per device: a device that connects again
 * replaces its older socket (closed with 4409), so a later live delivery has exactly one
 * target. Removal is by socket, so a replaced socket's late close cannot evict its successor.
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

  /** Registers `socket` for `device`; returns the socket it replaced, already closed. */
  add(device: DeviceAddress, socket: S): S | undefined {
    const key = deviceKey(device);
    const previous = this.byDevice.get(key);
    this.byDevice.set(key, { device, socket });
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
    return true;
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

  /** Closes every socket (shutdown) and empties the registry. */
  closeAll(code: number, reason: string): void {
    for (const { socket } of this.byDevice.values()) socket.close(code, reason);
    this.byDevice.clear();
  }
}
