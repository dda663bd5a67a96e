/**
 * Bearer tokens: 32 random bytes handed to the device once; only their SHA-256 is stored,
 * so a copy of the table lets nobody log in.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress } from '@parley/contracts';
import { PARLEY_CONFIG } from '@parley/server-kit';
import type { GatewayConfig } from '../../gateway.config';
import { GatewayDatabase } from '../database/gateway.database';

const TOKEN_BYTES = 32;
/** Bounds the cache's memory: the oldest entries go first. */
const MAX_CACHED_TOKENS = 50_000;
/** base64url of 32 bytes: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

function hashOf(token: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(createHash('sha256').update(token, 'utf8').digest());
}

interface CachedToken {
  readonly device: DeviceAddress;
  readonly expiresAt: number;
  readonly cachedUntil: number;
}

@Injectable()
export class TokenStore {
  /** token hash (hex) -> device: saves a database round trip on most requests. */
  private readonly cache = new Map<string, CachedToken>();

  constructor(
    @Inject(GatewayDatabase) private readonly db: GatewayDatabase,
    @Inject(PARLEY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async issue(device: DeviceAddress, now = new Date()): Promise<IssuedToken> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.config.GATEWAY_TOKEN_TTL_S * 1000);
    await this.db.client.deviceToken.create({
      data: {
        tokenHash: hashOf(token),
        userId: device.userId,
        deviceId: BigInt(device.deviceId),
        expiresAt,
      },
    });
    return { token, expiresAt };
  }

  /** The device a live token belongs to, or undefined (unknown, malformed or expired). */
  async resolve(token: string, now = new Date()): Promise<DeviceAddress | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const hash = hashOf(token);
    const key = Buffer.from(hash).toString('hex');
    const nowMs = now.getTime();
    const cached = this.cache.get(key);
    if (cached && cached.cachedUntil > nowMs && cached.expiresAt > nowMs) return cached.device;
    if (cached) this.cache.delete(key);
    const row = await this.db.client.deviceToken.findUnique({
      where: { tokenHash: hash },
      select: { userId: true, deviceId: true, expiresAt: true },
    });
    if (!row || row.expiresAt <= now) return undefined;
    const device = { userId: row.userId, deviceId: Number(row.deviceId) };
    this.remember(key, device, row.expiresAt.getTime(), nowMs);
    return device;
  }

  private remember(key: string, device: DeviceAddress, expiresAt: number, nowMs: number): void {
    const ttl = this.config.GATEWAY_TOKEN_CACHE_MS;
    if (ttl === 0) return;
    if (this.cache.size >= MAX_CACHED_TOKENS) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { device, expiresAt, cachedUntil: nowMs + ttl });
  }

  /** Ends every token of a device (after re-registration with a new identity key). */
  async revokeAll(device: DeviceAddress): Promise<number> {
    for (const [key, entry] of this.cache) {
      if (entry.device.userId === device.userId && entry.device.deviceId === device.deviceId) {
        this.cache.delete(key);
      }
    }
    const { count } = await this.db.client.deviceToken.deleteMany({
      where: { userId: device.userId, deviceId: BigInt(device.deviceId) },
    });
    return count;
  }
}
