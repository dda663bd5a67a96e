/**
 * Groups and their signed membership chain. The acting device is the authenticated one;
 * group-membership verifies the signed change against the chain and the actor's rights
 * (FORBIDDEN, INVALID_SIGNATURE, EPOCH_CONFLICT, NOT_A_MEMBER pass through).
 */
import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { DeviceAddress } from '@parley/contracts';
import {
  ChainQuerySchema,
  ChangeMembersBodySchema,
  ChangeMembersReplyBodySchema,
  CreateGroupBodySchema,
  CreateGroupReplyBodySchema,
  GroupChainReplySchema,
  GroupMembersReplySchema,
  Rpc,
} from '@parley/contracts';
import { RpcClient } from '@parley/server-kit';
import type { z } from 'zod';
import { CurrentDevice } from '../auth/device-auth.guard';
import { GroupIdParam, ZodQuery } from '../http/params';
import { ApiZodBody, openApiSchema, ZodBody } from '../http/zod-body';

type ChangeBody = z.output<typeof ChangeMembersBodySchema>;
type ChangeReply = z.input<typeof ChangeMembersReplyBodySchema>;

@ApiTags('groups')
@ApiBearerAuth()
@Controller('v1/groups')
export class GroupsController {
  constructor(@Inject(RpcClient) private readonly rpc: RpcClient) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a group from its signed genesis change (groupId = hex SHA-256 of it)',
  })
  @ApiZodBody(CreateGroupBodySchema)
  @ApiCreatedResponse({ schema: openApiSchema(CreateGroupReplyBodySchema) })
  create(
    @CurrentDevice() actor: DeviceAddress,
    @ZodBody(CreateGroupBodySchema) body: z.output<typeof CreateGroupBodySchema>,
  ): Promise<z.input<typeof CreateGroupReplyBodySchema>> {
    return this.rpc.request(Rpc.groups.create, { ...body, actor });
  }

  @Post(':groupId/members')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add members (a signed change on baseEpoch)' })
  @ApiParam({ name: 'groupId', type: String })
  @ApiZodBody(ChangeMembersBodySchema)
  @ApiOkResponse({ schema: openApiSchema(ChangeMembersReplyBodySchema) })
  add(
    @CurrentDevice() actor: DeviceAddress,
    @GroupIdParam() groupId: string,
    @ZodBody(ChangeMembersBodySchema) body: ChangeBody,
  ): Promise<ChangeReply> {
    return this.rpc.request(Rpc.groups.addMembers, { ...body, groupId, actor });
  }

  @Post(':groupId/members/remove')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove members (admins; a member may remove only itself)' })
  @ApiParam({ name: 'groupId', type: String })
  @ApiZodBody(ChangeMembersBodySchema)
  @ApiOkResponse({ schema: openApiSchema(ChangeMembersReplyBodySchema) })
  remove(
    @CurrentDevice() actor: DeviceAddress,
    @GroupIdParam() groupId: string,
    @ZodBody(ChangeMembersBodySchema) body: ChangeBody,
  ): Promise<ChangeReply> {
    return this.rpc.request(Rpc.groups.removeMembers, { ...body, groupId, actor });
  }

  @Get(':groupId/members')
  @ApiOperation({ summary: 'Current members and epoch (members only)' })
  @ApiParam({ name: 'groupId', type: String })
  @ApiOkResponse({ schema: openApiSchema(GroupMembersReplySchema) })
  members(
    @CurrentDevice() device: DeviceAddress,
    @GroupIdParam() groupId: string,
  ): Promise<z.input<typeof GroupMembersReplySchema>> {
    return this.rpc.request(Rpc.groups.listMembers, { groupId, requester: device.userId });
  }

  @Get(':groupId/chain')
  @ApiOperation({ summary: 'A page of the signed membership chain (members only)' })
  @ApiParam({ name: 'groupId', type: String })
  @ApiQuery({ name: 'fromEpoch', required: false, type: Number })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ schema: openApiSchema(GroupChainReplySchema) })
  chain(
    @CurrentDevice() device: DeviceAddress,
    @GroupIdParam() groupId: string,
    @ZodQuery(ChainQuerySchema) query: z.output<typeof ChainQuerySchema>,
  ): Promise<z.input<typeof GroupChainReplySchema>> {
    return this.rpc.requestWire(Rpc.groups.getChain, {
      groupId,
      requester: device.userId,
      ...query,
    });
  }
}
