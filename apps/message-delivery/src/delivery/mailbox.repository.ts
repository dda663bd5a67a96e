/**
 * Every SQL statement of message delivery. A send is one transaction: the `sends` row (the
 * idempotency key), the mailbox size check, then all entries in ONE multi-row INSERT.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress } from '@parley/contracts';
import type { Prisma } from '@parley/db/message-delivery';
import { MessageDeliveryDatabase } from '../database/message-delivery.database';

export type Tx = Prisma.TransactionClient;

export type EntryType = 'prekey' | 'message' | 'sender_key';

export interface SendRecord {
  readonly id: bigint;
  readonly storedAt: Date;
  readonly recipientCount: number;
  readonly groupId: string | null;
}

export interface NewEntry {
  readonly recipient: DeviceAddress;
  readonly type: EntryType;
  readonly content: Uint8Array;
}

export interface StoredEntry {
  readonly seq: bigint;
  readonly recipient: DeviceAddress;
}

export interface MailboxRow {
  readonly seq: bigint;
  readonly type: EntryType;
  /** The entry's own ciphertext, or the send's (sender-key). */
  readonly content: Uint8Array;
  readonly storedAt: Date;
  readonly senderUserId: string;
  readonly senderDeviceId: number;
  readonly clientMessageId: string;
  readonly groupId: string | null;
}

/** Bytes as the contracts want them, whatever the driver handed back. */
const bytes = (value: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(value);

@Injectable()
export class MailboxRepository {
  constructor(@Inject(MessageDeliveryDatabase) private readonly db: MessageDeliveryDatabase) {}

  /**
   * A send's transaction. Under load sends queue for a pooled connection: the wait may take
   * a while (beyond it: UNAVAILABLE), the transaction itself a few round trips.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.client.$transaction(fn, { maxWait: 5_000, timeout: 10_000 });
  }

  /**
   * Inserts the send row, or returns undefined when (sender, clientMessageId) already
   * exists. A concurrent identical send waits on the unique index until the first commits
   * (then gets undefined) or rolls back (then inserts).
   */
  async insertSend(
    tx: Tx,
    sender: DeviceAddress,
    clientMessageId: string,
    recipientCount: number,
  ): Promise<SendRecord | undefined> {
    const rows = await tx.$queryRaw<{ id: bigint; stored_at: Date }[]>`
      INSERT INTO "message_delivery"."sends"
        (sender_user_id, sender_device_id, client_message_id, recipient_count)
      VALUES (${sender.userId}, ${BigInt(sender.deviceId)}, ${clientMessageId}, ${recipientCount})
      ON CONFLICT (sender_user_id, sender_device_id, client_message_id) DO NOTHING
      RETURNING id, stored_at`;
    const row = rows[0];
    return row ? { id: row.id, storedAt: row.stored_at, recipientCount, groupId: null } : undefined;
  }

  async findSend(
    tx: Tx,
    sender: DeviceAddress,
    clientMessageId: string,
  ): Promise<SendRecord | undefined> {
    const row = await tx.send.findUnique({
      where: {
        senderUserId_senderDeviceId_clientMessageId: {
          senderUserId: sender.userId,
          senderDeviceId: BigInt(sender.deviceId),
          clientMessageId,
        },
      },
      select: { id: true, storedAt: true, recipientCount: true, groupId: true },
    });
    return row ?? undefined;
  }

  /**
   * The recipients whose mailbox already holds `max` entries or more. Each count stops at
   * `max` (index-only scan), so a full mailbox costs the same as one at the limit.
   */
  async fullMailboxes(
    tx: Tx,
    recipients: readonly DeviceAddress[],
    max: number,
  ): Promise<DeviceAddress[]> {
    const users = recipients.map((r) => r.userId);
    const devices = recipients.map((r) => r.deviceId);
    const rows = await tx.$queryRaw<{ user_id: string; device_id: bigint }[]>`
      SELECT r.user_id, r.device_id
      FROM unnest(${users}::varchar[], ${devices}::bigint[]) AS r(user_id, device_id)
      WHERE (
        SELECT count(*) FROM (
          SELECT 1 FROM "message_delivery"."mailbox_entries" m
          WHERE m.recipient_user_id = r.user_id AND m.recipient_device_id = r.device_id
          LIMIT ${max}
        ) AS capped
      ) >= ${max}`;
    return rows.map((r) => ({ userId: r.user_id, deviceId: Number(r.device_id) }));
  }

  /**
   * All entries of one send in one multi-row INSERT. They carry the send's own timestamp
   * (Prisma would otherwise fill `@default(now())` from the client clock).
   */
  async insertEntries(
    tx: Tx,
    send: SendRecord,
    entries: readonly NewEntry[],
  ): Promise<StoredEntry[]> {
    const rows = await tx.mailboxEntry.createManyAndReturn({
      data: entries.map((e) => ({
        recipientUserId: e.recipient.userId,
        recipientDeviceId: BigInt(e.recipient.deviceId),
        sendId: send.id,
        storedAt: send.storedAt,
        type: e.type,
        content: bytes(e.content),
      })),
      select: { seq: true, recipientUserId: true, recipientDeviceId: true },
    });
    return rows.map((r) => ({
      seq: r.seq,
      recipient: { userId: r.recipientUserId, deviceId: Number(r.recipientDeviceId) },
    }));
  }

  /** Up to `limit` entries of one mailbox after `afterSeq`, oldest first. */
  async page(device: DeviceAddress, afterSeq: bigint, limit: number): Promise<MailboxRow[]> {
    const rows = await this.db.client.mailboxEntry.findMany({
      where: {
        recipientUserId: device.userId,
        recipientDeviceId: BigInt(device.deviceId),
        seq: { gt: afterSeq },
      },
      orderBy: { seq: 'asc' },
      take: limit,
      select: {
        seq: true,
        type: true,
        content: true,
        storedAt: true,
        send: {
          select: {
            senderUserId: true,
            senderDeviceId: true,
            clientMessageId: true,
            groupId: true,
            content: true,
          },
        },
      },
    });
    return rows.map((r) => {
      const content = r.content ?? r.send.content;
      // The table checks guarantee one of them; a NULL pair means data changed behind us.
      if (!content) throw new Error('mailbox entry without content');
      return {
        seq: r.seq,
        type: r.type,
        content: bytes(content),
        storedAt: r.storedAt,
        senderUserId: r.send.senderUserId,
        senderDeviceId: Number(r.send.senderDeviceId),
        clientMessageId: r.send.clientMessageId,
        groupId: r.send.groupId,
      };
    });
  }

  /** Deletes these entries of this device's mailbox only; returns how many went. */
  async deleteEntries(device: DeviceAddress, seqs: readonly bigint[]): Promise<number> {
    const { count } = await this.db.client.mailboxEntry.deleteMany({
      where: {
        recipientUserId: device.userId,
        recipientDeviceId: BigInt(device.deviceId),
        seq: { in: [...seqs] },
      },
    });
    return count;
  }
}
