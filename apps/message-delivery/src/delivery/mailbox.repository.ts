/**
 * Every SQL statement of message delivery. A pairwise send is ONE statement: the mailbox
 * size check, the `sends` row (the idempotency key) and all entries in one multi-row INSERT.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress } from '@parley/contracts';
import { MessageDeliveryDatabase } from '../database/message-delivery.database';

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

export interface StorePairwiseResult {
  /** Undefined when nothing was stored: a full mailbox, or a resend. */
  readonly stored: { readonly send: SendRecord; readonly entries: StoredEntry[] } | undefined;
  /** Recipients whose mailbox is full (counted whether or not the send is a resend). */
  readonly fullMailboxes: number;
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

  /** The stored send of (sender, clientMessageId), if any. */
  async findSend(sender: DeviceAddress, clientMessageId: string): Promise<SendRecord | undefined> {
    const row = await this.db.client.send.findUnique({
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
   * A whole pairwise send in ONE statement (so one implicit transaction, one round trip):
   * the capped size check of every recipient mailbox, the `sends` row (skipped when a
   * mailbox is full, or when (sender, clientMessageId) exists: ON CONFLICT DO NOTHING waits
   * for a concurrent identical send to commit or roll back), and all entries in one
   * multi-row INSERT carrying the send's timestamp. Nothing is stored unless all of it is.
   */
  async storePairwise(
    sender: DeviceAddress,
    clientMessageId: string,
    entries: readonly NewEntry[],
    maxMailbox: number,
  ): Promise<StorePairwiseResult> {
    const users = entries.map((e) => e.recipient.userId);
    const devices = entries.map((e) => e.recipient.deviceId);
    const types = entries.map((e) => e.type);
    const contents = entries.map((e) => Buffer.from(e.content).toString('base64'));
    const rows = await this.db.client.$queryRaw<
      {
        full_count: bigint;
        send_id: bigint | null;
        stored_at: Date | null;
        entries: string | null;
      }[]
    >`
      WITH r AS (
        SELECT * FROM unnest(${users}::varchar[], ${devices}::bigint[], ${types}::text[],
                             ${contents}::text[])
          WITH ORDINALITY AS r(user_id, device_id, type, content, ord)
      ), full_boxes AS (
        SELECT count(*) AS n FROM r
        WHERE (
          SELECT count(*) FROM (
            SELECT 1 FROM "message_delivery"."mailbox_entries" m
            WHERE m.recipient_user_id = r.user_id AND m.recipient_device_id = r.device_id
            LIMIT ${maxMailbox}
          ) AS capped
        ) >= ${maxMailbox}
      ), s AS (
        INSERT INTO "message_delivery"."sends"
          (sender_user_id, sender_device_id, client_message_id, recipient_count)
        SELECT ${sender.userId}, ${BigInt(sender.deviceId)}, ${clientMessageId}, ${entries.length}
        WHERE (SELECT n FROM full_boxes) = 0
        ON CONFLICT (sender_user_id, sender_device_id, client_message_id) DO NOTHING
        RETURNING id, stored_at
      ), e AS (
        INSERT INTO "message_delivery"."mailbox_entries"
          (recipient_user_id, recipient_device_id, send_id, type, content, stored_at)
        SELECT r.user_id, r.device_id, s.id, r.type::"message_delivery"."message_type",
               decode(r.content, 'base64'), s.stored_at
        FROM s CROSS JOIN r ORDER BY r.ord
        RETURNING seq, recipient_user_id, recipient_device_id
      )
      SELECT (SELECT n FROM full_boxes) AS full_count,
             (SELECT id FROM s) AS send_id,
             (SELECT stored_at FROM s) AS stored_at,
             (SELECT json_agg(json_build_array(seq::text, recipient_user_id, recipient_device_id))::text
                FROM e) AS entries`;
    const row = rows[0];
    if (!row || row.send_id === null || row.stored_at === null || row.entries === null) {
      return { stored: undefined, fullMailboxes: Number(row?.full_count ?? 0) };
    }
    const stored = (JSON.parse(row.entries) as [string, string, number | string][]).map(
      ([seq, userId, deviceId]) => ({
        seq: BigInt(seq),
        recipient: { userId, deviceId: Number(deviceId) },
      }),
    );
    return {
      stored: {
        send: {
          id: row.send_id,
          storedAt: row.stored_at,
          recipientCount: entries.length,
          groupId: null,
        },
        entries: stored,
      },
      fullMailboxes: 0,
    };
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
