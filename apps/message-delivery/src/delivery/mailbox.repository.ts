/**
 * Every SQL statement of message delivery. Sends are stored by `storeSends`: ONE statement for
 * a whole batch of sends (the mailbox size checks, the `sends` rows, which are the idempotency
 * keys, and all entries in one multi-row INSERT), so one round trip and one commit for all of
 * them (group commit, see commit-batcher.ts).
 *
 * Sender-key layout, chosen by measurement (test/stress/group-layout.stress.ts: one fan-out
 * statement of a 1 KiB ciphertext, median of 15, commit included, 2-core machine at load ~18):
 * ONE ciphertext in `sends.content` + one content-less `mailbox_entries` row per recipient
 * device, against a copy of the ciphertext in every recipient's row:
 *   recipients   shared ciphertext     copy per device
 *   10            3.66 ms    5 KiB WAL   3.44 ms   14 KiB WAL
 *   100           6.34 ms   35 KiB WAL   6.94 ms  135 KiB WAL
 *   1000         27.44 ms  381 KiB WAL  29.05 ms 1375 KiB WAL
 * Time is about equal (row count dominates), but the copy writes 3.6x the WAL and heap at
 * 1000 recipients, growing with the ciphertext; a page read joins the send either way.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress } from '@parley/contracts';
import { bytesToBase64 } from '@parley/contracts';
import { MessageDeliveryDatabase } from '../database/message-delivery.database';

export type EntryType = 'prekey' | 'message' | 'sender_key';

export interface SendRecord {
  readonly id: bigint;
  readonly storedAt: Date;
  readonly recipientCount: number;
  readonly groupId: string | null;
  readonly groupEpoch: number | null;
  /** A sender-key send (one ciphertext for all its entries). */
  readonly senderKey: boolean;
}

export interface NewEntry {
  readonly recipient: DeviceAddress;
  readonly type: EntryType;
  /** The pairwise ciphertext; absent for sender-key entries (the send holds it). */
  readonly content?: Uint8Array;
}

export interface NewSend {
  readonly sender: DeviceAddress;
  readonly clientMessageId: string;
  readonly group?: { readonly groupId: string; readonly epoch: number };
  /** The one sender-key ciphertext; absent for pairwise sends. */
  readonly content?: Uint8Array;
  readonly entries: readonly NewEntry[];
}

export interface StoredEntry {
  readonly seq: bigint;
  readonly recipient: DeviceAddress;
}

export type StoreOutcome =
  | { readonly stored: true; readonly send: SendRecord; readonly entries: StoredEntry[] }
  /** Nothing stored: a full mailbox, or (sender, clientMessageId) exists already. */
  | { readonly stored: false; readonly mailboxFull: boolean };

const b64 = (value: Uint8Array | undefined): string | null =>
  value === undefined ? null : bytesToBase64(value);

@Injectable()
export class MailboxRepository {
  constructor(@Inject(MessageDeliveryDatabase) private readonly db: MessageDeliveryDatabase) {}

  /** The stored sends of these (sender, clientMessageId) keys, in order (one query). */
  async findSends(
    keys: readonly { readonly sender: DeviceAddress; readonly clientMessageId: string }[],
  ): Promise<(SendRecord | undefined)[]> {
    const rows = await this.db.client.$queryRaw<
      {
        k: bigint;
        id: bigint;
        stored_at: Date;
        recipient_count: number;
        group_id: string | null;
        group_epoch: number | null;
        sender_key: boolean;
      }[]
    >`
      SELECT q.k, s.id, s.stored_at, s.recipient_count, s.group_id, s.group_epoch,
             s.content IS NOT NULL AS sender_key
      FROM unnest(${keys.map((x) => x.sender.userId)}::varchar[],
                  ${keys.map((x) => BigInt(x.sender.deviceId))}::bigint[],
                  ${keys.map((x) => x.clientMessageId)}::varchar[])
           WITH ORDINALITY AS q(user_id, device_id, cm, k)
      JOIN "message_delivery"."sends" s
        ON s.sender_user_id = q.user_id AND s.sender_device_id = q.device_id
       AND s.client_message_id = q.cm`;
    const found = new Map(
      rows.map((row) => [
        Number(row.k),
        {
          id: row.id,
          storedAt: row.stored_at,
          recipientCount: row.recipient_count,
          groupId: row.group_id,
          groupEpoch: row.group_epoch,
          senderKey: row.sender_key,
        },
      ]),
    );
    return keys.map((_, i) => found.get(i + 1));
  }

  /**
   * Several sends in ONE statement (so one implicit transaction, one round trip, one WAL
   * flush): the size check of every recipient mailbox (its `mailboxes` count), the `sends`
   * rows (skipped for a send that would overfill a mailbox, or when (sender, clientMessageId)
   * exists: ON CONFLICT DO NOTHING waits for a concurrent identical send to commit or roll
   * back), all entries in one multi-row INSERT carrying their send's timestamp, and the
   * mailbox counts raised by what was inserted. Each send is stored whole or not at all; the
   * callers keep (sender, clientMessageId) unique within one call.
   *
   * The counts go to `slot` (the caller's lane: no two statements running at once in this
   * instance share one, so they never wait for each other's count rows; a row stays locked
   * until the commit, which for a send includes the WAL flush). Upserts go in key order (here
   * and in `deleteEntries`), so statements of several instances that meet on a slot lock the
   * same rows in the same order and cannot deadlock.
   */
  async storeSends(
    sends: readonly NewSend[],
    maxMailbox: number,
    slot: number,
  ): Promise<StoreOutcome[]> {
    const su: string[] = [];
    const sdev: bigint[] = [];
    const cm: string[] = [];
    const rc: number[] = [];
    const gid: (string | null)[] = [];
    const gep: (number | null)[] = [];
    const gc: (string | null)[] = [];
    const ek: number[] = [];
    const eu: string[] = [];
    const ed: number[] = [];
    const et: string[] = [];
    const ec: (string | null)[] = [];
    sends.forEach((s, k) => {
      su.push(s.sender.userId);
      sdev.push(BigInt(s.sender.deviceId));
      cm.push(s.clientMessageId);
      rc.push(s.entries.length);
      gid.push(s.group?.groupId ?? null);
      gep.push(s.group?.epoch ?? null);
      gc.push(b64(s.content));
      for (const e of s.entries) {
        ek.push(k + 1);
        eu.push(e.recipient.userId);
        ed.push(e.recipient.deviceId);
        et.push(e.type);
        ec.push(b64(e.content));
      }
    });
    const rows = await this.db.client.$queryRaw<{ result: string }[]>`
      WITH sd AS (
        SELECT * FROM unnest(${su}::varchar[], ${sdev}::bigint[], ${cm}::varchar[], ${rc}::int[],
                             ${gid}::varchar[], ${gep}::int[], ${gc}::text[])
          WITH ORDINALITY AS sd(su, sdev, cm, rc, gid, gep, gc, k)
      ), r AS (
        SELECT * FROM unnest(${ek}::bigint[], ${eu}::varchar[], ${ed}::bigint[], ${et}::text[],
                             ${ec}::text[])
          WITH ORDINALITY AS r(k, user_id, device_id, type, content, ord)
      ), full_boxes AS (
        SELECT b.user_id, b.device_id FROM (SELECT DISTINCT user_id, device_id FROM r) b
        JOIN "message_delivery"."mailboxes" mb
          ON mb.recipient_user_id = b.user_id AND mb.recipient_device_id = b.device_id
        GROUP BY b.user_id, b.device_id
        HAVING sum(mb.entry_count) >= ${maxMailbox}
      ), full_sends AS (
        SELECT DISTINCT r.k FROM r JOIN full_boxes f USING (user_id, device_id)
      ), s AS (
        INSERT INTO "message_delivery"."sends"
          (sender_user_id, sender_device_id, client_message_id, group_id, group_epoch, content,
           recipient_count)
        SELECT su, sdev, cm, gid, gep, decode(gc, 'base64'), rc FROM sd
        WHERE sd.k NOT IN (SELECT k FROM full_sends)
        ORDER BY sd.k
        ON CONFLICT (sender_user_id, sender_device_id, client_message_id) DO NOTHING
        RETURNING id, sender_user_id, sender_device_id, client_message_id, stored_at
      ), sk AS (
        SELECT sd.k, s.id, s.stored_at FROM s
        JOIN sd ON s.sender_user_id = sd.su AND s.sender_device_id = sd.sdev
               AND s.client_message_id = sd.cm
      ), e AS (
        INSERT INTO "message_delivery"."mailbox_entries"
          (recipient_user_id, recipient_device_id, send_id, type, content, stored_at)
        SELECT r.user_id, r.device_id, sk.id, r.type::"message_delivery"."message_type",
               decode(r.content, 'base64'), sk.stored_at
        FROM r JOIN sk USING (k) ORDER BY r.ord
        RETURNING seq, send_id, recipient_user_id, recipient_device_id
      ), counted AS (
        INSERT INTO "message_delivery"."mailboxes" AS mb
          (recipient_user_id, recipient_device_id, slot, entry_count)
        SELECT recipient_user_id, recipient_device_id, ${slot}::smallint, count(*)::int FROM e
        GROUP BY recipient_user_id, recipient_device_id
        ORDER BY recipient_user_id, recipient_device_id
        ON CONFLICT (recipient_user_id, recipient_device_id, slot)
          DO UPDATE SET entry_count = mb.entry_count + excluded.entry_count
      )
      SELECT json_build_object(
        'full', (SELECT json_agg(k) FROM full_sends),
        'sends', (SELECT json_agg(json_build_array(k, id::text, stored_at)) FROM sk),
        'entries', (SELECT json_agg(json_build_array(seq::text, send_id::text, recipient_user_id,
                                                     recipient_device_id) ORDER BY seq) FROM e)
      )::text AS result`;
    const parsed = JSON.parse(rows[0]?.result ?? '{}') as {
      full: number[] | null;
      sends: [number, string, string][] | null;
      entries: [string, string, string, number | string][] | null;
    };
    const full = new Set(parsed.full ?? []);
    const stored = new Map((parsed.sends ?? []).map(([k, id, at]) => [k, { id, at }]));
    const entriesBySend = new Map<string, StoredEntry[]>();
    for (const [seq, sendId, userId, deviceId] of parsed.entries ?? []) {
      let list = entriesBySend.get(sendId);
      if (!list) entriesBySend.set(sendId, (list = []));
      list.push({ seq: BigInt(seq), recipient: { userId, deviceId: Number(deviceId) } });
    }
    return sends.map((s, i): StoreOutcome => {
      const hit = stored.get(i + 1);
      if (!hit) return { stored: false, mailboxFull: full.has(i + 1) };
      return {
        stored: true,
        send: {
          id: BigInt(hit.id),
          storedAt: new Date(hit.at),
          recipientCount: s.entries.length,
          groupId: s.group?.groupId ?? null,
          groupEpoch: s.group?.epoch ?? null,
          senderKey: s.content !== undefined,
        },
        entries: entriesBySend.get(hit.id) ?? [],
      };
    });
  }

  /**
   * Deletes up to `limit` sends stored more than `retentionMs` ago (by the database's clock)
   * that have no entry left (every
   * recipient acked; the foreign key would cascade to unacked entries, so those sends stay
   * whatever their age). SKIP LOCKED lets several instances purge at once without waiting on
   * each other. Returns how many went.
   */
  async purgeSends(retentionMs: number, limit: number): Promise<number> {
    return this.db.client.$executeRaw`
      WITH doomed AS (
        SELECT s.id FROM "message_delivery"."sends" s
        WHERE s.stored_at < now() - ${retentionMs} * interval '1 millisecond'
          AND NOT EXISTS (
            SELECT 1 FROM "message_delivery"."mailbox_entries" m WHERE m.send_id = s.id)
        ORDER BY s.stored_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      DELETE FROM "message_delivery"."sends" s USING doomed WHERE s.id = doomed.id`;
  }

  /**
   * A mailbox page in its wire form, as JSON text built by PostgreSQL: up to `limit` entries
   * after `afterSeq`, oldest first, cut before the entry that would take the content past
   * `maxContentBytes` (the first entry always goes), and whether more wait. The text is what
   * `z.encode` of the fetchMailbox reply gives, keys in the same order (an integration test
   * holds every message type to it); the service sends it on as it is (JsonReply).
   *
   * Why in SQL: built in JavaScript, each page was decoded from the driver's rows (bytea in
   * hex), re-encoded to base64, assembled and stringified, and the gateway parsed and
   * stringified it once more. That was most of both services' CPU while a crowd of devices
   * drained (bench:e2e offline drain); PostgreSQL writes the same JSON in C from the tuples.
   */
  async pageJson(
    device: DeviceAddress,
    afterSeq: bigint,
    limit: number,
    maxContentBytes: number,
  ): Promise<string> {
    const rows = await this.db.client.$queryRaw<{ page: string; complete: boolean }[]>`
      WITH fetched AS (
        SELECT m.seq, m.type, coalesce(m.content, s.content) AS content, m.stored_at,
               s.sender_user_id, s.sender_device_id, s.client_message_id, s.group_id
        FROM (
          -- One row more than asked tells whether more wait.
          SELECT * FROM "message_delivery"."mailbox_entries" m
          WHERE m.recipient_user_id = ${device.userId}
            AND m.recipient_device_id = ${BigInt(device.deviceId)}
            AND m.seq > ${afterSeq}
          ORDER BY m.seq
          LIMIT ${limit + 1}
        ) m
        -- One primary-key lookup per entry. As a plain join of a whole page the planner
        -- hashed the entire sends table instead (a sequential scan per page, O(all sends)).
        CROSS JOIN LATERAL (
          SELECT * FROM "message_delivery"."sends" s WHERE s.id = m.send_id LIMIT 1
        ) s
      ), numbered AS (
        SELECT f.*, row_number() OVER (ORDER BY f.seq) AS n,
               sum(octet_length(f.content)) OVER (ORDER BY f.seq) AS running_bytes
        FROM fetched f
      ), taken AS (
        SELECT * FROM numbered
        WHERE n <= ${limit} AND (n = 1 OR running_bytes <= ${maxContentBytes})
      )
      SELECT '{"messages":['
             || coalesce(string_agg(json_strip_nulls(row_to_json(w.message))::text, ','
                                    ORDER BY w.seq), '')
             || '],"more":' || ((SELECT count(*) FROM fetched) > count(*))::text || '}' AS page,
             coalesce(bool_and(w.has_content), true) AS complete
      FROM (
        SELECT t.seq, t.content IS NOT NULL AS has_content,
               (SELECT m FROM (SELECT
                  t.seq::text AS "messageId",
                  (SELECT a FROM (SELECT t.sender_user_id AS "userId",
                                         t.sender_device_id AS "deviceId") a) AS sender,
                  CASE t.type WHEN 'sender_key' THEN 'sender-key' ELSE t.type::text END AS type,
                  t.group_id AS "groupId",
                  t.client_message_id AS "clientMessageId",
                  -- encode() breaks base64 into lines of 76; the contract wants one line.
                  translate(encode(t.content, 'base64'), chr(10), '') AS content,
                  (extract(epoch FROM t.stored_at) * 1000)::bigint AS "storedAt"
               ) m) AS message
        FROM taken t
      ) w`;
    const row = rows[0];
    // The table checks guarantee content; without it the page would break the contract.
    if (!row?.complete) throw new Error('mailbox entry without content');
    return row.page;
  }

  /**
   * Acks of several devices in ONE statement: each request deletes only entries of its own
   * device's mailbox, and the mailbox counts drop by what was deleted; returns how many went
   * per request. The commit does not wait for the WAL
   * flush (`synchronous_commit` off for this transaction only): if PostgreSQL itself crashes
   * right after, an ack may be lost and the message delivered again, which clients handle
   * anyway (they de-duplicate by messageId). Sends never take this shortcut.
   */
  async deleteEntries(
    acks: readonly { readonly device: DeviceAddress; readonly seqs: readonly bigint[] }[],
    slot: number,
  ): Promise<number[]> {
    const k: number[] = [];
    const users: string[] = [];
    const devices: bigint[] = [];
    const seqs: bigint[] = [];
    acks.forEach((a, i) => {
      for (const seq of a.seqs) {
        k.push(i + 1);
        users.push(a.device.userId);
        devices.push(BigInt(a.device.deviceId));
        seqs.push(seq);
      }
    });
    const rows = await this.db.client.$queryRaw<{ k: bigint; n: bigint }[]>`
      WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)),
      a AS (
        SELECT * FROM unnest(${k}::int[], ${users}::varchar[], ${devices}::bigint[],
                             ${seqs}::bigint[]) AS a(k, user_id, device_id, seq)
        WHERE EXISTS (SELECT 1 FROM relaxed)
      ), d AS (
        DELETE FROM "message_delivery"."mailbox_entries" m
        USING a
        WHERE m.recipient_user_id = a.user_id AND m.recipient_device_id = a.device_id
          AND m.seq = a.seq
        RETURNING a.k, m.recipient_user_id, m.recipient_device_id
      ), counted AS (
        INSERT INTO "message_delivery"."mailboxes" AS mb
          (recipient_user_id, recipient_device_id, slot, entry_count)
        SELECT recipient_user_id, recipient_device_id, ${slot}::smallint, -count(*)::int FROM d
        GROUP BY recipient_user_id, recipient_device_id
        ORDER BY recipient_user_id, recipient_device_id
        ON CONFLICT (recipient_user_id, recipient_device_id, slot)
          DO UPDATE SET entry_count = mb.entry_count + excluded.entry_count
      )
      SELECT k, count(*) AS n FROM d GROUP BY k`;
    const counts = new Map(rows.map((r) => [Number(r.k), Number(r.n)]));
    return acks.map((_, i) => counts.get(i + 1) ?? 0);
  }
}
