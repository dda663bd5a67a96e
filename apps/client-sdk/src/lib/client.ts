/**
 * ParleyClient: one device of one user. Every cryptographic step runs here, on the device,
 * through @parley/protocol; the gateway only stores and forwards ciphertexts. Sends and
 * receives share one lane (Mutex), so a session record is never advanced by two at once;
 * the inbound pipeline is `inbound.ts`, groups `groups.ts`, pairwise fan-out `outbox.ts`.
 */
import { base64ToBytes, loginMessage, registrationMessage } from '@parley/contracts';
import type { MemberDevice, RandomSource, SafetyNumber } from '@parley/protocol';
import {
  computeSafetyNumber,
  initProtocol,
  secureRandom,
  signDeviceAuthMessage,
} from '@parley/protocol';
import type { DeviceAddress } from './addresses';
import { directPlaintext } from './content';
import { TypedEmitter } from './emitter';
import {
  AlreadyRegisteredError,
  ClosedError,
  InvalidArgumentError,
  NotRegisteredError,
} from './errors';
import type { ParleyEvents } from './events';
import type { GroupInfo, GroupOptions } from './groups';
import { Groups } from './groups';
import { Inbound } from './inbound';
import { DeviceKeys, identityKeyPair, newIdentity, ONE_TIME_PREKEY_BATCH } from './keys';
import { Mutex } from './mutex';
import { Outbox } from './outbox';
import { Sessions } from './sessions';
import type { IdentityRecord, ParleyStore } from './store/store';
import type { FetchLike } from './transport/fetch';
import { GatewayApi } from './transport/gateway-api';
import type { ReconnectPolicy, ServerFrame, WebSocketFactory } from './transport/live-connection';
import { DEFAULT_RECONNECT, LiveConnection } from './transport/live-connection';

export type { IncomingMessage, ParleyEvents, UndecryptableMessage } from './events';

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
  /**
   * On a `sync` frame (the server restarted a part that delivers live), the client drains its
   * mailbox after a random delay up to this, so that all clients do not ask at once; 2 s.
   */
  readonly syncJitterMs?: number;
}

interface Device {
  readonly identity: IdentityRecord;
  readonly keys: DeviceKeys;
  readonly sessions: Sessions;
  readonly outbox: Outbox;
  readonly groups: Groups;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_SYNC_JITTER_MS = 2_000;

export class ParleyClient extends TypedEmitter<ParleyEvents> {
  private readonly api: GatewayApi;
  private readonly lane = new Mutex();
  private readonly random: RandomSource;
  private readonly now: () => number;
  private device: Device | undefined;
  private live: LiveConnection | undefined;
  private closed = false;
  private readonly inbound: Inbound;
  private waitTimer: ReturnType<typeof setInterval> | undefined;
  private drainRun: Promise<void> | undefined;

  private constructor(private readonly options: ParleyClientOptions) {
    super();
    this.random = options.random ?? secureRandom;
    this.now = options.now ?? Date.now;
    // Bound: browsers refuse a fetch called with another `this` ("Illegal invocation").
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    const fetchFn = options.fetch ?? globalFetch?.bind(globalThis);
    if (fetchFn === undefined) throw new InvalidArgumentError('no fetch: pass options.fetch');
    this.api = new GatewayApi(options.serverUrl.replace(/\/$/, ''), fetchFn, () => this.login());
    this.inbound = new Inbound({
      store: options.store,
      api: this.api,
      lane: this.lane,
      userId: options.userId,
      now: this.now,
      senderKeyWaitMs: options.senderKeyWaitMs ?? 10_000,
      device: () => this.requireDevice(),
      isLive: () => this.live !== undefined,
      emit: (event, payload) => {
        this.emit(event, payload);
      },
    });
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
    // Sends take the socket while it is ready, HTTP otherwise.
    this.api.setLiveSender(this.live);
    this.waitTimer = setInterval(() => void this.inbound.expireWaiting(), 250);
    try {
      await this.live.start();
    } catch (error) {
      // The first attempt failed: nothing keeps running, connect() may be called again.
      this.live.close();
      this.live = undefined;
      this.api.setLiveSender(undefined);
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
    await this.inbound.drain();
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'message':
        void this.inbound.handle(frame.message);
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
      case 'sync':
        // Jittered, so that all clients do not ask at once.
        this.inbound.drainLater(
          Math.floor(Math.random() * (this.options.syncJitterMs ?? DEFAULT_SYNC_JITTER_MS)),
        );
        return;
      case 'error':
        this.emit('error', new Error(`gateway: ${frame.code} ${frame.message}`));
        return;
      default:
        return;
    }
  }

  // --- receiving -----------------------------------------------------------------------

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
    this.api.setLiveSender(undefined);
    if (this.waitTimer) clearInterval(this.waitTimer);
    this.inbound.stop();
    await this.lane.run(() => Promise.resolve());
    await this.inbound.flushAcks();
    this.closed = true;
  }
}
