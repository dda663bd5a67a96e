/**
 * A tiny service built with the kit: echo, typed failures, and a slow handler that
 * checks a resource (standing in for a database client) is still open when it ends.
 */
import { EventEmitter } from 'node:events';
import type { OnModuleDestroy } from '@nestjs/common';
import { Controller, Inject, Module } from '@nestjs/common';
import type { ReplyOf, RequestOf } from '@parley/contracts';
import { MissingDevicesError, NotFoundError } from '@parley/contracts';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { BaseServiceConfig } from '../../src/lib/config/service-config';
import { PARLEY_CONFIG, PARLEY_LOGGER } from '../../src/lib/bootstrap/tokens';
import { JsonReply, RpcHandler, RpcPayload } from '../../src/lib/rpc/rpc-handler.decorator';
import { DemoRpc } from './demo.contracts';

export class DemoResource implements OnModuleDestroy {
  closed = false;
  onModuleDestroy(): void {
    this.closed = true;
  }
}

/** Counters and signals the tests read. */
export class DemoState {
  served = 0;
  readonly events = new EventEmitter();
}

@Controller()
export class DemoController {
  constructor(
    @Inject(PARLEY_CONFIG) private readonly config: BaseServiceConfig,
    @Inject(DemoState) private readonly state: DemoState,
    @Inject(DemoResource) private readonly resource: DemoResource,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  @RpcHandler(DemoRpc.echo)
  echo(
    @RpcPayload(DemoRpc.echo) req: RequestOf<typeof DemoRpc.echo>,
  ): ReplyOf<typeof DemoRpc.echo> {
    this.state.served += 1;
    return {
      text: req.text,
      bytes: req.bytes.slice().reverse(),
      instance: this.config.PARLEY_INSTANCE_ID,
    };
  }

  @RpcHandler(DemoRpc.fail)
  fail(
    @RpcPayload(DemoRpc.fail) req: RequestOf<typeof DemoRpc.fail>,
  ): ReplyOf<typeof DemoRpc.fail> {
    switch (req.kind) {
      case 'missing-devices':
        throw new MissingDevicesError(
          [{ userId: 'bob', deviceId: 2 }],
          [{ userId: 'carol', deviceId: 7 }],
        );
      case 'not-found':
        throw new NotFoundError('device');
      case 'crash':
        throw new Error('db password=hunter2 leaked into an error message');
      case 'zod':
        z.object({ inner: z.number() }).parse({ inner: 'nope' });
        return { ok: true };
      case 'bad-reply':
        return { ok: false } as unknown as ReplyOf<typeof DemoRpc.fail>;
    }
  }

  @RpcHandler(DemoRpc.slow)
  async slow(
    @RpcPayload(DemoRpc.slow) req: RequestOf<typeof DemoRpc.slow>,
  ): Promise<ReplyOf<typeof DemoRpc.slow>> {
    this.logger.info('slow request started');
    this.state.events.emit('slow-started');
    await new Promise((r) => setTimeout(r, req.ms));
    return { resourceOpen: !this.resource.closed, instance: this.config.PARLEY_INSTANCE_ID };
  }

  /** Text built by hand, as a database would build it; `broken` leaves out `more`. */
  @RpcHandler(DemoRpc.listed)
  listed(@RpcPayload(DemoRpc.listed) req: RequestOf<typeof DemoRpc.listed>): JsonReply {
    if (req.count === 0) throw new NotFoundError('item', 'no items');
    const items = Array.from({ length: req.count }, (_, i) => `"item \\"${i}\\""`).join(',');
    return new JsonReply(`{"items":[${items}]${req.broken ? '' : ',"more":true'}}`);
  }
}

@Module({
  controllers: [DemoController],
  providers: [DemoState, DemoResource],
})
export class DemoModule {}
