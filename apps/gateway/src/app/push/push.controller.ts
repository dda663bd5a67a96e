/**
 * The authenticated device's push registration (push-notification): one per provider,
 * PUT replaces it. The device is always the token's; the body names only the endpoint.
 */
import { Controller, Delete, HttpCode, Inject, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { DeviceAddress } from '@parley/contracts';
import {
  PushEndpointSchema,
  PushProviderSchema,
  RegisterPushReplySchema,
  Rpc,
  UnregisterPushReplySchema,
} from '@parley/contracts';
import { RpcClient, ZodValidationPipe } from '@parley/server-kit';
import { z } from 'zod';
import { CurrentDevice } from '../auth/device-auth.guard';
import { ApiZodBody, openApiSchema, ZodBody } from '../http/zod-body';

/** `?provider=` narrows DELETE to one provider; without it every registration goes. */
const UnregisterQuerySchema = z.object({ provider: PushProviderSchema.optional() }).strict();

@ApiTags('push')
@ApiBearerAuth()
@Controller('v1/push')
export class PushController {
  constructor(@Inject(RpcClient) private readonly rpc: RpcClient) {}

  @Put()
  @HttpCode(200)
  @ApiOperation({
    summary: "Register (or replace) the device's push endpoint for its provider",
    description:
      'Web Push subscription (endpoint + RFC 8291 keys), APNs device token (+ topic, environment) or FCM token. Pushes carry no content: they only wake the device to fetch its mailbox.',
  })
  @ApiZodBody(PushEndpointSchema)
  @ApiOkResponse({ schema: openApiSchema(RegisterPushReplySchema) })
  async register(
    @CurrentDevice() device: DeviceAddress,
    @ZodBody(PushEndpointSchema) endpoint: z.output<typeof PushEndpointSchema>,
  ): Promise<z.input<typeof RegisterPushReplySchema>> {
    return this.rpc.request(Rpc.push.register, { device, endpoint });
  }

  @Delete()
  @HttpCode(200)
  @ApiOperation({ summary: "Remove the device's push registration(s)" })
  @ApiQuery({ name: 'provider', required: false, enum: PushProviderSchema.options })
  @ApiOkResponse({ schema: openApiSchema(UnregisterPushReplySchema) })
  async unregister(
    @CurrentDevice() device: DeviceAddress,
    @Query(new ZodValidationPipe(UnregisterQuerySchema, 'query'))
    query: z.output<typeof UnregisterQuerySchema>,
  ): Promise<z.input<typeof UnregisterPushReplySchema>> {
    return this.rpc.request(Rpc.push.unregister, {
      device,
      ...(query.provider ? { provider: query.provider } : {}),
    });
  }
}
