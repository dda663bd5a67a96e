/**
 * `send` and `send-group` frames: POST /v1/messages and POST /v1/groups/:groupId/messages
 * over the live socket, without Nest's per-request HTTP pipeline. Same body schemas, same
 * request to message-delivery (delivery-requests.ts, raw base64 passed through), same error
 * codes; the reply is `sent` or `error`, both carrying the frame's `id`.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress, ReplyWireOf, Rpc } from '@parley/contracts';
import { SendFrameSchema, SendGroupFrameSchema, validationErrorFromZod } from '@parley/contracts';
import type { z } from 'zod';
import { DeliveryBatcher } from '../delivery/delivery-batcher';
import { groupSendRequest, pairwiseSendRequest } from '../messages/delivery-requests';
import { errorFrame, readFrameId } from './frame-errors';
import type { ServerFrame } from './live-frames';

/** The frame's id (present once the frame is valid) and message-delivery's reply. */
interface Stored {
  readonly id: string;
  readonly reply: ReplyWireOf<typeof Rpc.delivery.sendPairwise>;
}

@Injectable()
export class LiveSends {
  constructor(@Inject(DeliveryBatcher) private readonly delivery: DeliveryBatcher) {}

  /** The reply to a send frame (`frame` is the parsed JSON, its type `send` or `send-group`). */
  async reply(sender: DeviceAddress, frame: Record<string, unknown>): Promise<ServerFrame> {
    const id = readFrameId(frame);
    try {
      const { id: sentId, reply } =
        frame['type'] === 'send-group'
          ? await this.sendGroup(sender, frame)
          : await this.sendPairwise(sender, frame);
      return {
        type: 'sent',
        id: sentId,
        clientMessageId: reply.clientMessageId,
        storedAt: reply.storedAt,
        recipients: reply.recipients,
        deduplicated: reply.deduplicated,
      };
    } catch (error) {
      return errorFrame(error, id, 'send failed');
    }
  }

  private async sendPairwise(sender: DeviceAddress, frame: unknown): Promise<Stored> {
    const parsed = SendFrameSchema.safeParse(frame);
    if (!parsed.success) throw validationErrorFromZod(parsed.error, 'send frame');
    const raw = frame as z.input<typeof SendFrameSchema>;
    const reply = await this.delivery.sendPairwise(pairwiseSendRequest(sender, parsed.data, raw));
    return { id: parsed.data.id, reply };
  }

  private async sendGroup(sender: DeviceAddress, frame: unknown): Promise<Stored> {
    const parsed = SendGroupFrameSchema.safeParse(frame);
    if (!parsed.success) throw validationErrorFromZod(parsed.error, 'send-group frame');
    const raw = frame as z.input<typeof SendGroupFrameSchema>;
    const reply = await this.delivery.sendGroup(
      groupSendRequest(sender, parsed.data.groupId, parsed.data, raw),
    );
    return { id: parsed.data.id, reply };
  }
}
