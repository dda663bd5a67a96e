/**
 * The live WebSocket at /v1/ws on the HTTP listener's port. A device authenticates with
 * its bearer token: in the upgrade request (`Authorization: Bearer`, or `?token=` for
 * browsers, which cannot set headers) or as the first frame `{type:"auth",token}`. Once
 * authenticated it is in the ConnectionRegistry, its presence is published and live
 * deliveries for it arrive (LiveDeliveryRouter); it answers pings and acks (`ack` frames
 * remove messages from its own mailbox, answered with `acked`) and sends messages (`send`,
 * `send-group`: LiveSends, answered with `sent`).
 *
 * Frames are at most MAX_FRAME_BYTES, except a send once authenticated, which may be as large
 * as a send's HTTP body (GATEWAY_MESSAGE_BODY_LIMIT_BYTES); larger frames close the socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { DeviceAddress } from '@parley/contracts';
import {
  Events,
  PayloadTooLargeError,
  RateLimitedError,
  SEND_FRAME_TYPES,
  validationErrorFromZod,
} from '@parley/contracts';
import { EventBus, PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { GatewayConfig } from '../../gateway.config';
import { bearerToken } from '../auth/device-auth.guard';
import { TokenStore } from '../auth/token.store';
import { ConnectionRegistry } from './connection.registry';
import { FrameBudget } from './frame-budget';
import { errorFrame, readFrameId } from './frame-errors';
import { LiveDeliveryRouter } from './live-delivery.router';
import type { ClientFrame, ServerFrame } from './live-frames';
import {
  CLOSE_GOING_AWAY,
  CLOSE_POLICY,
  CLOSE_TOO_BIG,
  CLOSE_UNAUTHENTICATED,
  ClientFrameSchema,
} from './live-frames';
import { DeliveryBatcher } from '../delivery/delivery-batcher';
import { LiveSends } from './live-sends';

export const LIVE_PATH = '/v1/ws';
/** Every frame but an authenticated socket's sends (the auth frame included). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Room for a send frame's `type`, `id` and `groupId` beyond the HTTP send body limit. */
const SEND_FRAME_OVERHEAD_BYTES = 1024;

@Injectable()
export class LiveSocketServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly wss: WebSocketServer;
  private httpServer: HttpServer | undefined;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.upgrade(req, socket, head);
  };

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(TokenStore) private readonly tokens: TokenStore,
    @Inject(ConnectionRegistry) private readonly registry: ConnectionRegistry<WebSocket>,
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(LiveDeliveryRouter) private readonly router: LiveDeliveryRouter,
    @Inject(DeliveryBatcher) private readonly delivery: DeliveryBatcher,
    @Inject(LiveSends) private readonly sends: LiveSends,
    @Inject(PARLEY_CONFIG) private readonly config: GatewayConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {
    // ws refuses (closes with 1009) anything over maxPayload before it is buffered whole;
    // the smaller limit of the other frames is checked per frame below.
    const maxPayload = Math.max(
      MAX_FRAME_BYTES,
      config.GATEWAY_MESSAGE_BODY_LIMIT_BYTES + SEND_FRAME_OVERHEAD_BYTES,
    );
    this.wss = new WebSocketServer({ noServer: true, maxPayload });
  }

  onApplicationBootstrap(): void {
    // A hybrid app runs the hook for its HTTP side and again for its NATS side.
    if (this.httpServer) return;
    this.httpServer = this.adapterHost.httpAdapter.getHttpServer() as HttpServer;
    this.httpServer.on('upgrade', this.onUpgrade);
  }

  onModuleDestroy(): void {
    this.httpServer?.off('upgrade', this.onUpgrade);
    this.httpServer = undefined;
    this.registry.closeAll(CLOSE_GOING_AWAY, 'gateway shutting down');
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== LIVE_PATH) {
      refuse(socket, 404, 'Not Found');
      return;
    }
    const token =
      bearerToken(req.headers.authorization) ?? url.searchParams.get('token') ?? undefined;
    let device: DeviceAddress | undefined;
    if (token !== undefined) {
      try {
        device = await this.tokens.resolve(token);
      } catch (error) {
        this.logger.warn({ err: { type: (error as Error).name } }, 'token check failed on upgrade');
        refuse(socket, 503, 'Service Unavailable');
        return;
      }
      // A token that was offered and is wrong: refuse before any socket exists.
      if (!device) {
        refuse(socket, 401, 'Unauthorized');
        return;
      }
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (device) this.attach(ws, device);
      else this.awaitAuth(ws);
    });
  }

  private awaitAuth(ws: WebSocket): void {
    const timer = setTimeout(() => {
      ws.close(CLOSE_UNAUTHENTICATED, 'authentication timeout');
    }, this.config.GATEWAY_WS_AUTH_TIMEOUT_MS);
    ws.once('close', () => {
      clearTimeout(timer);
    });
    ws.once('message', (data: RawData, isBinary: boolean) => {
      clearTimeout(timer);
      const bytes = frameBytes(data);
      if (bytes.length > MAX_FRAME_BYTES) {
        ws.close(CLOSE_TOO_BIG, 'frame too large');
        return;
      }
      void this.authFromFrame(ws, isBinary ? undefined : parseJson(bytes));
    });
  }

  private async authFromFrame(ws: WebSocket, json: unknown): Promise<void> {
    const parsed = ClientFrameSchema.safeParse(json);
    const frame = parsed.success ? parsed.data : undefined;
    if (frame?.type !== 'auth') {
      send(ws, { type: 'error', code: 'UNAUTHENTICATED', message: 'first frame must be auth' });
      ws.close(CLOSE_UNAUTHENTICATED, 'unauthenticated');
      return;
    }
    let device: DeviceAddress | undefined;
    try {
      device = await this.tokens.resolve(frame.token);
    } catch {
      device = undefined;
    }
    if (!device) {
      send(ws, { type: 'error', code: 'UNAUTHENTICATED', message: 'invalid or expired token' });
      ws.close(CLOSE_UNAUTHENTICATED, 'unauthenticated');
      return;
    }
    if (ws.readyState === ws.OPEN) this.attach(ws, device);
  }

  private attach(ws: WebSocket, device: DeviceAddress): void {
    this.registry.add(device, ws);
    this.router.open(device);
    this.publishPresence(device, 'online');
    const budget = new FrameBudget(this.config.GATEWAY_WS_FRAMES_PER_S);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = frameBytes(data);
      const json = isBinary ? undefined : parseJson(bytes);
      if (!budget.take()) {
        // With the frame's id, a client knows which send (or ack) was dropped.
        // `details.retryAfterMs` as on an HTTP 429.
        const limited = new RateLimitedError(budget.retryAfterMs(), 'too many frames');
        send(ws, errorFrame(limited, readFrameId(json), limited.message));
        return;
      }
      this.onFrame(ws, device, bytes, json);
    });
    ws.on('close', () => {
      // Only the device's current socket ends its live subscription (a replaced one does not).
      if (this.registry.remove(device, ws)) {
        this.router.close(device);
        this.publishPresence(device, 'offline');
      }
    });
    ws.on('error', () => {
      ws.close(CLOSE_POLICY);
    });
    send(ws, { type: 'ready', userId: device.userId, deviceId: device.deviceId });
  }

  private onFrame(ws: WebSocket, device: DeviceAddress, bytes: Buffer, json: unknown): void {
    if (typeof json !== 'object' || json === null) {
      send(ws, { type: 'error', code: 'VALIDATION_FAILED', message: 'unreadable frame' });
      return;
    }
    const raw = json as Record<string, unknown>;
    if (typeof raw['type'] === 'string' && SEND_FRAME_TYPES.has(raw['type'])) {
      void this.sends.reply(device, raw).then((reply) => {
        send(ws, reply);
      });
      return;
    }
    const id = readFrameId(raw);
    if (bytes.length > MAX_FRAME_BYTES) {
      send(ws, errorFrame(new PayloadTooLargeError(MAX_FRAME_BYTES), id, 'frame too large'));
      return;
    }
    const parsed = ClientFrameSchema.safeParse(raw);
    if (!parsed.success) {
      send(ws, errorFrame(validationErrorFromZod(parsed.error, 'frame'), id, 'invalid frame'));
      return;
    }
    const frame = parsed.data;
    if (frame.type === 'ping')
      send(ws, frame.id === undefined ? { type: 'pong' } : { type: 'pong', id: frame.id });
    else if (frame.type === 'ack') void this.ack(ws, device, frame);
    else send(ws, { type: 'error', code: 'VALIDATION_FAILED', message: 'already authenticated' });
  }

  /**
   * An ack frame: the messages leave the device's own mailbox. `acked` answers only a frame
   * with an `id` (the client asked to hear back); an ack without one is fire-and-forget, as
   * in Signal's socket protocol: a lost ack only means the message comes again. Failures are
   * always answered. One frame less per delivered message (bench:e2e: every frame is a
   * socket write).
   */
  private async ack(
    ws: WebSocket,
    device: DeviceAddress,
    frame: Extract<ClientFrame, { type: 'ack' }>,
  ): Promise<void> {
    try {
      const { deleted } = await this.delivery.ack(
        { device, messageIds: frame.messageIds },
        frame.id === undefined,
      );
      if (frame.id !== undefined) send(ws, { type: 'acked', id: frame.id, deleted });
    } catch (error) {
      send(ws, errorFrame(error, frame.id, 'ack failed'));
    }
  }

  private publishPresence(device: DeviceAddress, status: 'online' | 'offline'): void {
    try {
      this.events.publishCore(Events.presence.changed, {
        device,
        gatewayId: this.config.PARLEY_INSTANCE_ID,
        status,
        at: Date.now(),
      });
    } catch (error) {
      // Presence is soft state: a lost update is repaired by the next connect.
      this.logger.warn({ err: { type: (error as Error).name } }, 'presence publish failed');
    }
  }
}

function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** The frame's JSON value, or undefined when it is not JSON. */
function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function send(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
