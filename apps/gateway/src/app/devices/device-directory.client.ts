/**
 * What the gateway asks the prekey directory, over NATS only. Typed ParleyErrors from the
 * directory (NOT_FOUND, UNAVAILABLE, ...) pass through unchanged.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress } from '@parley/contracts';
import { Rpc } from '@parley/contracts';
import { RpcClient } from '@parley/server-kit';

@Injectable()
export class DeviceDirectoryClient {
  constructor(@Inject(RpcClient) readonly rpc: RpcClient) {}

  /**
   * The device's registered Ed25519 identity key (NotFoundError for an unknown device),
   * through `prekeys.getDevice`, which spends no one-time prekey.
   */
  async identityKeyOf(device: DeviceAddress): Promise<Uint8Array> {
    const reply = await this.rpc.request(Rpc.prekeys.getDevice, device);
    return reply.identityKey;
  }
}
