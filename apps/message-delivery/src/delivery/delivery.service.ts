/**
 * Message delivery's rules. Policies:
 * - A pairwise send is stored whole or not at all: ONE statement (the mailbox check, the
 *   `sends` row and one multi-row INSERT of its entries), so one round trip and one
 *   transaction; the reply goes out only after the commit.
 * - Idempotent on (sender device, clientMessageId): a resend stores nothing and repeats the
 *   original reply with `deduplicated: true`. A resend whose envelope count differs from
 *   the original is a CONFLICT (`client-message-id-reused`).
 * - A send that would take any recipient's mailbox past DELIVERY_MAX_MAILBOX_ENTRIES is
 *   refused whole: CONFLICT `mailbox-full`. (The check and the insert are not serialized
 *   per mailbox, so concurrent sends may overshoot the limit by their own count.)
 * - Envelope size, envelopes per send and total send size are the contract's limits,
 *   refused at the edge with VALIDATION_FAILED.
 * - A device reads and acks only its own mailbox: ids of other mailboxes are ignored.
 * - Message ids are the mailbox `seq` in decimal.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { ReplyOf, RequestOf, Rpc, StoredMessage } from '@parley/contracts';
import {
  ConflictError,
  DEFAULT_MAILBOX_PAGE,
  MAX_MAILBOX_PAGE_CONTENT_BYTES,
  UnavailableError,
  ValidationFailedError,
} from '@parley/contracts';
import { PARLEY_CONFIG } from '@parley/server-kit';
import type { MessageDeliveryConfig } from '../app/message-delivery.config';
import { LiveDeliveryDispatcher } from './live-delivery.dispatcher';
import type { MailboxRow, SendRecord, StoredEntry } from './mailbox.repository';
import { MailboxRepository } from './mailbox.repository';

type Delivery = typeof Rpc.delivery;

const SEQ_PATTERN = /^[1-9][0-9]{0,18}$/;
const SEQ_MAX = 2n ** 63n - 1n;

/** A message id of this service as its seq, or undefined when it cannot be one. */
export function seqOf(messageId: string): bigint | undefined {
  if (!SEQ_PATTERN.test(messageId)) return undefined;
  const seq = BigInt(messageId);
  return seq <= SEQ_MAX ? seq : undefined;
}

@Injectable()
export class DeliveryService {
  constructor(
    @Inject(MailboxRepository) private readonly repo: MailboxRepository,
    @Inject(LiveDeliveryDispatcher) private readonly live: LiveDeliveryDispatcher,
    @Inject(PARLEY_CONFIG) private readonly config: MessageDeliveryConfig,
  ) {}

  async sendPairwise(
    req: RequestOf<Delivery['sendPairwise']>,
  ): Promise<ReplyOf<Delivery['sendPairwise']>> {
    const { sender, clientMessageId, envelopes } = req;
    const max = this.config.DELIVERY_MAX_MAILBOX_ENTRIES;
    const result = await this.repo.storePairwise(sender, clientMessageId, envelopes, max);
    let outcome: { send: SendRecord; stored: StoredEntry[] | undefined };
    if (result.stored) {
      outcome = { send: result.stored.send, stored: result.stored.entries };
    } else {
      // A resend gets its original reply even when a mailbox has filled up since.
      const original = await this.repo.findSend(sender, clientMessageId);
      if (!original) {
        if (result.fullMailboxes > 0) {
          throw new ConflictError(
            'mailbox-full',
            `${result.fullMailboxes} recipient mailbox(es) hold ${max} messages already`,
          );
        }
        // Neither stored nor found: it was purged between the two statements.
        throw new UnavailableError('dependency', 'send raced with a purge; retry');
      }
      if (original.groupId !== null || original.recipientCount !== envelopes.length) {
        throw new ConflictError(
          'client-message-id-reused',
          'this client message id was used for a different message',
        );
      }
      outcome = { send: original, stored: undefined };
    }
    const storedAt = outcome.send.storedAt.getTime();
    if (outcome.stored) {
      const byRecipient = new Map(envelopes.map((e) => [addressKey(e.recipient), e]));
      void this.live.dispatch(
        outcome.stored.map((entry) => {
          const envelope = byRecipient.get(addressKey(entry.recipient));
          if (!envelope) throw new Error('stored entry for an unknown recipient');
          return {
            recipient: entry.recipient,
            message: storedMessage(entry, {
              sender,
              type: envelope.type,
              clientMessageId,
              content: envelope.content,
              storedAt,
            }),
          };
        }),
      );
    }
    return {
      clientMessageId,
      storedAt,
      recipients: outcome.send.recipientCount,
      deduplicated: outcome.stored === undefined,
    };
  }

  /** Sender-key fan-out needs the member list from group-membership, which is not built yet. */
  sendGroup(req: RequestOf<Delivery['sendGroup']>): Promise<ReplyOf<Delivery['sendGroup']>> {
    return Promise.reject(
      new UnavailableError(
        'dependency',
        `group sends (group ${req.groupId}) are not available yet: they need the group-membership service`,
      ),
    );
  }

  async fetchMailbox(
    req: RequestOf<Delivery['fetchMailbox']>,
  ): Promise<ReplyOf<Delivery['fetchMailbox']>> {
    let after = 0n;
    if (req.after !== undefined) {
      const seq = seqOf(req.after);
      if (seq === undefined) {
        throw new ValidationFailedError([
          { path: 'after', message: 'not a message id of this service' },
        ]);
      }
      after = seq;
    }
    const limit = req.limit ?? DEFAULT_MAILBOX_PAGE;
    // One row more than asked tells whether more wait.
    const rows = await this.repo.page(req.device, after, limit + 1);
    const messages: StoredMessage[] = [];
    let bytes = 0;
    for (const row of rows.slice(0, limit)) {
      bytes += row.content.length;
      // A page stays under the NATS payload limit; the first message always fits alone.
      if (bytes > MAX_MAILBOX_PAGE_CONTENT_BYTES && messages.length > 0) break;
      messages.push(messageOf(row));
    }
    return { messages, more: rows.length > messages.length };
  }

  async ack(req: RequestOf<Delivery['ack']>): Promise<ReplyOf<Delivery['ack']>> {
    const seqs = req.messageIds.map(seqOf).filter((s): s is bigint => s !== undefined);
    if (seqs.length === 0) return { deleted: 0 };
    return { deleted: await this.repo.deleteEntries(req.device, seqs) };
  }
}

function addressKey(a: { userId: string; deviceId: number }): string {
  return `${a.userId}/${a.deviceId}`;
}

function storedMessage(entry: StoredEntry, m: Omit<StoredMessage, 'messageId'>): StoredMessage {
  return { messageId: entry.seq.toString(), ...m };
}

function messageOf(row: MailboxRow): StoredMessage {
  return {
    messageId: row.seq.toString(),
    sender: { userId: row.senderUserId, deviceId: row.senderDeviceId },
    type: row.type === 'sender_key' ? 'sender-key' : row.type,
    ...(row.groupId === null ? {} : { groupId: row.groupId }),
    clientMessageId: row.clientMessageId,
    content: row.content,
    storedAt: row.storedAt.getTime(),
  };
}
