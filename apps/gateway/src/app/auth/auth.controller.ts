/** Login without passwords: challenge, then a signed answer for a bearer token. */
import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiZodBody, openApiSchema, ZodBody } from '../http/zod-body';
import {
  ChallengeReplySchema,
  ChallengeRequestSchema,
  TokenReplySchema,
  TokenRequestSchema,
} from '../http/http.schemas';
import { AuthService } from './auth.service';
import { Public } from './device-auth.guard';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  @Public()
  @Post('challenge')
  @HttpCode(200)
  @ApiOperation({ summary: 'A single-use nonce for the device to sign (login or registration)' })
  @ApiZodBody(ChallengeRequestSchema)
  @ApiOkResponse({ schema: openApiSchema(ChallengeReplySchema) })
  async challenge(
    @ZodBody(ChallengeRequestSchema) body: z.output<typeof ChallengeRequestSchema>,
  ): Promise<z.input<typeof ChallengeReplySchema>> {
    const issued = await this.auth.challenge(body);
    return z.encode(ChallengeReplySchema, {
      nonce: issued.nonce,
      expiresAt: issued.expiresAt.getTime(),
    });
  }

  @Public()
  @Post('token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A bearer token for a signed challenge',
    description:
      'signature = Ed25519(identity key, "ParleyAuth/v1" framed || nonce || userId || deviceId); see auth-messages.ts',
  })
  @ApiZodBody(TokenRequestSchema)
  @ApiOkResponse({ schema: openApiSchema(TokenReplySchema) })
  async token(
    @ZodBody(TokenRequestSchema) body: z.output<typeof TokenRequestSchema>,
  ): Promise<z.input<typeof TokenReplySchema>> {
    const issued = await this.auth.login(body);
    return { token: issued.token, expiresAt: issued.expiresAt.getTime() };
  }
}
