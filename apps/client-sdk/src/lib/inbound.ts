/**
 * The inbound pipeline of a device: every message goes through one lane (the client's
 * Mutex), de-duplicated by server message id, decrypted, its plaintext kept and its session
 * saved, handled, marked processed, emitted, then acked. A message that cannot be read is
 * emitted as 'undecryptable' with a typed reason and acked, never dropped silently; a
 * transient failure leaves it unacked and drains again shortly.
 */
import type { StoredMessage } from '@parley/contracts';
import { MAX_MAILBOX_PAGE } from '@parley/contracts';
import type { MemberDevice } from '@parley/protocol';
import { openPairwiseGroupPayload, ProtocolError } from '@parley/protocol';
import type { DeviceAddress } from './addresses';
import { addressKey } from './addresses';
import type { SdkContent } from './content';
import {
  decodeJson,
  DIRECT,
  directPlaintext,
  GROUP,
  GroupBodySchema,
  SdkContentSchema,
} from './content';
import { isTransient, ParleySdkError } from './errors';
import type { ParleyEvents } from './events';
import type { Groups } from './groups';
import type { Mutex } from './mutex';
import type { Outbox } from './outbox';
import type { UndecryptableReason } from './receive-errors';
import { needsSessionRepair, reasonOf } from './receive-errors';
import type { Sessions } from './sessions';
import type { ParleyStore } from './store/store';
import type { GatewayApi } from './transport/gateway-api';

const SESSION_REPAIR_INTERVAL_MS = 30_000;
const MAILBOX_PAGE = MAX_MAILBOX_PAGE;
const RETRY_DELAY_MS = 1000;

export interface InboundDevice {
  readonly sessions: Sessions;
  readonly outbox: Outbox;
  readonly groups: Groups;
}

export interface InboundContext {
  readonly store: ParleyStore;
  readonly api: GatewayApi;
  readonly lane: Mutex;
  readonly userId: string;
  readonly now: () => number;
  readonly senderKeyWaitMs: number;
  /** The registered device (throws when closed or not registered). */
  device(): InboundDevice;
  isLive(): boolean;
  emit<K extends keyof ParleyEvents>(event: K, payload: ParleyEvents[K]): void;
}

export class Inbound {
  private readonly inFlight = new Set<string>();
  private readonly waiting = new Map<string, { message: StoredMessage; deadline: number }>();
  private readonly lastRepair = new Map<string, number>();
  private pendingAcks: string[] = [];
  private ackFlush: Promise<void> | undefined;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly ctx: InboundContext) {}

  /** No more later drains are scheduled. */
  stop(): void {
    this.stopped = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  /** Fetches and handles everything waiting in the mailbox (also without a WebSocket). */
  async drain(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.ctx.api.mailbox({ limit: MAILBOX_PAGE, ...(after ? { after } : {}) });
      await Promise.all(page.messages.map((m) => this.handle(m)));
      await this.flushAcks();
      const last = page.messages[page.messages.length - 1];
      if (!page.more || !last) return;
      after = last.messageId;
    }
  }

  /** One inbound message, exactly once: dedup, decrypt, save, emit, ack. */
  async handle(m: StoredMessage): Promise<void> {
    if (this.inFlight.has(m.messageId)) return;
    this.inFlight.add(m.messageId);
    let outcome: 'done' | 'wait' | 'retry';
    try {
      outcome = await this.ctx.lane.run(async () => {
        const device = this.ctx.device();
        if (await this.ctx.store.isProcessed(m.messageId)) return 'done';
        const result = await this.receive(device, m);
        if (result === 'wait') return 'wait';
        await this.ctx.store.markProcessed(m.messageId);
        await this.ctx.store.deleteInbox(m.messageId);
        return 'done';
      });
    } catch (error) {
      // Not acked: the message stays in the mailbox and is tried again.
      if (!isTransient(error)) this.ctx.emit('error', error);
      outcome = 'retry';
    }
    if (outcome === 'wait') return;
    this.inFlight.delete(m.messageId);
    if (outcome === 'done') this.queueAck(m.messageId);
    else this.drainLater(RETRY_DELAY_MS);
  }

  /**
   * Drains the mailbox again after `delayMs` (after a transient failure, or a `sync` frame),
   * while the socket is up; one pending drain serves every request made meanwhile.
   */
  drainLater(delayMs: number): void {
    if (this.drainTimer || this.stopped) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      if (this.ctx.isLive()) {
        void this.drain().catch((error: unknown) => {
          this.ctx.emit('error', error);
        });
      }
    }, delayMs);
  }

  /** Decrypts and dispatches; emits; returns 'wait' to keep the message for later. */
  private async receive(device: InboundDevice, m: StoredMessage): Promise<'done' | 'wait'> {
    const from: DeviceAddress = { userId: m.sender.userId, deviceId: m.sender.deviceId };
    const undecryptable = (reason: UndecryptableReason) => {
      this.ctx.emit('undecryptable', {
        messageId: m.messageId,
        from,
        reason,
        ...(m.groupId ? { groupId: m.groupId } : {}),
      });
    };

    if (m.type === 'sender-key') {
      try {
        const opened = await device.groups.openSenderKeyMessage(m);
        if (opened.kind === 'wait') {
          if (!this.waiting.has(m.messageId)) {
            this.waiting.set(m.messageId, {
              message: m,
              deadline: this.ctx.now() + this.ctx.senderKeyWaitMs,
            });
          }
          return 'wait';
        }
        this.waiting.delete(m.messageId);
        if (opened.kind === 'refused') undecryptable(opened.reason);
        else this.emitText(m, from, opened.body.text, opened.body.sentAt, opened.groupId);
      } catch (error) {
        if (!isVerdict(error)) throw error;
        this.waiting.delete(m.messageId);
        const reason = reasonOf(error);
        undecryptable(reason);
        if (reason === 'internal') this.ctx.emit('error', error);
      }
      return 'done';
    }

    // A message decrypted before (then interrupted) is finished from its kept plaintext.
    let inbox = await this.ctx.store.loadInbox(m.messageId);
    if (!inbox) {
      try {
        const result = await device.sessions.decrypt(from, m.type, m.content, async (r) => {
          await this.ctx.store.saveInbox(m.messageId, {
            plaintext: r.plaintext,
            senderIdentityKey: r.remoteIdentityKey,
          });
        });
        inbox = { plaintext: result.plaintext, senderIdentityKey: result.remoteIdentityKey };
      } catch (error) {
        // Only the protocol's verdicts make a message unreadable; anything else (the store
        // failing, a crash) leaves it in the mailbox to be tried again.
        if (!(error instanceof ProtocolError)) throw error;
        const reason = reasonOf(error);
        undecryptable(reason);
        if (needsSessionRepair(reason)) await this.repairSession(device, from);
        return 'done';
      }
    }
    const sender: MemberDevice = { ...from, identityKey: inbox.senderIdentityKey };
    const plaintext = inbox.plaintext;
    try {
      if (plaintext[0] === GROUP) {
        const payloadBytes = plaintext.subarray(1);
        let payload;
        try {
          payload = openPairwiseGroupPayload(payloadBytes, sender, device.groups.membershipOf);
        } catch {
          // A group (or epoch) we have not verified yet: fetch the chain, then judge.
          const { decodedGroupId } = peekGroupId(payloadBytes);
          if (decodedGroupId) await device.groups.sync(decodedGroupId);
          payload = openPairwiseGroupPayload(payloadBytes, sender, device.groups.membershipOf);
        }
        const body = decodeJson(GroupBodySchema, payload.body);
        const groupId = toHexString(payload.groupId);
        if (!body) undecryptable('malformed');
        else this.emitText(m, from, body.text, body.sentAt, groupId);
        return 'done';
      }
      const content =
        plaintext[0] === DIRECT ? decodeJson(SdkContentSchema, plaintext.subarray(1)) : undefined;
      if (!content) {
        undecryptable('malformed');
        return 'done';
      }
      await this.dispatchContent(device, m, sender, content);
    } catch (error) {
      if (!isVerdict(error)) throw error;
      const reason = reasonOf(error);
      undecryptable(reason);
      if (reason === 'internal') this.ctx.emit('error', error);
    }
    return 'done';
  }

  private async dispatchContent(
    device: InboundDevice,
    m: StoredMessage,
    sender: MemberDevice,
    content: SdkContent,
  ): Promise<void> {
    const from: DeviceAddress = { userId: sender.userId, deviceId: sender.deviceId };
    switch (content.t) {
      case 'text':
        // `to` only means something on a copy from our own user's other device.
        this.ctx.emit('message', {
          messageId: m.messageId,
          from,
          text: content.text,
          sentAt: content.sentAt,
          ...(content.to !== undefined && sender.userId === this.ctx.userId
            ? { to: content.to }
            : {}),
        });
        return;
      case 'group-invite': {
        const info = await device.groups.onInvite(sender, content);
        if (info) this.ctx.emit('group', info);
        return;
      }
      case 'sender-key': {
        const kept = await device.groups.onSenderKey(sender, content);
        if (!kept) {
          this.ctx.emit('undecryptable', {
            messageId: m.messageId,
            from,
            reason: 'not-a-member',
            groupId: content.groupId,
          });
          return;
        }
        // Messages that waited for this key: try them again, after this one settles.
        for (const [id, w] of this.waiting) {
          if (
            w.message.groupId === content.groupId &&
            addressKey(w.message.sender) === addressKey(from)
          ) {
            this.inFlight.delete(id);
            void this.handle(w.message);
          }
        }
        return;
      }
      case 'session-reset':
        this.ctx.emit('session-reset', { peer: from });
        return;
    }
  }

  private emitText(
    m: StoredMessage,
    from: DeviceAddress,
    text: string,
    sentAt: number,
    groupId?: string,
  ): void {
    this.ctx.emit('message', {
      messageId: m.messageId,
      from,
      text,
      sentAt,
      ...(groupId ? { groupId } : {}),
    });
  }

  /** Messages whose sender key never came: undecryptable, acked. */
  async expireWaiting(): Promise<void> {
    const now = this.ctx.now();
    for (const [id, w] of this.waiting) {
      if (w.deadline > now) continue;
      this.waiting.delete(id);
      await this.ctx.lane.run(async () => {
        if (await this.ctx.store.isProcessed(id)) return;
        this.ctx.emit('undecryptable', {
          messageId: id,
          from: { userId: w.message.sender.userId, deviceId: w.message.sender.deviceId },
          reason: 'no-sender-key',
          ...(w.message.groupId ? { groupId: w.message.groupId } : {}),
        });
        await this.ctx.store.markProcessed(id);
      });
      this.inFlight.delete(id);
      this.queueAck(id);
    }
  }

  /**
   * A session the peer and we no longer share (e.g. the peer restored an old backup): a new
   * session from a fresh bundle, announced with a 'session-reset' so the peer switches too.
   */
  private async repairSession(device: InboundDevice, peer: DeviceAddress): Promise<void> {
    const key = addressKey(peer);
    const last = this.lastRepair.get(key);
    if (last !== undefined && this.ctx.now() - last < SESSION_REPAIR_INTERVAL_MS) return;
    this.lastRepair.set(key, this.ctx.now());
    try {
      const record = await device.sessions.ready(peer, undefined, true);
      await device.sessions.save(peer, record);
      await device.outbox.sendToUsers(
        [peer.userId],
        () => directPlaintext({ t: 'session-reset' }),
        false,
      );
    } catch (error) {
      this.ctx.emit('error', error);
    }
  }

  private queueAck(messageId: string): void {
    this.pendingAcks.push(messageId);
    if (!this.ackFlush) {
      this.ackFlush = Promise.resolve().then(() => this.flushAcksNow());
    }
  }

  async flushAcks(): Promise<void> {
    while (this.ackFlush) await this.ackFlush;
  }

  private async flushAcksNow(): Promise<void> {
    try {
      while (this.pendingAcks.length > 0) {
        const batch = [...new Set(this.pendingAcks.splice(0, MAILBOX_PAGE))];
        try {
          await this.ctx.api.ack(batch);
        } catch (error) {
          // Unacked messages come again; they are de-duplicated by id then.
          this.ctx.emit('error', error);
        }
      }
    } finally {
      this.ackFlush = undefined;
    }
  }
}

/** A failure that says something about the message itself (so retrying cannot help). */
function isVerdict(error: unknown): boolean {
  return error instanceof ProtocolError || (error instanceof ParleySdkError && !isTransient(error));
}

function toHexString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * The group id a pairwise payload names, read without trusting it (only to know which
 * chain to fetch; the protocol's check decides). Field 1, 32 bytes, after the version byte.
 */
function peekGroupId(payload: Uint8Array): { decodedGroupId: string | undefined } {
  if (payload.length < 36 || payload[1] !== 0x0a || payload[2] !== 32)
    return { decodedGroupId: undefined };
  return { decodedGroupId: toHexString(payload.subarray(3, 35)) };
}
