/** The authenticated device's own mailbox: page through it, ack what it has processed. */
import { Controller, Get, Header, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { DeviceAddress } from '@parley/contracts';
import {
  AckBodySchema,
  AckReplyBodySchema,
  MailboxQuerySchema,
  MailboxReplySchema,
  Rpc,
} from '@parley/contracts';
import { RpcClient } from '@parley/server-kit';
import type { z } from 'zod';
import { CurrentDevice } from '../auth/device-auth.guard';
import { DeliveryBatcher } from '../delivery/delivery-batcher';
import { ZodQuery } from '../http/params';
import { ApiZodBody, openApiSchema, ZodBody } from '../http/zod-body';

@ApiTags('mailbox')
@ApiBearerAuth()
@Controller('v1/mailbox')
export class MailboxController {
  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(DeliveryBatcher) private readonly delivery: DeliveryBatcher,
  ) {}

  @Get()
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiOperation({
    summary: "The device's own stored messages, oldest first (they stay until acked)",
  })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({
    name: 'after',
    required: false,
    type: String,
    description: 'continue after this messageId',
  })
  @ApiOkResponse({ schema: openApiSchema(MailboxReplySchema) })
  async fetch(
    @CurrentDevice() device: DeviceAddress,
    @ZodQuery(MailboxQuerySchema) query: z.output<typeof MailboxQuerySchema>,
  ): Promise<Buffer> {
    // The device is always the token's: no route reads another device's mailbox. The page
    // goes out as the bytes message-delivery sent (JSON written by PostgreSQL): parsing and
    // stringifying a page of 500 messages here was a quarter of this service's CPU while
    // devices drained their mailboxes.
    const page = await this.rpc.requestJson(Rpc.delivery.fetchMailbox, { device, ...query });
    return Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  }

  @Post('ack')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove processed messages from the own mailbox' })
  @ApiZodBody(AckBodySchema)
  @ApiOkResponse({ schema: openApiSchema(AckReplyBodySchema) })
  ack(
    @CurrentDevice() device: DeviceAddress,
    @ZodBody(AckBodySchema) body: z.output<typeof AckBodySchema>,
  ): Promise<z.input<typeof AckReplyBodySchema>> {
    return this.delivery.ack({ device, messageIds: body.messageIds });
  }
}
