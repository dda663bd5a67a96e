/**
 * Message delivery's NATS request handlers: one per `Rpc.delivery` contract. RpcHandler maps
 * an unreachable database to UNAVAILABLE itself, so no interceptor runs per request.
 */
import { Controller, Inject } from '@nestjs/common';
import type { ReplyOf, RequestOf } from '@parley/contracts';
import { Rpc } from '@parley/contracts';
import { RpcHandler, RpcPayload } from '@parley/server-kit';
import { DeliveryService } from './delivery.service';

const C = Rpc.delivery;

@Controller()
export class DeliveryController {
  constructor(@Inject(DeliveryService) private readonly delivery: DeliveryService) {}

  @RpcHandler(C.sendPairwise)
  sendPairwise(
    @RpcPayload(C.sendPairwise) req: RequestOf<typeof C.sendPairwise>,
  ): Promise<ReplyOf<typeof C.sendPairwise>> {
    return this.delivery.sendPairwise(req);
  }

  @RpcHandler(C.sendGroup)
  sendGroup(
    @RpcPayload(C.sendGroup) req: RequestOf<typeof C.sendGroup>,
  ): Promise<ReplyOf<typeof C.sendGroup>> {
    return this.delivery.sendGroup(req);
  }

  @RpcHandler(C.fetchMailbox)
  fetchMailbox(
    @RpcPayload(C.fetchMailbox) req: RequestOf<typeof C.fetchMailbox>,
  ): Promise<ReplyOf<typeof C.fetchMailbox>> {
    return this.delivery.fetchMailbox(req);
  }

  @RpcHandler(C.ack)
  ack(@RpcPayload(C.ack) req: RequestOf<typeof C.ack>): Promise<ReplyOf<typeof C.ack>> {
    return this.delivery.ack(req);
  }
}
