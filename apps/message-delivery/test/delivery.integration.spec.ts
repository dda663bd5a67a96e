/**
 * Message delivery against real PostgreSQL and NATS: send, fetch, ack; atomic and
 * idempotent sends; mailbox isolation between devices; live delivery to a connected device
 * and the offline event for the others; limits with their codes. Recipients are registered in
 * the real prekey directory first (message-delivery checks every send against it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceAddress, ReplyOf, RequestOf, StoredMessage } from '@parley/contracts';
import {
  createSubjects,
  decodeLiveBatch,
  encodeLiveBatchAnswers,
  Events,
  liveDeliveryRpc,
  MAX_ENVELOPES_PER_SEND,
  MAX_MESSAGE_CONTENT_BYTES,
  namespaced,
  Rpc,
} from '@parley/contracts';
import { serveRpc } from '@parley/server-kit';
import pino from 'pino';
import type { Harness } from './helpers';
import { content, failure, mailboxCount, pairwise, sql, startHarness, userId } from './helpers';

const D = Rpc.delivery;
type StoredMessageJson = { messageId: string };

/** A pairwise send to devices that are current in the directory (registered first). */
async function send(h: Harness, req: RequestOf<typeof D.sendPairwise>) {
  await h.register(...req.envelopes.map((e) => e.recipient));
  return h.call(D.sendPairwise, req);
}

describe('message delivery over NATS', () => {
  let h: Harness;

  beforeAll(async () => {
    // One offline event per message, so each test can count them (coalescing: wakeups test).
    h = await startHarness('delivery', { DELIVERY_OFFLINE_EVENT_WINDOW_MS: '0' });
  });
  afterAll(async () => {
    await h.close();
  });

  const offlineEvents = (device: DeviceAddress) => h.offlineEvents(device);
  const waitForOfflineEvents = (device: DeviceAddress, n: number) =>
    h.waitForOfflineEvents(device, n);

  /**
   * A gateway answering `live-batch.<gatewayId>`: each line's message id goes to `lines`
   * ('?' for a malformed line), and every line is answered `holds()`.
   */
  function fakeBatchGateway(gatewayId: string, holds: () => boolean) {
    const lines: string[] = [];
    const sub = h.nc.subscribe(createSubjects(h.namespace).liveBatch.gateway(gatewayId), {
      callback: (_e, msg) => {
        const decoded = decodeLiveBatch(msg.data);
        for (const line of decoded) {
          lines.push(
            line
              ? (JSON.parse(Buffer.from(line.message).toString()) as StoredMessageJson).messageId
              : '?',
          );
        }
        msg.respond(encodeLiveBatchAnswers(decoded.map(() => holds())));
      },
    });
    return {
      lines,
      stop: () => {
        sub.unsubscribe();
      },
    };
  }

  /** A gateway holding `device` on its own live subject, answering every delivery `reply`. */
  function fakeDeviceGateway(
    device: DeviceAddress,
    reply: ReplyOf<ReturnType<typeof liveDeliveryRpc>>,
  ) {
    const served = {
      count: 0,
      stop: () => {
        sub.unsubscribe();
      },
    };
    const sub = serveRpc(
      h.nc,
      liveDeliveryRpc(device.userId, device.deviceId),
      () => {
        served.count++;
        return Promise.resolve(reply);
      },
      { namespace: h.namespace, logger: pino({ level: 'silent' }) },
    );
    return served;
  }

  it('stores a 1:1 message, serves it to the recipient, and deletes it on ack', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const bob = { userId: userId('bob'), deviceId: 1 };
    const req = pairwise(alice, [bob]);
    const before = Date.now();
    const reply = await send(h, req);
    expect(reply).toMatchObject({
      clientMessageId: req.clientMessageId,
      recipients: 1,
      deduplicated: false,
    });
    expect(reply.storedAt).toBeGreaterThanOrEqual(before - 1000);

    const page = await h.call(D.fetchMailbox, { device: bob });
    expect(page.more).toBe(false);
    expect(page.messages).toHaveLength(1);
    const [msg] = page.messages as [StoredMessage];
    expect(msg).toMatchObject({
      sender: alice,
      type: 'message',
      clientMessageId: req.clientMessageId,
      storedAt: reply.storedAt,
    });
    expect(msg.groupId).toBeUndefined();
    expect(Buffer.from(msg.content).equals(Buffer.from(req.envelopes[0]!.content))).toBe(true);

    // Fetching does not remove: only the ack does.
    expect((await h.call(D.fetchMailbox, { device: bob })).messages).toHaveLength(1);
    expect(await h.call(D.ack, { device: bob, messageIds: [msg.messageId] })).toEqual({
      deleted: 1,
    });
    expect(await h.call(D.fetchMailbox, { device: bob })).toEqual({ messages: [], more: false });
    // A repeated ack is harmless.
    expect(await h.call(D.ack, { device: bob, messageIds: [msg.messageId] })).toEqual({
      deleted: 0,
    });
  });

  it('stores a send to 5 recipient devices atomically, in one send row', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const carol = userId('carol');
    const recipients = [1, 2, 3, 4, 5].map((deviceId) => ({ userId: carol, deviceId }));
    const req = pairwise(alice, recipients);
    expect(await send(h, req)).toMatchObject({ recipients: 5, deduplicated: false });

    const rows = await sql<{ send_id: string; stored_at: Date; recipient_device_id: string }>(
      h.db.url,
      `SELECT send_id, stored_at, recipient_device_id FROM message_delivery.mailbox_entries
       WHERE recipient_user_id = $1 ORDER BY recipient_device_id`,
      [carol],
    );
    expect(rows.map((r) => Number(r.recipient_device_id))).toEqual([1, 2, 3, 4, 5]);
    // One transaction: one send row, one commit timestamp.
    expect(new Set(rows.map((r) => r.send_id)).size).toBe(1);
    expect(new Set(rows.map((r) => r.stored_at.getTime())).size).toBe(1);
    for (const device of recipients) {
      const { messages } = await h.call(D.fetchMailbox, { device });
      expect(messages).toHaveLength(1);
      expect(new TextDecoder().decode(messages[0]!.content)).toContain(
        `->${carol}/${device.deviceId}`,
      );
    }
  });

  it('stores a send of the maximum envelope count in one go', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const team = Array.from({ length: MAX_ENVELOPES_PER_SEND }, (_, i) => ({
      userId: userId('member'),
      deviceId: (i % 3) + 1,
    }));
    const req = pairwise(alice, team);
    const reply = await send(h, req);
    expect(reply).toMatchObject({ recipients: MAX_ENVELOPES_PER_SEND, deduplicated: false });
    const [row] = await sql<{ n: string; sends: string }>(
      h.db.url,
      `SELECT count(*) AS n, count(DISTINCT send_id) AS sends
       FROM message_delivery.mailbox_entries WHERE recipient_user_id = ANY($1)`,
      [team.map((t) => t.userId)],
    );
    expect({ n: Number(row!.n), sends: Number(row!.sends) }).toEqual({
      n: MAX_ENVELOPES_PER_SEND,
      sends: 1,
    });
    const last = team.at(-1)!;
    const { messages } = await h.call(D.fetchMailbox, { device: last });
    expect(new TextDecoder().decode(messages[0]!.content)).toContain(
      `->${last.userId}/${last.deviceId}`,
    );
  });

  it('stores a retried send once and repeats the original reply', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const dave = userId('dave');
    const recipients = [1, 2, 3].map((deviceId) => ({ userId: dave, deviceId }));
    const req = pairwise(alice, recipients);
    const first = await send(h, req);
    const retry = await send(h, req);
    expect(retry).toEqual({ ...first, deduplicated: true });

    // Retries racing each other: exactly one stores.
    const raced = pairwise(alice, recipients);
    const replies = await Promise.all(Array.from({ length: 10 }, () => send(h, raced)));
    expect(replies.filter((r) => !r.deduplicated)).toHaveLength(1);
    expect(new Set(replies.map((r) => r.storedAt)).size).toBe(1);

    for (const device of recipients) expect(await mailboxCount(h.db.url, device)).toBe(2);
    const [sends] = await sql<{ n: string }>(
      h.db.url,
      'SELECT count(*) AS n FROM message_delivery.sends WHERE sender_user_id = $1',
      [alice.userId],
    );
    expect(Number(sends!.n)).toBe(2);

    // The same id for a different message is refused, not silently answered.
    const reused = await failure(send(h, pairwise(alice, [recipients[0]!], req.clientMessageId)));
    expect(reused).toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'client-message-id-reused' },
    });
  });

  it('keeps each mailbox to its own device: another device can neither fetch nor ack it', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const erin = { userId: userId('erin'), deviceId: 1 };
    const erinTablet = { userId: erin.userId, deviceId: 2 };
    const mallory = { userId: userId('mallory'), deviceId: 1 };
    await send(h, pairwise(alice, [erin]));
    const { messages } = await h.call(D.fetchMailbox, { device: erin });
    const ids = messages.map((m) => m.messageId);
    expect(ids).toHaveLength(1);

    for (const other of [erinTablet, mallory]) {
      expect(await h.call(D.fetchMailbox, { device: other })).toEqual({
        messages: [],
        more: false,
      });
      // Paging from just before erin's message still shows only the other's own mailbox.
      const cursor = (BigInt(ids[0]!) - 1n).toString();
      expect(
        (
          await h.call(D.fetchMailbox, {
            device: other,
            after: cursor === '0' ? undefined : cursor,
          })
        ).messages,
      ).toEqual([]);
      expect(await h.call(D.ack, { device: other, messageIds: ids })).toEqual({ deleted: 0 });
    }
    expect(await mailboxCount(h.db.url, erin)).toBe(1);
    expect(await h.call(D.ack, { device: erin, messageIds: ids })).toEqual({ deleted: 1 });
  });

  it('publishes stored-for-offline-device for a recipient without a live connection', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const frank = { userId: userId('frank'), deviceId: 1 };
    await send(h, pairwise(alice, [frank]));
    const events = await waitForOfflineEvents(frank, 1);
    const { messages } = await h.call(D.fetchMailbox, { device: frank });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ recipient: frank, messageId: messages[0]!.messageId });
    // The event carries no content: only who, which message id and when.
    expect(Object.keys(events[0]!).sort()).toEqual(['at', 'messageId', 'recipient']);
    // The message stays in the mailbox until acked.
    expect(messages).toHaveLength(1);
  });

  it('delivers live to a connected device (and publishes no offline event for it)', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const grace = { userId: userId('grace'), deviceId: 1 };
    const henry = { userId: userId('henry'), deviceId: 1 };
    const received: { recipient: DeviceAddress; message: StoredMessage }[] = [];
    // What the gateway holding grace's socket does.
    const sub = serveRpc(
      h.nc,
      liveDeliveryRpc(grace.userId, grace.deviceId),
      (req) => {
        received.push(req);
        return Promise.resolve({ delivered: true });
      },
      { namespace: h.namespace, logger: pino({ level: 'silent' }) },
    );
    await h.nc.flush();
    try {
      const req = pairwise(alice, [grace, henry]);
      await send(h, req);
      await waitForOfflineEvents(henry, 1);
      const deadline = Date.now() + 5_000;
      while (received.length === 0 && Date.now() < deadline) await sleep(20);

      expect(received).toHaveLength(1);
      const [live] = received as [{ recipient: DeviceAddress; message: StoredMessage }];
      expect(live.recipient).toEqual(grace);
      expect(live.message).toMatchObject({
        sender: alice,
        type: 'message',
        clientMessageId: req.clientMessageId,
      });
      expect(Buffer.from(live.message.content).equals(Buffer.from(req.envelopes[0]!.content))).toBe(
        true,
      );
      // Delivered live and still in the mailbox (until acked), with the same id.
      const { messages } = await h.call(D.fetchMailbox, { device: grace });
      expect(messages.map((m) => m.messageId)).toEqual([live.message.messageId]);
      expect(await offlineEvents(grace)).toEqual([]);
      expect(await offlineEvents(henry)).toHaveLength(1);
    } finally {
      sub.unsubscribe();
    }
  });

  it('counts a gateway that could not write to the socket as offline (event published)', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const kate = { userId: userId('kate'), deviceId: 1 };
    let offered = 0;
    const sub = serveRpc(
      h.nc,
      liveDeliveryRpc(kate.userId, kate.deviceId),
      () => {
        offered++;
        return Promise.resolve({ delivered: false });
      },
      { namespace: h.namespace, logger: pino({ level: 'silent' }) },
    );
    await h.nc.flush();
    try {
      await send(h, pairwise(alice, [kate]));
      const events = await waitForOfflineEvents(kate, 1);
      expect(offered).toBe(1);
      expect(events).toHaveLength(1);
      expect((await h.call(D.fetchMailbox, { device: kate })).messages).toHaveLength(1);
    } finally {
      sub.unsubscribe();
    }
  });

  it('remembers a device without responder as offline until its gateway announces it online', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const liam = { userId: userId('liam'), deviceId: 1 };
    await send(h, pairwise(alice, [liam]));
    await waitForOfflineEvents(liam, 1);
    let offered = 0;
    const sub = serveRpc(
      h.nc,
      liveDeliveryRpc(liam.userId, liam.deviceId),
      () => {
        offered++;
        return Promise.resolve({ delivered: true });
      },
      { namespace: h.namespace, logger: pino({ level: 'silent' }) },
    );
    await h.nc.flush();
    try {
      // Still remembered offline: no live attempt, the offline event instead.
      await send(h, pairwise(alice, [liam]));
      await waitForOfflineEvents(liam, 2);
      expect(offered).toBe(0);
      // The gateway says liam is online: live attempts resume at once.
      h.nc.publish(
        namespaced(h.namespace, Events.presence.changed.subject),
        JSON.stringify({ device: liam, gatewayId: 'gw-1', status: 'online', at: Date.now() }),
      );
      await h.nc.flush();
      await sleep(100);
      await send(h, pairwise(alice, [liam]));
      const deadline = Date.now() + 5_000;
      while (offered === 0 && Date.now() < deadline) await sleep(20);
      expect(offered).toBe(1);
      expect(await offlineEvents(liam)).toHaveLength(2);
      expect((await h.call(D.fetchMailbox, { device: liam })).messages).toHaveLength(3);
    } finally {
      sub.unsubscribe();
    }
  });

  it("delivers through the live batch of the gateway presence names, and the device's subject when that gateway no longer holds it", async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const mia = { userId: userId('mia'), deviceId: 1 };
    const gatewayId = `gw-${mia.userId}`;
    let holds = true;
    const { lines: batchLines, stop: stopBatches } = fakeBatchGateway(gatewayId, () => holds);
    const direct = fakeDeviceGateway(mia, { delivered: true });
    h.nc.publish(
      namespaced(h.namespace, Events.presence.changed.subject),
      JSON.stringify({ device: mia, gatewayId, status: 'online', at: Date.now() }),
    );
    await h.nc.flush();
    await sleep(100);
    try {
      const replies = await Promise.all([1, 2, 3].map(() => send(h, pairwise(alice, [mia]))));
      const stored = (await h.call(D.fetchMailbox, { device: mia })).messages;
      const deadline = Date.now() + 5_000;
      while (batchLines.length < 3 && Date.now() < deadline) await sleep(20);
      expect(replies).toHaveLength(3);
      expect([...batchLines].sort()).toEqual(stored.map((m) => m.messageId).sort());
      expect(direct.count).toBe(0);

      // mia moved to another gateway (whose presence event was lost): her old gateway says
      // no, her own subject delivers, and the stale guess is forgotten for the next send.
      holds = false;
      await send(h, pairwise(alice, [mia]));
      while (direct.count < 1 && Date.now() < deadline) await sleep(20);
      expect(direct.count).toBe(1);
      expect(batchLines).toHaveLength(4);
      await send(h, pairwise(alice, [mia]));
      while (direct.count < 2 && Date.now() < deadline) await sleep(20);
      expect(direct.count).toBe(2);
      expect(batchLines).toHaveLength(4);
    } finally {
      stopBatches();
      direct.stop();
    }
  });

  it('learns the gateway from a delivered answer on the device subject (no presence event seen)', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const nina = { userId: userId('nina'), deviceId: 1 };
    const gatewayId = `gw-${nina.userId}`;
    const { lines: batchLines, stop: stopBatches } = fakeBatchGateway(gatewayId, () => true);
    // nina connected before this instance started: only her own subject finds her, and her
    // gateway names itself in the answer.
    const direct = fakeDeviceGateway(nina, { delivered: true, gatewayId });
    await h.nc.flush();
    try {
      await send(h, pairwise(alice, [nina]));
      const deadline = Date.now() + 5_000;
      while (direct.count < 1 && Date.now() < deadline) await sleep(20);
      expect(direct.count).toBe(1);
      expect(batchLines).toEqual([]);

      await send(h, pairwise(alice, [nina]));
      while (batchLines.length < 1 && Date.now() < deadline) await sleep(20);
      const stored = (await h.call(D.fetchMailbox, { device: nina })).messages;
      expect(batchLines).toEqual([stored[1]!.messageId]);
      expect(direct.count).toBe(1);
    } finally {
      stopBatches();
      direct.stop();
    }
  });

  it('refuses oversized envelopes and too many envelopes with VALIDATION_FAILED, storing nothing', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const ivan = { userId: userId('ivan'), deviceId: 1 };
    const big = pairwise(alice, [ivan]);
    const oversized = {
      ...big,
      envelopes: [{ ...big.envelopes[0]!, content: new Uint8Array(MAX_MESSAGE_CONTENT_BYTES + 1) }],
    };
    expect(await failure(send(h, oversized))).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const many = Array.from({ length: MAX_ENVELOPES_PER_SEND + 1 }, (_, i) => ({
      userId: ivan.userId,
      deviceId: i + 1,
    }));
    const tooMany = pairwise(alice, many);
    tooMany.envelopes.forEach((e) => (e.content = content('x', 8)));
    expect(await failure(send(h, tooMany))).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await mailboxCount(h.db.url, ivan)).toBe(0);
  });

  it('refuses an unknown cursor', async () => {
    const judy = { userId: userId('judy'), deviceId: 1 };
    expect(await failure(h.call(D.fetchMailbox, { device: judy, after: 'abc' }))).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('message delivery with a small mailbox limit', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('limit', { DELIVERY_MAX_MAILBOX_ENTRIES: '3' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a send whole when one recipient mailbox is full (CONFLICT mailbox-full)', async () => {
    const alice = { userId: userId('alice'), deviceId: 1 };
    const full = { userId: userId('kim'), deviceId: 1 };
    const roomy = { userId: userId('leo'), deviceId: 1 };
    const first = pairwise(alice, [full]);
    await send(h, first);
    for (let i = 0; i < 2; i++) await send(h, pairwise(alice, [full]));
    // A resend of a stored message still gets its original reply, full mailbox or not.
    expect(await send(h, first)).toMatchObject({
      deduplicated: true,
      recipients: 1,
    });
    const refused = await failure(send(h, pairwise(alice, [roomy, full])));
    expect(refused).toMatchObject({ code: 'CONFLICT', details: { reason: 'mailbox-full' } });
    // Nothing of the refused send is stored, not even for the recipient with room.
    expect(await mailboxCount(h.db.url, roomy)).toBe(0);
    expect(await mailboxCount(h.db.url, full)).toBe(3);

    // Acking makes room again.
    const { messages } = await h.call(D.fetchMailbox, { device: full, limit: 1 });
    await h.call(D.ack, { device: full, messageIds: [messages[0]!.messageId] });
    expect(await send(h, pairwise(alice, [roomy, full]))).toMatchObject({
      recipients: 2,
    });
  });
});
