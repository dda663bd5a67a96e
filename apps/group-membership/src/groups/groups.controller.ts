/** group-membership's NATS request handlers: one per `Rpc.groups` contract. */
import { Controller, Inject } from '@nestjs/common';
import type { ReplyOf, RequestOf } from '@parley/contracts';
import { Rpc } from '@parley/contracts';
import { RpcHandler, RpcPayload } from '@parley/server-kit';
import { GroupsService } from './groups.service';

const C = Rpc.groups;

@Controller()
export class GroupsController {
  constructor(@Inject(GroupsService) private readonly groups: GroupsService) {}

  @RpcHandler(C.create)
  create(@RpcPayload(C.create) req: RequestOf<typeof C.create>): Promise<ReplyOf<typeof C.create>> {
    return this.groups.create(req);
  }

  @RpcHandler(C.addMembers)
  addMembers(
    @RpcPayload(C.addMembers) req: RequestOf<typeof C.addMembers>,
  ): Promise<ReplyOf<typeof C.addMembers>> {
    return this.groups.changeMembers('added', req);
  }

  @RpcHandler(C.removeMembers)
  removeMembers(
    @RpcPayload(C.removeMembers) req: RequestOf<typeof C.removeMembers>,
  ): Promise<ReplyOf<typeof C.removeMembers>> {
    return this.groups.changeMembers('removed', req);
  }

  @RpcHandler(C.listMembers)
  listMembers(
    @RpcPayload(C.listMembers) req: RequestOf<typeof C.listMembers>,
  ): Promise<ReplyOf<typeof C.listMembers>> {
    return this.groups.listMembers(req);
  }

  @RpcHandler(C.getChain)
  getChain(
    @RpcPayload(C.getChain) req: RequestOf<typeof C.getChain>,
  ): Promise<ReplyOf<typeof C.getChain>> {
    return this.groups.getChain(req);
  }
}
