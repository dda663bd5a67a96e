/**
 * Message delivery's NATS request handlers: one per `Rpc.delivery` contract. RpcHandler maps
 * an unreachable database to UNAVAILABLE itself, so no interceptor runs per request.
 */
import { Controller, Inject } from '@nestjs/common';
import type { ReplyOf, RequestOf } from '@parley/contracts';
import { Rpc } from '@parley/contracts';
import type { JsonReply } from '@parley/server-kit';
import { batchOutcome, PARLEY_LOGGER, RpcHandler, RpcPayload } from '@parley/server-kit';
import type { Logger } from 'pino';
import { DeliveryService } from './delivery.service';

const C = Rpc.delivery;
type BatchItem = RequestOf<typeof C.batch>['items'][number];
type BatchItemReply = ReplyOf<typeof C.sendPairwise> | ReplyOf<typeof C.ack>;

@Controller()
export class DeliveryController {
  constructor(
    @Inject(DeliveryService) private readonly delivery: DeliveryService,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

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
  ): Promise<JsonReply> {
    return this.delivery.fetchMailbox(req);
  }

  @RpcHandler(C.ack)
  ack(@RpcPayload(C.ack) req: RequestOf<typeof C.ack>): Promise<ReplyOf<typeof C.ack>> {
    return this.delivery.ack(req);
  }

  /**
   * Every item at once, as its own RPC would run it: concurrent sends still meet in the
   * commit batcher, so a batch costs one dispatch here and shares statements downstream.
   */
  @RpcHandler(C.batch)
  async batch(
    @RpcPayload(C.batch) req: RequestOf<typeof C.batch>,
  ): Promise<ReplyOf<typeof C.batch>> {
    const results = await Promise.all(
      req.items.map((item) => batchOutcome(() => this.run(item), this.logger, C.batch.subject)),
    );
    return { results };
  }

  private run(item: BatchItem): Promise<BatchItemReply> {
    switch (item.op) {
      case 'send-pairwise':
        return this.delivery.sendPairwise(item.request);
      case 'send-group':
        return this.delivery.sendGroup(item.request);
      case 'ack':
        return this.delivery.ack(item.request);
    }
  }
}
