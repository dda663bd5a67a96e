/** The directory's NATS request handlers: one per `Rpc.prekeys` contract. */
import { Controller, Inject } from '@nestjs/common';
import type { ReplyOf, RequestOf } from '@parley/contracts';
import { Rpc } from '@parley/contracts';
import { RpcHandler, RpcPayload } from '@parley/server-kit';
import { PrekeysService } from './prekeys.service';

const C = Rpc.prekeys;

@Controller()
export class PrekeysController {
  constructor(@Inject(PrekeysService) private readonly prekeys: PrekeysService) {}

  @RpcHandler(C.registerDevice)
  registerDevice(
    @RpcPayload(C.registerDevice) req: RequestOf<typeof C.registerDevice>,
  ): Promise<ReplyOf<typeof C.registerDevice>> {
    return this.prekeys.registerDevice(req);
  }

  @RpcHandler(C.uploadOneTimePreKeys)
  uploadOneTimePreKeys(
    @RpcPayload(C.uploadOneTimePreKeys) req: RequestOf<typeof C.uploadOneTimePreKeys>,
  ): Promise<ReplyOf<typeof C.uploadOneTimePreKeys>> {
    return this.prekeys.uploadOneTimePreKeys(req);
  }

  @RpcHandler(C.fetchBundles)
  fetchBundles(
    @RpcPayload(C.fetchBundles) req: RequestOf<typeof C.fetchBundles>,
  ): Promise<ReplyOf<typeof C.fetchBundles>> {
    return this.prekeys.fetchBundles(req);
  }

  @RpcHandler(C.rotateSignedPreKey)
  rotateSignedPreKey(
    @RpcPayload(C.rotateSignedPreKey) req: RequestOf<typeof C.rotateSignedPreKey>,
  ): Promise<ReplyOf<typeof C.rotateSignedPreKey>> {
    return this.prekeys.rotateSignedPreKey(req);
  }

  @RpcHandler(C.getStock)
  getStock(
    @RpcPayload(C.getStock) req: RequestOf<typeof C.getStock>,
  ): Promise<ReplyOf<typeof C.getStock>> {
    return this.prekeys.getStock(req);
  }

  @RpcHandler(C.getDevice)
  getDevice(
    @RpcPayload(C.getDevice) req: RequestOf<typeof C.getDevice>,
  ): Promise<ReplyOf<typeof C.getDevice>> {
    return this.prekeys.getDevice(req);
  }

  @RpcHandler(C.listDevices)
  listDevices(
    @RpcPayload(C.listDevices) req: RequestOf<typeof C.listDevices>,
  ): Promise<ReplyOf<typeof C.listDevices>> {
    return this.prekeys.listDevices(req);
  }
}
