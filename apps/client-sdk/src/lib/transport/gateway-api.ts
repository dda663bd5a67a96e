/**
 * The gateway's public HTTP API (docs/gateway-api.md), typed: JSON in, replies validated
 * with the contracts' zod schemas (which also decode base64 into bytes), errors as
 * ApiError with the gateway's PARLEY code. A 401 re-authenticates once and retries.
 * Sends go over the live socket when one is ready (`setLiveSender`), over HTTP otherwise.
 */
import {
  bytesToBase64,
  ChangeMembersReplySchema,
  CreateGroupReplySchema,
  FetchBundlesReplySchema,
  FetchMailboxReplySchema,
  GetChainReplySchema,
  GetPreKeyStockReplySchema,
  RotateSignedPreKeyReplySchema,
  SendReplySchema,
  TimestampMsSchema,
  UploadOneTimePreKeysReplySchema,
  UserIdSchema,
  DeviceIdSchema,
  UserDevicesReplySchema,
  AckReplyBodySchema,
  MismatchedDevicesDetailsSchema,
  httpStatusOf,
  isErrorCode,
} from '@parley/contracts';
import type { ZodType } from 'zod';
import { z } from 'zod';
import type { DeviceAddress } from '../addresses';
import { ApiError, NetworkError } from '../errors';
import type { FetchLike } from './fetch';
import type { LiveSendFrame, SendReplyFrame } from './live-connection';

/** The live socket as a carrier of sends (LiveConnection). */
export interface LiveSender {
  request(frame: LiveSendFrame): Promise<SendReplyFrame | undefined>;
}

const ChallengeReplySchema = z.object({ nonce: z.string(), expiresAt: TimestampMsSchema });
const TokenReplySchema = z.object({ token: z.string(), expiresAt: TimestampMsSchema });
const RegisterReplySchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  token: z.string(),
  tokenExpiresAt: TimestampMsSchema,
});
const AckReplySchema = AckReplyBodySchema;
const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export type BundleReply = z.output<typeof FetchBundlesReplySchema>;
export type MailboxReply = z.output<typeof FetchMailboxReplySchema>;
export type ChainReply = z.output<typeof GetChainReplySchema>;
export type DeviceListReply = z.output<typeof UserDevicesReplySchema>;
export type SendReply = z.output<typeof SendReplySchema>;
export { MismatchedDevicesDetailsSchema };

export interface OutgoingEnvelope {
  readonly recipient: DeviceAddress;
  readonly type: 'prekey' | 'message';
  readonly content: Uint8Array;
}

export interface SignedPreKeyBody {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

const b64 = bytesToBase64;

export class GatewayApi {
  private token: string | undefined;
  private live: LiveSender | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly fetchFn: FetchLike,
    /** Gets a fresh bearer token (challenge + signed login). */
    private readonly login: () => Promise<string>,
  ) {}

  get currentToken(): string | undefined {
    return this.token;
  }

  setToken(token: string): void {
    this.token = token;
  }

  /** Sends go over this socket while it is ready (undefined: HTTP only). */
  setLiveSender(live: LiveSender | undefined): void {
    this.live = live;
  }

  /** Forgets the token: the next call logs in again. */
  clearToken(): void {
    this.token = undefined;
  }

  async bearer(): Promise<string> {
    this.token ??= await this.login();
    return this.token;
  }

  private async raw(
    method: string,
    path: string,
    body: unknown,
    token: string | undefined,
  ): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    let status: number;
    let text: string;
    try {
      const res = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      throw new NetworkError(`${method} ${path}: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new NetworkError(`${method} ${path}: answer is not JSON (status ${status})`);
    }
    return { status, json };
  }

  private async request<S extends ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { body?: unknown; auth?: boolean } = {},
  ): Promise<z.output<S>> {
    const auth = options.auth ?? true;
    let res = await this.raw(method, path, options.body, auth ? await this.bearer() : undefined);
    if (auth && res.status === 401) {
      this.token = await this.login();
      res = await this.raw(method, path, options.body, this.token);
    }
    if (res.status >= 400) {
      const parsed = ErrorBodySchema.safeParse(res.json);
      if (parsed.success) {
        const e = parsed.data.error;
        throw new ApiError(res.status, e.code, e.message, e.details);
      }
      throw new ApiError(res.status, 'HTTP_ERROR', `${method} ${path} answered ${res.status}`);
    }
    const parsed = schema.safeParse(res.json);
    if (!parsed.success) {
      throw new NetworkError(
        `${method} ${path}: unexpected answer (${parsed.error.issues[0]?.message ?? 'invalid'})`,
      );
    }
    return parsed.data;
  }

  // --- auth and own keys ---------------------------------------------------------

  challenge(device: DeviceAddress) {
    return this.request('POST', '/v1/auth/challenge', ChallengeReplySchema, {
      body: device,
      auth: false,
    });
  }

  issueToken(body: { userId: string; deviceId: number; nonce: string; signature: Uint8Array }) {
    return this.request('POST', '/v1/auth/token', TokenReplySchema, {
      body: { ...body, signature: b64(body.signature) },
      auth: false,
    });
  }

  register(body: {
    userId: string;
    deviceId: number;
    identityKey: Uint8Array;
    signedPreKey: SignedPreKeyBody;
    oneTimePreKeys: { id: number; publicKey: Uint8Array }[];
    nonce: string;
    signature: Uint8Array;
  }) {
    return this.request('POST', '/v1/devices', RegisterReplySchema, {
      auth: false,
      body: {
        userId: body.userId,
        deviceId: body.deviceId,
        identityKey: b64(body.identityKey),
        signedPreKey: signedPreKeyJson(body.signedPreKey),
        ...(body.oneTimePreKeys.length
          ? {
              oneTimePreKeys: body.oneTimePreKeys.map((k) => ({
                id: k.id,
                publicKey: b64(k.publicKey),
              })),
            }
          : {}),
        nonce: body.nonce,
        signature: b64(body.signature),
      },
    });
  }

  uploadOneTimePreKeys(self: DeviceAddress, keys: { id: number; publicKey: Uint8Array }[]) {
    return this.request(
      'POST',
      `${devicePath(self)}/one-time-prekeys`,
      UploadOneTimePreKeysReplySchema,
      {
        body: { preKeys: keys.map((k) => ({ id: k.id, publicKey: b64(k.publicKey) })) },
      },
    );
  }

  rotateSignedPreKey(self: DeviceAddress, key: SignedPreKeyBody) {
    return this.request('PUT', `${devicePath(self)}/signed-prekey`, RotateSignedPreKeyReplySchema, {
      body: { signedPreKey: signedPreKeyJson(key) },
    });
  }

  preKeyStock(self: DeviceAddress) {
    return this.request('GET', `${devicePath(self)}/prekey-stock`, GetPreKeyStockReplySchema);
  }

  // --- other devices -------------------------------------------------------------

  devices(userId: string) {
    return this.request('GET', `/v1/users/${enc(userId)}/devices`, UserDevicesReplySchema);
  }

  bundle(device: DeviceAddress) {
    return this.request('GET', `${devicePath(device)}/bundle`, FetchBundlesReplySchema);
  }

  // --- messages ------------------------------------------------------------------

  async sendMessages(body: {
    clientMessageId: string;
    envelopes: readonly OutgoingEnvelope[];
    group?: { groupId: string; epoch: number };
  }): Promise<SendReply> {
    const wire = {
      clientMessageId: body.clientMessageId,
      envelopes: body.envelopes.map((e) => ({
        recipient: { userId: e.recipient.userId, deviceId: e.recipient.deviceId },
        type: e.type,
        content: b64(e.content),
      })),
      ...(body.group ? { group: body.group } : {}),
    };
    return (
      (await this.sendLive({ type: 'send', ...wire })) ??
      this.request('POST', '/v1/messages', SendReplySchema, { body: wire })
    );
  }

  async sendGroupMessage(
    groupId: string,
    body: { clientMessageId: string; epoch: number; ciphertext: Uint8Array },
  ): Promise<SendReply> {
    const wire = {
      clientMessageId: body.clientMessageId,
      epoch: body.epoch,
      ciphertext: b64(body.ciphertext),
    };
    return (
      (await this.sendLive({ type: 'send-group', groupId, ...wire })) ??
      this.request('POST', `/v1/groups/${enc(groupId)}/messages`, SendReplySchema, {
        body: wire,
      })
    );
  }

  /**
   * A send over the live socket: its reply, the same ApiError as HTTP would throw, or
   * undefined when there is no ready socket or it gave no answer (then HTTP carries it).
   */
  private async sendLive(frame: LiveSendFrame): Promise<SendReply | undefined> {
    const reply = await this.live?.request(frame);
    if (reply === undefined) return undefined;
    if (reply.type === 'error') {
      const status = isErrorCode(reply.code) ? httpStatusOf(reply.code) : 500;
      throw new ApiError(status, reply.code, reply.message, reply.details);
    }
    const parsed = SendReplySchema.safeParse(reply);
    if (!parsed.success) throw new NetworkError(`${frame.type}: unexpected sent frame`);
    return parsed.data;
  }

  mailbox(options: { after?: string; limit?: number } = {}) {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.after !== undefined) query.set('after', options.after);
    const qs = query.toString();
    return this.request('GET', `/v1/mailbox${qs ? `?${qs}` : ''}`, FetchMailboxReplySchema);
  }

  ack(messageIds: readonly string[]) {
    return this.request('POST', '/v1/mailbox/ack', AckReplySchema, { body: { messageIds } });
  }

  // --- groups --------------------------------------------------------------------

  createGroup(body: { groupId: string; members: string[]; change: Uint8Array }) {
    return this.request('POST', '/v1/groups', CreateGroupReplySchema, {
      body: { ...body, change: b64(body.change) },
    });
  }

  changeMembers(
    groupId: string,
    kind: 'add' | 'remove',
    body: { userIds: string[]; baseEpoch: number; change: Uint8Array },
  ) {
    const path = `/v1/groups/${enc(groupId)}/members${kind === 'remove' ? '/remove' : ''}`;
    return this.request('POST', path, ChangeMembersReplySchema, {
      body: { ...body, change: b64(body.change) },
    });
  }

  chain(groupId: string, fromEpoch: number) {
    return this.request(
      'GET',
      `/v1/groups/${enc(groupId)}/chain?fromEpoch=${fromEpoch}`,
      GetChainReplySchema,
    );
  }
}

const enc = encodeURIComponent;

function devicePath(d: DeviceAddress): string {
  return `/v1/users/${enc(d.userId)}/devices/${d.deviceId}`;
}

function signedPreKeyJson(k: SignedPreKeyBody) {
  return { id: k.id, publicKey: b64(k.publicKey), signature: b64(k.signature) };
}
