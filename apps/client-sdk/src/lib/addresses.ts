/** Device addresses and the keys the SDK files state under. */
export interface DeviceAddress {
  readonly userId: string;
  readonly deviceId: number;
}

export function addressKey(a: DeviceAddress): string {
  return `${a.userId}/${a.deviceId}`;
}

export function sameAddress(a: DeviceAddress, b: DeviceAddress): boolean {
  return a.userId === b.userId && a.deviceId === b.deviceId;
}
