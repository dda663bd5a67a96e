/**
 * Message delivery's rules. Policies:
 * - Recipients are checked against the directory first (docs/gateway-api.md, "Device-set
 *   rules"): a pairwise send must cover exactly the current devices of every user it names
 *   (the sending device excluded); with `group`, the sender must be a member, the epoch the
 *   current one, and the envelopes must cover every device of every member but the sending
 *   one. Otherwise MISMATCHED_DEVICES (missing, stale), NOT_A_MEMBER or EPOCH_CONFLICT and
 *   nothing is stored.
 * - A sender-key group send goes to every device of every current member but the sending
 *   device; its one ciphertext is stored once (see mailbox.repository.ts for why).
 * - A send is stored whole or not at all, in ONE statement shared with concurrent sends
 *   (commit-batcher.ts); the reply goes out only after the commit. Acks are batched the same
 *   way.
 * - Idempotent on (sender device, clientMessageId): a resend stores nothing and repeats the
 *   original reply with `deduplicated: true` (even when the devices or the group changed
 *   since, or a mailbox filled up: a failed check or an unstored send looks the original up
 *   before answering). A resend that differs in kind, group or envelope count is a CONFLICT
 *   (`client-message-id-reused`).
 * - A send that would take any recipient's mailbox past DELIVERY_MAX_MAILBOX_ENTRIES is
 *   refused whole: CONFLICT `mailbox-full`. (The check and the insert are not serialized
 *   per mailbox, so concurrent sends may overshoot the limit by their own count.)
 * - Envelope size, envelopes per send and total send size are the contract's limits,
 *   refused at the edge with VALIDATION_FAILED.
 * - A device reads and acks only its own mailbox: ids of other mailboxes are ignored.
 * - Message ids are the mailbox `seq` in decimal.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress, ReplyOf, RequestOf, Rpc, StoredMessage } from '@parley/contracts';
import {
  ConflictError,
  DEFAULT_MAILBOX_PAGE,
  MAX_MAILBOX_PAGE_CONTENT_BYTES,
  UnavailableError,
  ValidationFailedError,
} from '@parley/contracts';
import {
  commitBatchItems,
  commitQueueSeconds,
  commitStatementSeconds,
  JsonReply,
  PARLEY_CONFIG,
} from '@parley/server-kit';
import type { MessageDeliveryConfig } from '../app/message-delivery.config';
import { DeviceSets } from './device-sets';
import type { LiveDelivery } from './live-delivery.dispatcher';
import { LiveDeliveryDispatcher } from './live-delivery.dispatcher';
import type { NewSend, SendRecord, StoreOutcome } from './mailbox.repository';
import { MailboxRepository } from './mailbox.repository';
import type { BatchReport } from './commit-batcher';
import { CommitBatcher } from './commit-batcher';

type Delivery = typeof Rpc.delivery;
type SendReply = ReplyOf<Delivery['sendPairwise']>;

/** Mailbox rows per batch statement (bounds its arrays; one send may exceed it alone). */
const MAX_ENTRIES_PER_BATCH = 4096;

const SEQ_PATTERN = /^[1-9][0-9]{0,18}$/;
const SEQ_MAX = 2n ** 63n - 1n;

/** A message id of this service as its seq, or undefined when it cannot be one. */
export function seqOf(messageId: string): bigint | undefined {
  if (!SEQ_PATTERN.test(messageId)) return undefined;
  const seq = BigInt(messageId);
  return seq <= SEQ_MAX ? seq : undefined;
}

const reused = () =>
  new ConflictError(
    'client-message-id-reused',
    'this client message id was used for a different message',
  );

@Injectable()
export class DeliveryService {
  private readonly sends: CommitBatcher<NewSend, StoreOutcome>;
  private readonly acks: CommitBatcher<{ device: DeviceAddress; seqs: bigint[] }, number>;
  private readonly lookups: CommitBatcher<
    { sender: DeviceAddress; clientMessageId: string },
    SendRecord | undefined
  >;

  constructor(
    @Inject(MailboxRepository) private readonly repo: MailboxRepository,
    @Inject(LiveDeliveryDispatcher) private readonly live: LiveDeliveryDispatcher,
    @Inject(DeviceSets) private readonly devices: DeviceSets,
    @Inject(PARLEY_CONFIG) private readonly config: MessageDeliveryConfig,
  ) {
    const max = config.DELIVERY_MAX_MAILBOX_ENTRIES;
    const inFlight = config.DELIVERY_STATEMENTS_IN_FLIGHT;
    this.sends = new CommitBatcher({
      run: (sends, lane) => this.repo.storeSends(sends, max, lane),
      inFlight,
      maxItems: config.DELIVERY_BATCH_MAX_SENDS,
      maxWeight: MAX_ENTRIES_PER_BATCH,
      weight: (send) => send.entries.length,
      key: (send) => `${send.sender.userId}/${send.sender.deviceId}/${send.clientMessageId}`,
      onBatch: observeBatch('sends'),
    });
    // Resend lookups of concurrent sends share one query.
    this.lookups = new CommitBatcher({
      run: (keys) => this.repo.findSends(keys),
      inFlight,
      maxItems: config.DELIVERY_BATCH_MAX_SENDS,
      retryAlone: false,
      onBatch: observeBatch('lookups'),
    });
    this.acks = new CommitBatcher({
      // Mailbox-count slots apart from the sends' (see mailbox.repository.ts).
      run: (acks, lane) => this.repo.deleteEntries(acks, inFlight + lane),
      inFlight,
      maxItems: config.DELIVERY_BATCH_MAX_SENDS,
      maxWeight: MAX_ENTRIES_PER_BATCH,
      weight: (ack) => ack.seqs.length,
      onBatch: observeBatch('acks'),
    });
  }

  async sendPairwise(req: RequestOf<Delivery['sendPairwise']>): Promise<SendReply> {
    const { sender, clientMessageId, envelopes, group } = req;
    const same = (o: SendRecord) =>
      !o.senderKey &&
      o.groupId === (group?.groupId ?? null) &&
      o.groupEpoch === (group?.epoch ?? null) &&
      o.recipientCount === envelopes.length;
    const named = envelopes.map((e) => e.recipient);
    const resent = await this.resendOr(sender, clientMessageId, async () => {
      const users = group
        ? await this.devices.membersAt(group.groupId, sender.userId, group.epoch)
        : [...new Set(named.map((a) => a.userId))];
      await this.devices.check(sender, users, named);
    });
    if (resent) return this.replay(resent, same, clientMessageId);

    const send: NewSend = {
      sender,
      clientMessageId,
      ...(group ? { group } : {}),
      entries: envelopes.map((e) => ({ recipient: e.recipient, type: e.type, content: e.content })),
    };
    return this.store(send, same, (recipient, i) => {
      const envelope = envelopes[i];
      if (!envelope) throw new Error('stored entry for an unknown envelope');
      return {
        sender,
        type: envelope.type,
        ...(group ? { groupId: group.groupId } : {}),
        clientMessageId,
        content: envelope.content,
      };
    });
  }

  async sendGroup(req: RequestOf<Delivery['sendGroup']>): Promise<SendReply> {
    const { sender, clientMessageId, groupId, epoch, ciphertext } = req;
    const same = (o: SendRecord) => o.senderKey && o.groupId === groupId && o.groupEpoch === epoch;
    const sending = addressKey(sender);
    let recipients: DeviceAddress[] = [];
    const resent = await this.resendOr(sender, clientMessageId, async () => {
      const members = await this.devices.membersAt(groupId, sender.userId, epoch);
      recipients = (await this.devices.devicesOf(members)).filter((d) => addressKey(d) !== sending);
    });
    if (resent) return this.replay(resent, same, clientMessageId);
    const send: NewSend = {
      sender,
      clientMessageId,
      group: { groupId, epoch },
      content: ciphertext,
      entries: recipients.map((recipient) => ({ recipient, type: 'sender_key' as const })),
    };
    return this.store(send, same, () => ({
      sender,
      type: 'sender-key',
      groupId,
      clientMessageId,
      content: ciphertext,
    }));
  }

  private findSend(
    sender: DeviceAddress,
    clientMessageId: string,
  ): Promise<SendRecord | undefined> {
    return this.lookups.submit({ sender, clientMessageId });
  }

  /**
   * The stored original of a resend, or undefined after `checks` passed. The original is
   * looked up only when a check fails (a resend wins over whatever the checks say, so a retry
   * gets its original reply even when devices or members changed since); a resend that passes
   * them is caught by the store's ON CONFLICT and looked up there (see `store`). A lookup for
   * every send cost a statement per send (measured, bench:e2e offline store).
   */
  private async resendOr(
    sender: DeviceAddress,
    clientMessageId: string,
    checks: () => Promise<void>,
  ): Promise<SendRecord | undefined> {
    try {
      await checks();
      return undefined;
    } catch (error) {
      const original = await this.findSend(sender, clientMessageId);
      if (original) return original;
      throw error;
    }
  }

  /**
   * Stores through the batcher, starts live delivery of what was stored and answers; a send
   * that was not stored is a resend (original reply) or refused (mailbox-full).
   */
  private async store(
    send: NewSend,
    same: (original: SendRecord) => boolean,
    messageFor: (
      recipient: DeviceAddress,
      index: number,
    ) => Omit<StoredMessage, 'messageId' | 'storedAt'>,
  ): Promise<SendReply> {
    const outcome = await this.sends.submit(send);
    if (!outcome.stored) {
      // A concurrent identical send won, or a mailbox is full (a resend still gets its reply).
      const original = await this.findSend(send.sender, send.clientMessageId);
      if (original) return this.replay(original, same, send.clientMessageId);
      if (outcome.mailboxFull) {
        const max = this.config.DELIVERY_MAX_MAILBOX_ENTRIES;
        throw new ConflictError(
          'mailbox-full',
          `a recipient mailbox holds ${max} messages already`,
        );
      }
      // Neither stored nor found: it was purged between the two statements.
      throw new UnavailableError('dependency', 'send raced with a purge; retry');
    }
    const storedAt = outcome.send.storedAt.getTime();
    const index = new Map(send.entries.map((e, i) => [addressKey(e.recipient), i]));
    const deliveries: LiveDelivery[] = outcome.entries.map((entry) => ({
      recipient: entry.recipient,
      message: {
        messageId: entry.seq.toString(),
        storedAt,
        ...messageFor(entry.recipient, index.get(addressKey(entry.recipient)) ?? -1),
      },
    }));
    void this.live.dispatch(deliveries);
    return {
      clientMessageId: send.clientMessageId,
      storedAt,
      recipients: outcome.send.recipientCount,
      deduplicated: false,
    };
  }

  private replay(
    original: SendRecord,
    same: (original: SendRecord) => boolean,
    clientMessageId: string,
  ): SendReply {
    if (!same(original)) throw reused();
    return {
      clientMessageId,
      storedAt: original.storedAt.getTime(),
      recipients: original.recipientCount,
      deduplicated: true,
    };
  }

  /** A page as PostgreSQL wrote it in its wire form (see pageJson): sent as it is. */
  async fetchMailbox(req: RequestOf<Delivery['fetchMailbox']>): Promise<JsonReply> {
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
    // A page stays under the NATS payload limit; the first message always fits alone.
    return new JsonReply(
      await this.repo.pageJson(
        req.device,
        after,
        req.limit ?? DEFAULT_MAILBOX_PAGE,
        MAX_MAILBOX_PAGE_CONTENT_BYTES,
      ),
    );
  }

  async ack(req: RequestOf<Delivery['ack']>): Promise<ReplyOf<Delivery['ack']>> {
    const seqs = req.messageIds.map(seqOf).filter((s): s is bigint => s !== undefined);
    if (seqs.length === 0) return { deleted: 0 };
    return { deleted: await this.acks.submit({ device: req.device, seqs }) };
  }
}

function observeBatch(batcher: string): (report: BatchReport) => void {
  const items = commitBatchItems.labels({ batcher });
  const queued = commitQueueSeconds.labels({ batcher });
  const statement = commitStatementSeconds.labels({ batcher });
  return (report) => {
    items.observe(report.items);
    queued.observe(report.queuedMs / 1000);
    statement.observe(report.statementMs / 1000);
  };
}

function addressKey(a: { userId: string; deviceId: number }): string {
  return `${a.userId}/${a.deviceId}`;
}
