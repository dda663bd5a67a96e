/**
 * Sending: pairwise envelopes (1:1, or a pairwise group message naming its group and
 * epoch) and sender-key group messages that message-delivery fans out. The sender is the
 * authenticated device; device-set and membership rules are message-delivery's, and its
 * typed errors (MISMATCHED_DEVICES with details, NOT_A_MEMBER, EPOCH_CONFLICT) pass through.
 */
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { DeviceAddress } from '@parley/contracts';
import {
  SendGroupMessageBodySchema,
  SendMessageBodySchema,
  SendMessageReplySchema,
} from '@parley/contracts';
import type { z } from 'zod';
import { CurrentDevice } from '../auth/device-auth.guard';
import { GroupIdParam } from '../http/params';
import { ApiZodBody, openApiSchema, ZodBody } from '../http/zod-body';
import { DeliveryBatcher } from '../delivery/delivery-batcher';
import { groupSendRequest, pairwiseSendRequest } from './delivery-requests';

type SendReply = z.input<typeof SendMessageReplySchema>;

// The same sends travel over the live WebSocket too (live/live-sends.ts): both forward
// with delivery-requests.ts, the raw base64 passed through.

@ApiTags('messages')
@ApiBearerAuth()
@Controller('v1')
export class MessagesController {
  constructor(@Inject(DeliveryBatcher) private readonly delivery: DeliveryBatcher) {}

  @Post('messages')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Store pairwise envelopes, one per recipient device (idempotent on clientMessageId)',
    description:
      'The envelopes must cover exactly every current device of every user they name (the sending device excluded); with `group`, exactly every device of every current member. Otherwise 409 MISMATCHED_DEVICES with details {missing, stale}.',
  })
  @ApiZodBody(SendMessageBodySchema)
  @ApiOkResponse({ schema: openApiSchema(SendMessageReplySchema) })
  async send(
    @CurrentDevice() sender: DeviceAddress,
    @ZodBody(SendMessageBodySchema) body: z.output<typeof SendMessageBodySchema>,
    @Body() raw: z.input<typeof SendMessageBodySchema>,
  ): Promise<SendReply> {
    return this.delivery.sendPairwise(pairwiseSendRequest(sender, body, raw));
  }

  @Post('groups/:groupId/messages')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Store one sender-key ciphertext for every device of every other member',
    description:
      'Non-member 403 NOT_A_MEMBER; an epoch other than the current one 409 EPOCH_CONFLICT.',
  })
  @ApiParam({ name: 'groupId', type: String })
  @ApiZodBody(SendGroupMessageBodySchema)
  @ApiOkResponse({ schema: openApiSchema(SendMessageReplySchema) })
  async sendGroup(
    @CurrentDevice() sender: DeviceAddress,
    @GroupIdParam() groupId: string,
    @ZodBody(SendGroupMessageBodySchema) body: z.output<typeof SendGroupMessageBodySchema>,
    @Body() raw: z.input<typeof SendGroupMessageBodySchema>,
  ): Promise<SendReply> {
    return this.delivery.sendGroup(groupSendRequest(sender, groupId, body, raw));
  }
}
