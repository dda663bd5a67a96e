/**
 * Live delivery to the devices connected here. For each connected device this instance
 * subscribes (core NATS, no queue group) to the device's live subject; message-delivery
 * sends a LiveDelivery request there after storing a message ("no responders" = offline).
 * The answer is `{delivered:true, gatewayId}` once `{type:'message', message}` is written to
 * the socket, `{delivered:false}` when the socket is gone or its send buffer is over
 * LIVE_MAX_BUFFERED_BYTES (a slow reader drains its mailbox later instead).
 *
 * One subscription per device, whichever socket is current: the registry keeps the newest
 * socket of a device (the older one is closed with 4409), so a delivery reaches exactly
 * one socket of this instance. If the same device is connected to two gateway instances
 * (a reconnect that landed elsewhere before the old socket timed out) both subscribe, both
 * sockets get the frame and the first answer counts; the client de-duplicates by messageId.
 *
 * Hot path: the request is `{"pattern":..,"data":{"recipient":{..},"message":{..}},"id":..}`
 * as message-delivery's RPC client wrote it. The frame is built from the message's JSON
 * bytes as they arrived (no parse, no zod, no base64 round trip); anything not shaped like
 * that falls back to a JSON parse.
 *
 * Batched: this instance also answers `live-batch.<PARLEY_INSTANCE_ID>`, where
 * message-delivery sends the live deliveries of one moment for every device it believes is
 * held here (from `presence.changed`), one line each (live-batch.wire.ts in contracts). Each
 * line gets its own answer; one not delivered here goes to the device's subject next.
 */
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress } from '@parley/contracts';
import { createSubjects, decodeLiveBatch, encodeLiveBatchAnswers } from '@parley/contracts';
import { NATS_CONNECTION, PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { Msg, NatsConnection, NatsError, Subscription } from 'nats';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { GatewayConfig } from '../../gateway.config';
import { ConnectionRegistry, deviceKey } from './connection.registry';

/** Over this many unsent bytes a socket takes no more live messages. */
export const LIVE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

// Reply packets of the RPC transport, encoded once (the delivered one per instance: it
// names this gateway, see deliveredReply).
const NOT_DELIVERED = Buffer.from('{"response":{"delivered":false},"isDisposed":true}');

const MESSAGE_KEY = Buffer.from(',"message":');
const PACKET_TAIL = Buffer.from('},"id":"');
const FRAME_HEAD = Buffer.from('{"type":"message","message":');
const FRAME_TAIL = Buffer.from('}');
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const WS_OPEN = 1;

/**
 * The `{type:'message', message}` frame for a LiveDelivery request packet, or undefined
 * when the packet carries no message object.
 */
export function messageFrame(data: Uint8Array): Buffer | undefined {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // Ids are [A-Za-z0-9_-] and content is base64, so neither key below can occur inside a
  // value: the first `,"message":` is data.message, the last `},"id":"` closes data.
  const at = bytes.indexOf(MESSAGE_KEY);
  const end = bytes.lastIndexOf(PACKET_TAIL);
  const from = at + MESSAGE_KEY.length;
  if (at > 0 && end > from && bytes[from] === OPEN_BRACE && bytes[end - 1] === CLOSE_BRACE) {
    return frameAround(bytes.subarray(from, end));
  }
  return parsedFrame(bytes);
}

/**
 * `{delivered: true, gatewayId}`: a message-delivery instance that started after this device
 * connected (so missed its presence event) learns where to send its live batches.
 */
export function deliveredReply(gatewayId: string): Buffer {
  return Buffer.from(
    JSON.stringify({ response: { delivered: true, gatewayId }, isDisposed: true }),
  );
}

/** The `{type:'message', message}` frame around a message's JSON bytes. */
function frameAround(messageJson: Uint8Array): Buffer {
  return Buffer.concat([FRAME_HEAD, messageJson, FRAME_TAIL]);
}

function parsedFrame(bytes: Buffer): Buffer | undefined {
  try {
    const packet = JSON.parse(bytes.toString('utf8')) as { data?: { message?: unknown } };
    const message = packet.data?.message;
    if (typeof message !== 'object' || message === null) return undefined;
    return Buffer.from(JSON.stringify({ type: 'message', message }));
  } catch {
    return undefined;
  }
}

@Injectable()
export class LiveDeliveryRouter implements OnModuleInit, OnModuleDestroy {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly subjects: ReturnType<typeof createSubjects>;
  private readonly gatewayId: string;
  private readonly delivered: Buffer;
  private batches: Subscription | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(ConnectionRegistry) private readonly registry: ConnectionRegistry<WebSocket>,
    @Inject(PARLEY_CONFIG) config: GatewayConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {
    this.subjects = createSubjects(config.PARLEY_NATS_PREFIX);
    this.gatewayId = config.PARLEY_INSTANCE_ID;
    this.delivered = deliveredReply(this.gatewayId);
  }

  onModuleInit(): void {
    // A hybrid app (HTTP + NATS) runs init hooks once per context: subscribe once.
    if (this.batches) return;
    this.batches = this.nc.subscribe(this.subjects.liveBatch.gateway(this.gatewayId), {
      callback: (error: NatsError | null, msg: Msg) => {
        if (error) {
          this.logger.warn({ err: { type: error.name, code: error.code } }, 'live batches failed');
          return;
        }
        this.deliverBatch(msg);
      },
    });
  }

  /** Starts taking live deliveries for `device` (once per device, whatever its socket). */
  open(device: DeviceAddress): void {
    const key = deviceKey(device);
    if (this.subscriptions.has(key)) return;
    const subject = this.subjects.live.device(device.userId, device.deviceId);
    const subscription = this.nc.subscribe(subject, {
      callback: (error: NatsError | null, msg: Msg) => {
        if (error) {
          this.logger.warn(
            { err: { type: error.name, code: error.code } },
            'live subscription failed',
          );
          return;
        }
        this.deliver(device, msg);
      },
    });
    this.subscriptions.set(key, subscription);
  }

  /** Stops live delivery for `device` (its last socket here closed). */
  close(device: DeviceAddress): void {
    const key = deviceKey(device);
    const subscription = this.subscriptions.get(key);
    if (!subscription) return;
    this.subscriptions.delete(key);
    subscription.unsubscribe();
  }

  get size(): number {
    return this.subscriptions.size;
  }

  private deliver(device: DeviceAddress, msg: Msg): void {
    const socket = this.writableSocket(device);
    const frame = socket && messageFrame(msg.data);
    if (frame) socket.send(frame, { binary: false });
    if (msg.reply) msg.respond(frame ? this.delivered : NOT_DELIVERED);
  }

  private deliverBatch(msg: Msg): void {
    const delivered = decodeLiveBatch(msg.data).map((line) => {
      if (!line) return false;
      const socket = this.writableSocket(line.recipient);
      if (!socket) return false;
      socket.send(frameAround(line.message), { binary: false });
      return true;
    });
    if (msg.reply) msg.respond(encodeLiveBatchAnswers(delivered));
  }

  /** The device's socket here, if open and not backed up past LIVE_MAX_BUFFERED_BYTES. */
  private writableSocket(device: DeviceAddress): WebSocket | undefined {
    const socket = this.registry.get(device);
    return socket !== undefined &&
      socket.readyState === WS_OPEN &&
      socket.bufferedAmount < LIVE_MAX_BUFFERED_BYTES
      ? socket
      : undefined;
  }

  onModuleDestroy(): void {
    this.batches?.unsubscribe();
    for (const subscription of this.subscriptions.values()) subscription.unsubscribe();
    this.subscriptions.clear();
  }
}
