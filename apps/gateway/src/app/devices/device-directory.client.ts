/**
 * What the gateway asks the prekey directory, over NATS only. Typed ParleyErrors from the
 * directory (NOT_FOUND, CONFLICT, INVALID_SIGNATURE, ...) pass through unchanged.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress } from '@parley/contracts';
import { hasErrorCode, NotFoundError, Rpc } from '@parley/contracts';
import { PARLEY_LOGGER, RpcClient } from '@parley/server-kit';
import type { Logger } from 'pino';

@Injectable()
export class DeviceDirectoryClient {
  private warnedFallback = false;

  constructor(
    @Inject(RpcClient) readonly rpc: RpcClient,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  /** The device's registered Ed25519 identity key; NotFoundError for an unknown device. */
  async identityKeyOf(device: DeviceAddress): Promise<Uint8Array> {
    try {
      const reply = await this.rpc.request(Rpc.prekeys.getDevice, device);
      return reply.identityKey;
    } catch (error) {
      if (!isNoResponders(error)) throw error;
    }
    // A directory without `prekeys.device` yet: a one-device bundle carries the identity
    // key too, at the price of one one-time prekey. Kept only until every directory
    // instance answers getDevice.
    if (!this.warnedFallback) {
      this.warnedFallback = true;
      this.logger.warn('prekey directory lacks prekeys.device: falling back to fetch-bundles');
    }
    const reply = await this.rpc.request(Rpc.prekeys.fetchBundles, device);
    const bundle = reply.bundles.find((b) => b.deviceId === device.deviceId);
    if (!bundle) throw new NotFoundError('device');
    return bundle.identityKey;
  }
}

function isNoResponders(error: unknown): boolean {
  return (
    hasErrorCode(error, 'UNAVAILABLE') &&
    (error.details as { reason?: string } | undefined)?.reason === 'no-responders'
  );
}
