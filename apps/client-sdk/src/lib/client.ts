/**
 * ParleyClient: one device of one user. Every cryptographic step runs here, on the device,
 * through @parley/protocol; the gateway only stores and forwards ciphertexts. Inbound
 * messages go through one lane (Mutex): de-duplicated by server message id, decrypted,
 * session state saved, then emitted, then acked; a message that cannot be read is
 * emitted as 'undecryptable' with a typed reason and acked, never dropped silently.
 */
import type { StoredMessage } from '@parley/contracts';
import { base64ToBytes, loginMessage, registrationMessage } from '@parley/contracts';
import type { MemberDevice, RandomSource, SafetyNumber } from '@parley/protocol';
import {
  computeSafetyNumber,
  initProtocol,
  openPairwiseGroupPayload,
  ProtocolError,
  secureRandom,
  signDeviceAuthMessage,
} from '@parley/protocol';
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
import { TypedEmitter } from './emitter';
import {
  AlreadyRegisteredError,
  ClosedError,
  InvalidArgumentError,
  isTransient,
  NotRegisteredError,
  ParleySdkError,
} from './errors';
import type { GroupInfo, GroupOptions } from './groups';
import { Groups } from './groups';
import type { IdentityRecord } from './store/store';
import type { ParleyStore } from './store/store';
import { DeviceKeys, identityKeyPair, newIdentity, ONE_TIME_PREKEY_BATCH } from './keys';
import { Mutex } from './mutex';
import { Outbox } from './outbox';
import type { UndecryptableReason } from './receive-errors';
import { needsSessionRepair, reasonOf } from './receive-errors';
import { Sessions } from './sessions';
import type { FetchLike } from './transport/fetch';
import { GatewayApi } from './transport/gateway-api';
import type { ReconnectPolicy, ServerFrame, WebSocketFactory } from './transport/live-connection';
import { DEFAULT_RECONNECT, LiveConnection } from './transport/live-connection';

export interface ParleyClientOptions {
  /** The gateway's base URL, e.g. https://parley.example.org */
  readonly serverUrl: string;
  readonly store: ParleyStore;
  readonly userId: string;
  /** This device's number (1 when absent). */
  readonly deviceId?: number;
  /** Randomness for keys (the platform CSPRNG when absent; tests may inject). */
  readonly random?: RandomSource;
  /** fetch (globalThis.fetch when absent). */
  readonly fetch?: FetchLike;
  /** WebSocket factory (globalThis.WebSocket when absent; Node: @parley/client-sdk/node). */
  readonly webSocket?: WebSocketFactory;
  readonly now?: () => number;
  readonly reconnect?: ReconnectPolicy;
  /** Rotate the signed prekey when it is older than this (checked on connect); 7 days. */
  readonly signedPreKeyMaxAgeMs?: number;
  /** How long a sender-key message waits for its sender's key before it is undecryptable; 10 s. */
  readonly senderKeyWaitMs?: number;
}

export interface IncomingMessage {
  readonly messageId: string;
  readonly from: DeviceAddress;
  readonly text: string;
  /** Set for group messages. */
  readonly groupId?: string;
  /** Set on the copy of a 1:1 message that our own other device sent to `to`. */
  readonly to?: string;
  /** The sender's clock (ms). */
  readonly sentAt: number;
}

export interface UndecryptableMessage {
  readonly messageId: string;
  readonly from: DeviceAddress;
  readonly reason: UndecryptableReason;
  readonly groupId?: string;
}

export interface ParleyEvents {
  message: IncomingMessage;
  undecryptable: UndecryptableMessage;
  /** A group this device learned of, or whose membership changed. */
  group: GroupInfo;
  /**
   * A peer device now has another identity key than its session had (a reinstall, or a
   * substituted key): the safety number changed, tell the user.
   */
  'identity-changed': { readonly peer: DeviceAddress; readonly identityKey: Uint8Array };
  /** A peer device started a new session with us (after it could not decrypt ours). */
  'session-reset': { readonly peer: DeviceAddress };
  connected: undefined;
  disconnected: { readonly reason: string };
  /** Failures outside any one call (a frame that cannot be handled, a failed replenish...). */
  error: unknown;
}

interface Device {
  readonly identity: IdentityRecord;
  readonly keys: DeviceKeys;
  readonly sessions: Sessions;
  readonly outbox: Outbox;
  readonly groups: Groups;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const SESSION_REPAIR_INTERVAL_MS = 30_000;
const MAILBOX_PAGE = 100;
const RETRY_DELAY_MS = 1000;

export class ParleyClient extends TypedEmitter<ParleyEvents> {
  private readonly api: GatewayApi;
  private readonly lane = new Mutex();
  private readonly random: RandomSource;
  private readonly now: () => number;
  private device: Device | undefined;
  private live: LiveConnection | undefined;
  private closed = false;
  private readonly inFlight = new Set<string>();
  private readonly waiting = new Map<string, { message: StoredMessage; deadline: number }>();
  private waitTimer: ReturnType<typeof setInterval> | undefined;
  private readonly lastRepair = new Map<string, number>();
  private pendingAcks: string[] = [];
  private ackFlush: Promise<void> | undefined;
  private drainRun: Promise<void> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(private readonly options: ParleyClientOptions) {
    super();
    this.random = options.random ?? secureRandom;
    this.now = options.now ?? Date.now;
    // Bound: browsers refuse a fetch called with another `this` ("Illegal invocation").
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    const fetchFn = options.fetch ?? globalFetch?.bind(globalThis);
    if (fetchFn === undefined) throw new InvalidArgumentError('no fetch: pass options.fetch');
    this.api = new GatewayApi(options.serverUrl.replace(/\/$/, ''), fetchFn, () => this.login());
  }

  /** Loads the device from the store (if it was registered before). */
  static async create(options: ParleyClientOptions): Promise<ParleyClient> {
    await initProtocol();
    const client = new ParleyClient(options);
    const identity = await options.store.loadIdentity();
    if (identity) await client.setUp(identity);
    return client;
  }

  get userId(): string {
    return this.options.userId;
  }

  get deviceId(): number {
    return this.options.deviceId ?? 1;
  }

  get address(): DeviceAddress {
    return { userId: this.userId, deviceId: this.deviceId };
  }

  get isRegistered(): boolean {
    return this.device !== undefined;
  }

  /** This device's Ed25519 identity public key. */
  get identityKey(): Uint8Array {
    return this.requireDevice().identity.publicKey.slice();
  }

  private requireDevice(): Device {
    if (this.closed) throw new ClosedError();
    if (!this.device) throw new NotRegisteredError();
    return this.device;
  }

  private async setUp(identity: IdentityRecord): Promise<void> {
    const keys = await DeviceKeys.load(this.options.store);
    if (!keys) throw new NotRegisteredError();
    const kp = identityKeyPair(identity);
    const sessions = new Sessions(
      this.options.store,
      this.api,
      kp,
      keys,
      this.random,
      (peer, identityKey) => {
        this.emit('identity-changed', { peer, identityKey: identityKey.slice() });
      },
    );
    const outbox = new Outbox(this.api, sessions, this.address, this.random);
    const self: MemberDevice = {
      userId: identity.userId,
      deviceId: identity.deviceId,
      identityKey: identity.publicKey,
    };
    const groups = new Groups({
      store: this.options.store,
      api: this.api,
      outbox,
      sessions,
      identity: kp,
      self,
      random: this.random,
      now: this.now,
    });
    await groups.init();
    this.device = { identity, keys, sessions, outbox, groups };
  }

  // --- registration and login --------------------------------------------------------

  /** New identity, signed prekey and one-time prekeys; registers the device and logs in. */
  async register(): Promise<void> {
    if (this.closed) throw new ClosedError();
    if (this.device || (await this.options.store.loadIdentity()))
      throw new AlreadyRegisteredError();
    const identity = newIdentity(this.userId, this.deviceId, this.random);
    const kp = identityKeyPair(identity);
    const keys = await DeviceKeys.generate(this.options.store, kp, this.random, this.now());
    const spk = keys.currentSignedPreKey;
    const signedPreKey = { id: spk.id, publicKey: spk.publicKey, signature: spk.signature };
    const oneTimePreKeys = keys.oneTimePreKeys.map((k) => ({ id: k.id, publicKey: k.publicKey }));
    const challenge = await this.api.challenge(this.address);
    const nonce = base64ToBytes(challenge.nonce);
    const signature = signDeviceAuthMessage(
      kp,
      registrationMessage(nonce, {
        ...this.address,
        identityKey: identity.publicKey,
        signedPreKey,
        oneTimePreKeys,
      }),
    );
    const reply = await this.api.register({
      ...this.address,
      identityKey: identity.publicKey,
      signedPreKey,
      oneTimePreKeys,
      nonce: challenge.nonce,
      signature,
    });
    // Saved only once the directory took it: a failed registration can simply be retried.
    await this.options.store.saveIdentity(identity);
    this.api.setToken(reply.token);
    await this.setUp(identity);
  }

  /** Challenge + signature by the identity key: a bearer token. */
  private async login(): Promise<string> {
    const identity = this.device?.identity ?? (await this.options.store.loadIdentity());
    if (!identity) throw new NotRegisteredError();
    const challenge = await this.api.challenge(this.address);
    const signature = signDeviceAuthMessage(
      identityKeyPair(identity),
      loginMessage(base64ToBytes(challenge.nonce), this.userId, this.deviceId),
    );
    const reply = await this.api.issueToken({ ...this.address, nonce: challenge.nonce, signature });
    return reply.token;
  }

  // --- live connection -------------------------------------------------------------------

  /**
   * Opens the WebSocket, rotates the signed prekey if it is due, and drains the mailbox;
   * resolves once the messages waiting offline were handled. Reconnects by itself.
   */
  async connect(): Promise<void> {
    const device = this.requireDevice();
    if (this.live) return;
    await this.lane.run(() => this.rotateSignedPreKeyIfDue(device));
    const factory =
      this.options.webSocket ??
      ((url: string) => {
        const Ctor = (globalThis as { WebSocket?: new (url: string) => unknown }).WebSocket;
        if (!Ctor) throw new InvalidArgumentError('no WebSocket: pass options.webSocket');
        return new Ctor(url) as ReturnType<WebSocketFactory>;
      });
    const url = `${this.api.baseUrl.replace(/^http/, 'ws')}/v1/ws`;
    this.live = new LiveConnection(
      url,
      factory,
      {
        token: () => this.api.bearer(),
        onReady: () => {
          this.emit('connected', undefined);
          this.drainRun = this.drain().catch((error: unknown) => {
            this.emit('error', error);
          });
        },
        onFrame: (frame) => {
          this.onFrame(frame);
        },
        onDisconnect: (reason) => {
          this.emit('disconnected', { reason });
        },
        onUnauthenticated: () => {
          this.api.clearToken();
        },
        onBadFrame: (detail) => {
          this.emit('error', new Error(`bad frame from the gateway: ${detail}`));
        },
      },
      this.options.reconnect ?? DEFAULT_RECONNECT,
    );
    this.waitTimer = setInterval(() => void this.expireWaiting(), 250);
    try {
      await this.live.start();
    } catch (error) {
      // The first attempt failed: nothing keeps running, connect() may be called again.
      this.live.close();
      this.live = undefined;
      clearInterval(this.waitTimer);
      throw error;
    }
    await this.drainRun;
  }

  /** Drops the socket as a network failure would (it reconnects with backoff). */
  simulateDisconnect(): void {
    this.live?.drop();
  }

  /** Fetches and handles everything waiting in the mailbox (also without a WebSocket). */
  async drain(): Promise<void> {
    this.requireDevice();
    let after: string | undefined;
    for (;;) {
      const page = await this.api.mailbox({ limit: MAILBOX_PAGE, ...(after ? { after } : {}) });
      await Promise.all(page.messages.map((m) => this.handle(m)));
      await this.flushAcks();
      const last = page.messages[page.messages.length - 1];
      if (!page.more || !last) return;
      after = last.messageId;
    }
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'message':
        void this.handle(frame.message);
        return;
      case 'membership':
        void this.lane
          .run(async () => {
            const device = this.requireDevice();
            // A group new to us is learned from its invitation (name, mode), not from here.
            if (!(await this.options.store.loadGroup(frame.groupId))) return;
            const record = await device.groups.sync(frame.groupId);
            if (record) this.emit('group', await device.groups.info(frame.groupId));
          })
          .catch((error: unknown) => {
            this.emit('error', error);
          });
        return;
      case 'prekeys-low':
        void this.replenishPreKeys().catch((error: unknown) => {
          this.emit('error', error);
        });
        return;
      case 'error':
        this.emit('error', new Error(`gateway: ${frame.code} ${frame.message}`));
        return;
      default:
        return;
    }
  }

  // --- receiving -----------------------------------------------------------------------

  /** One inbound message, exactly once: dedup, decrypt, save, emit, ack. */
  private async handle(m: StoredMessage): Promise<void> {
    if (this.inFlight.has(m.messageId)) return;
    this.inFlight.add(m.messageId);
    let outcome: 'done' | 'wait' | 'retry';
    try {
      outcome = await this.lane.run(async () => {
        const device = this.requireDevice();
        if (await this.options.store.isProcessed(m.messageId)) return 'done';
        const result = await this.receive(device, m);
        if (result === 'wait') return 'wait';
        await this.options.store.markProcessed(m.messageId);
        await this.options.store.deleteInbox(m.messageId);
        return 'done';
      });
    } catch (error) {
      // Not acked: the message stays in the mailbox and is tried again.
      if (!isTransient(error)) this.emit('error', error);
      outcome = 'retry';
    }
    if (outcome === 'wait') return;
    this.inFlight.delete(m.messageId);
    if (outcome === 'done') this.queueAck(m.messageId);
    else this.scheduleRetry();
  }

  /** Drains the mailbox again a little later (after a transient failure). */
  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.live) {
        void this.drain().catch((error: unknown) => {
          this.emit('error', error);
        });
      }
    }, RETRY_DELAY_MS);
  }

  /** Decrypts and dispatches; emits; returns 'wait' to keep the message for later. */
  private async receive(device: Device, m: StoredMessage): Promise<'done' | 'wait'> {
    const from: DeviceAddress = { userId: m.sender.userId, deviceId: m.sender.deviceId };
    const undecryptable = (reason: UndecryptableReason) => {
      this.emit('undecryptable', {
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
              deadline: this.now() + (this.options.senderKeyWaitMs ?? 10_000),
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
        if (reason === 'internal') this.emit('error', error);
      }
      return 'done';
    }

    // A message decrypted before (then interrupted) is finished from its kept plaintext.
    let inbox = await this.options.store.loadInbox(m.messageId);
    if (!inbox) {
      try {
        const result = await device.sessions.decrypt(from, m.type, m.content, async (r) => {
          await this.options.store.saveInbox(m.messageId, {
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
      if (reason === 'internal') this.emit('error', error);
    }
    return 'done';
  }

  private async dispatchContent(
    device: Device,
    m: StoredMessage,
    sender: MemberDevice,
    content: SdkContent,
  ): Promise<void> {
    const from: DeviceAddress = { userId: sender.userId, deviceId: sender.deviceId };
    switch (content.t) {
      case 'text':
        // `to` only means something on a copy from our own user's other device.
        this.emit('message', {
          messageId: m.messageId,
          from,
          text: content.text,
          sentAt: content.sentAt,
          ...(content.to !== undefined && sender.userId === this.userId ? { to: content.to } : {}),
        });
        return;
      case 'group-invite': {
        const info = await device.groups.onInvite(sender, content);
        if (info) this.emit('group', info);
        return;
      }
      case 'sender-key': {
        const kept = await device.groups.onSenderKey(sender, content);
        if (!kept) {
          this.emit('undecryptable', {
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
        this.emit('session-reset', { peer: from });
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
    this.emit('message', {
      messageId: m.messageId,
      from,
      text,
      sentAt,
      ...(groupId ? { groupId } : {}),
    });
  }

  /** Messages whose sender key never came: undecryptable, acked. */
  private async expireWaiting(): Promise<void> {
    const now = this.now();
    for (const [id, w] of this.waiting) {
      if (w.deadline > now) continue;
      this.waiting.delete(id);
      await this.lane.run(async () => {
        if (await this.options.store.isProcessed(id)) return;
        this.emit('undecryptable', {
          messageId: id,
          from: { userId: w.message.sender.userId, deviceId: w.message.sender.deviceId },
          reason: 'no-sender-key',
          ...(w.message.groupId ? { groupId: w.message.groupId } : {}),
        });
        await this.options.store.markProcessed(id);
      });
      this.inFlight.delete(id);
      this.queueAck(id);
    }
  }

  /**
   * A session the peer and we no longer share (e.g. the peer restored an old backup): a new
   * session from a fresh bundle, announced with a 'session-reset' so the peer switches too.
   */
  private async repairSession(device: Device, peer: DeviceAddress): Promise<void> {
    const key = addressKey(peer);
    const last = this.lastRepair.get(key);
    if (last !== undefined && this.now() - last < SESSION_REPAIR_INTERVAL_MS) return;
    this.lastRepair.set(key, this.now());
    try {
      const record = await device.sessions.ready(peer, undefined, true);
      await device.sessions.save(peer, record);
      await device.outbox.sendToUsers(
        [peer.userId],
        () => directPlaintext({ t: 'session-reset' }),
        false,
      );
    } catch (error) {
      this.emit('error', error);
    }
  }

  private queueAck(messageId: string): void {
    this.pendingAcks.push(messageId);
    if (!this.ackFlush) {
      this.ackFlush = Promise.resolve().then(() => this.flushAcksNow());
    }
  }

  private async flushAcks(): Promise<void> {
    while (this.ackFlush) await this.ackFlush;
  }

  private async flushAcksNow(): Promise<void> {
    try {
      while (this.pendingAcks.length > 0) {
        const batch = [...new Set(this.pendingAcks.splice(0, MAILBOX_PAGE))];
        try {
          await this.api.ack(batch);
        } catch (error) {
          // Unacked messages come again; they are de-duplicated by id then.
          this.emit('error', error);
        }
      }
    } finally {
      this.ackFlush = undefined;
    }
  }

  // --- sending -------------------------------------------------------------------------

  /** A 1:1 text to every device of `userId`, and a copy to our own other devices. */
  async send(userId: string, text: string): Promise<void> {
    const device = this.requireDevice();
    const sentAt = this.now();
    await this.lane.run(() =>
      device.outbox.sendToUsers(
        [userId],
        (t) =>
          directPlaintext(
            t.userId === this.userId && userId !== this.userId
              ? { t: 'text', text, sentAt, to: userId }
              : { t: 'text', text, sentAt },
          ),
        true,
      ),
    );
  }

  async createGroup(
    name: string,
    memberUserIds: readonly string[],
    options: GroupOptions = { mode: 'pairwise' },
  ): Promise<GroupInfo> {
    const device = this.requireDevice();
    return this.lane.run(() => device.groups.create(name, memberUserIds, options));
  }

  async sendToGroup(groupId: string, text: string): Promise<void> {
    const device = this.requireDevice();
    const sentAt = this.now();
    await this.lane.run(() => device.groups.send(groupId, { t: 'text', text, sentAt }));
  }

  async addMember(groupId: string, userId: string): Promise<GroupInfo> {
    const device = this.requireDevice();
    return this.lane.run(() => device.groups.addMember(groupId, userId));
  }

  async removeMember(groupId: string, userId: string): Promise<GroupInfo> {
    const device = this.requireDevice();
    return this.lane.run(() => device.groups.removeMember(groupId, userId));
  }

  /** The group as this device's verified chain says it is. */
  async group(groupId: string): Promise<GroupInfo> {
    const device = this.requireDevice();
    return this.lane.run(() => device.groups.info(groupId));
  }

  /** Fetches and verifies the group's chain now (normally done on 'membership' frames). */
  async refreshGroup(groupId: string): Promise<GroupInfo> {
    const device = this.requireDevice();
    return this.lane.run(async () => {
      await device.groups.sync(groupId);
      return device.groups.info(groupId);
    });
  }

  // --- keys ------------------------------------------------------------------------------

  /** Uploads a new batch of one-time prekeys (on 'prekeys-low', or when the app wants). */
  async replenishPreKeys(count = ONE_TIME_PREKEY_BATCH): Promise<void> {
    const device = this.requireDevice();
    await this.lane.run(async () => {
      const fresh = await device.keys.addOneTimePreKeys(count, this.random);
      await this.api.uploadOneTimePreKeys(
        this.address,
        fresh.map((k) => ({ id: k.id, publicKey: k.publicKey })),
      );
    });
  }

  /** Rotates the signed prekey now. */
  async rotateSignedPreKey(): Promise<void> {
    const device = this.requireDevice();
    await this.lane.run(() => this.rotateSignedPreKeyIfDue(device, true));
  }

  private async rotateSignedPreKeyIfDue(device: Device, force = false): Promise<void> {
    const maxAge = this.options.signedPreKeyMaxAgeMs ?? 7 * DAY_MS;
    if (!force && device.keys.signedPreKeyAgeMs(this.now()) < maxAge) return;
    const fresh = await device.keys.rotateSignedPreKey(
      identityKeyPair(device.identity),
      this.random,
      this.now(),
    );
    await this.api.rotateSignedPreKey(this.address, {
      id: fresh.id,
      publicKey: fresh.publicKey,
      signature: fresh.signature,
    });
  }

  /**
   * The safety number between this device and a device of `userId` (its lowest device id
   * when `deviceId` is absent), from the identity key the gateway lists: compare it out of
   * band to rule out a substituted key.
   */
  async safetyNumber(
    userId: string,
    deviceId?: number,
  ): Promise<SafetyNumber & { deviceId: number }> {
    const device = this.requireDevice();
    const devices = await device.outbox.devicesOf(userId, true);
    const theirs =
      deviceId === undefined ? devices[0] : devices.find((d) => d.deviceId === deviceId);
    if (!theirs?.identityKey)
      throw new InvalidArgumentError(`no device ${deviceId ?? ''} of ${userId}`);
    const number = computeSafetyNumber(
      { identityKey: device.identity.publicKey, stableId: this.userId },
      { identityKey: theirs.identityKey, stableId: userId },
    );
    return { ...number, deviceId: theirs.deviceId };
  }

  /** Closes the socket and waits for in-flight work; the store stays open (the app owns it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.live?.close();
    this.live = undefined;
    if (this.waitTimer) clearInterval(this.waitTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.lane.run(() => Promise.resolve());
    await this.flushAcks();
    this.closed = true;
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
