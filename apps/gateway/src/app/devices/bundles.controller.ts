/** Other users' devices: their list (identity keys) and prekey bundles to start sessions. */
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  FetchBundlesReplySchema,
  NotFoundError,
  Rpc,
  UserDevicesReplySchema,
} from '@parley/contracts';
import { RpcClient, ZodValidationPipe } from '@parley/server-kit';
import { z } from 'zod';
import { DeviceIdParamSchema, UserIdParamSchema } from '../http/http.schemas';
import { openApiSchema } from '../http/zod-body';

const UserIdParam = () => Param('userId', new ZodValidationPipe(UserIdParamSchema, 'userId'));
const DeviceIdParam = () =>
  Param('deviceId', new ZodValidationPipe(DeviceIdParamSchema, 'deviceId'));

@ApiTags('bundles')
@ApiBearerAuth()
@Controller('v1/users/:userId')
export class BundlesController {
  constructor(@Inject(RpcClient) private readonly rpc: RpcClient) {}

  @Get('devices')
  @ApiOperation({
    summary: "A user's current devices and identity keys (spends no one-time prekey)",
  })
  @ApiParam({ name: 'userId', type: String })
  @ApiOkResponse({ schema: openApiSchema(UserDevicesReplySchema) })
  async devices(@UserIdParam() userId: string): Promise<z.input<typeof UserDevicesReplySchema>> {
    const reply = await this.rpc.requestWire(Rpc.prekeys.listDevices, { userIds: [userId] });
    const devices = reply.users[0]?.devices ?? [];
    if (devices.length === 0) throw new NotFoundError('user');
    return { userId, devices };
  }

  @Get('bundles')
  @ApiOperation({
    summary: "Bundles of all of a user's devices (each takes one one-time prekey if any is left)",
  })
  @ApiParam({ name: 'userId', type: String })
  @ApiOkResponse({ schema: openApiSchema(FetchBundlesReplySchema) })
  async all(@UserIdParam() userId: string): Promise<z.input<typeof FetchBundlesReplySchema>> {
    const reply = await this.rpc.request(Rpc.prekeys.fetchBundles, { userId });
    // A user exists only through devices: none registered means no such user.
    if (reply.bundles.length === 0) throw new NotFoundError('user');
    return z.encode(FetchBundlesReplySchema, reply);
  }

  @Get('devices/:deviceId/bundle')
  @ApiOperation({ summary: "One device's bundle" })
  @ApiParam({ name: 'userId', type: String })
  @ApiParam({ name: 'deviceId', type: Number })
  @ApiOkResponse({ schema: openApiSchema(FetchBundlesReplySchema) })
  async one(
    @UserIdParam() userId: string,
    @DeviceIdParam() deviceId: number,
  ): Promise<z.input<typeof FetchBundlesReplySchema>> {
    const reply = await this.rpc.request(Rpc.prekeys.fetchBundles, { userId, deviceId });
    if (reply.bundles.length === 0) throw new NotFoundError('device');
    return z.encode(FetchBundlesReplySchema, reply);
  }
}
