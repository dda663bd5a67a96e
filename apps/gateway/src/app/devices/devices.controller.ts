/**
 * A device's own keys: registration (signed by the key it registers), one-time prekey
 * uploads, signed prekey rotation and stock. Only the device itself may change its keys.
 */
import { Controller, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { DeviceAddress } from '@parley/contracts';
import {
  GetPreKeyStockReplySchema,
  Rpc,
  RotateSignedPreKeyReplySchema,
  UploadOneTimePreKeysReplySchema,
} from '@parley/contracts';
import { RpcClient, ZodValidationPipe } from '@parley/server-kit';
import { z } from 'zod';
import { AuthService } from '../auth/auth.service';
import { assertSelf, CurrentDevice, Public } from '../auth/device-auth.guard';
import {
  DeviceIdParamSchema,
  RegisterReplySchema,
  RegisterRequestSchema,
  RotateSignedPreKeyBodySchema,
  UploadPreKeysBodySchema,
  UserIdParamSchema,
} from '../http/http.schemas';
import { ApiZodBody, openApiSchema, ZodBody } from '../http/zod-body';

const UserIdParam = () => Param('userId', new ZodValidationPipe(UserIdParamSchema, 'userId'));
const DeviceIdParam = () =>
  Param('deviceId', new ZodValidationPipe(DeviceIdParamSchema, 'deviceId'));

@ApiTags('devices')
@Controller('v1')
export class DevicesController {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(RpcClient) private readonly rpc: RpcClient,
  ) {}

  @Public()
  @Post('devices')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register a device (proof of possession of its identity key)',
    description:
      'Get a nonce from /v1/auth/challenge first; signature = Ed25519(identityKey, registrationMessage(nonce, payload)). The reply carries a first bearer token.',
  })
  @ApiZodBody(RegisterRequestSchema)
  @ApiCreatedResponse({ schema: openApiSchema(RegisterReplySchema) })
  async register(
    @ZodBody(RegisterRequestSchema) body: z.output<typeof RegisterRequestSchema>,
  ): Promise<z.input<typeof RegisterReplySchema>> {
    const { token, ...reply } = await this.auth.register(body);
    return z.encode(RegisterReplySchema, {
      ...reply,
      token: token.token,
      tokenExpiresAt: token.expiresAt.getTime(),
    });
  }

  @Post('users/:userId/devices/:deviceId/one-time-prekeys')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Upload a batch of one-time prekeys (own device only)' })
  @ApiParam({ name: 'userId', type: String })
  @ApiParam({ name: 'deviceId', type: Number })
  @ApiZodBody(UploadPreKeysBodySchema)
  @ApiOkResponse({ schema: openApiSchema(UploadOneTimePreKeysReplySchema) })
  async uploadOneTimePreKeys(
    @CurrentDevice() device: DeviceAddress,
    @UserIdParam() userId: string,
    @DeviceIdParam() deviceId: number,
    @ZodBody(UploadPreKeysBodySchema) body: z.output<typeof UploadPreKeysBodySchema>,
  ): Promise<z.input<typeof UploadOneTimePreKeysReplySchema>> {
    assertSelf(device, userId, deviceId);
    const reply = await this.rpc.request(Rpc.prekeys.uploadOneTimePreKeys, {
      userId,
      deviceId,
      preKeys: body.preKeys,
    });
    return z.encode(UploadOneTimePreKeysReplySchema, reply);
  }

  @Put('users/:userId/devices/:deviceId/signed-prekey')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Rotate the signed prekey (own device only)' })
  @ApiParam({ name: 'userId', type: String })
  @ApiParam({ name: 'deviceId', type: Number })
  @ApiZodBody(RotateSignedPreKeyBodySchema)
  @ApiOkResponse({ schema: openApiSchema(RotateSignedPreKeyReplySchema) })
  async rotateSignedPreKey(
    @CurrentDevice() device: DeviceAddress,
    @UserIdParam() userId: string,
    @DeviceIdParam() deviceId: number,
    @ZodBody(RotateSignedPreKeyBodySchema) body: z.output<typeof RotateSignedPreKeyBodySchema>,
  ): Promise<z.input<typeof RotateSignedPreKeyReplySchema>> {
    assertSelf(device, userId, deviceId);
    const reply = await this.rpc.request(Rpc.prekeys.rotateSignedPreKey, {
      userId,
      deviceId,
      signedPreKey: body.signedPreKey,
    });
    return z.encode(RotateSignedPreKeyReplySchema, reply);
  }

  @Get('users/:userId/devices/:deviceId/prekey-stock')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'One-time prekeys left and the signed prekey in use (own device only)' })
  @ApiParam({ name: 'userId', type: String })
  @ApiParam({ name: 'deviceId', type: Number })
  @ApiOkResponse({ schema: openApiSchema(GetPreKeyStockReplySchema) })
  async stock(
    @CurrentDevice() device: DeviceAddress,
    @UserIdParam() userId: string,
    @DeviceIdParam() deviceId: number,
  ): Promise<z.input<typeof GetPreKeyStockReplySchema>> {
    assertSelf(device, userId, deviceId);
    const reply = await this.rpc.request(Rpc.prekeys.getStock, { userId, deviceId });
    return z.encode(GetPreKeyStockReplySchema, reply);
  }
}
