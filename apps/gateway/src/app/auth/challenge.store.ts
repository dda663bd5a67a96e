/**
 * Login challenges: a random nonce per request, stored with its expiry and consumed at
 * most once (a single DELETE decides, so two racing answers cannot both use it).
 */
import { randomBytes } from 'node:crypto';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../gateway.config';
import { GatewayDatabase } from '../database/gateway.database';
import { AUTH_NONCE_BYTES } from '@parley/contracts';

const SWEEP_INTERVAL_MS = 60_000;

export interface IssuedChallenge {
  readonly nonce: Uint8Array;
  readonly expiresAt: Date;
}

@Injectable()
export class ChallengeStore implements OnModuleInit, OnModuleDestroy {
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    @Inject(GatewayDatabase) private readonly db: GatewayDatabase,
    @Inject(PARLEY_CONFIG) private readonly config: GatewayConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  async issue(userId: string, deviceId: number, now = new Date()): Promise<IssuedChallenge> {
    const nonce = new Uint8Array(randomBytes(AUTH_NONCE_BYTES));
    const expiresAt = new Date(now.getTime() + this.config.GATEWAY_CHALLENGE_TTL_S * 1000);
    await this.db.client.authChallenge.create({
      data: { nonce, userId, deviceId: BigInt(deviceId), expiresAt },
    });
    return { nonce, expiresAt };
  }

  /** True once for a live nonce issued to this device; false for anything else. */
  async consume(
    nonce: Uint8Array,
    userId: string,
    deviceId: number,
    now = new Date(),
  ): Promise<boolean> {
    const { count } = await this.db.client.authChallenge.deleteMany({
      where: {
        nonce: Uint8Array.from(nonce),
        userId,
        deviceId: BigInt(deviceId),
        expiresAt: { gt: now },
      },
    });
    return count === 1;
  }

  /** Drops expired challenges (unanswered ones would otherwise stay forever). */
  async sweep(now = new Date()): Promise<number> {
    const { count } = await this.db.client.authChallenge.deleteMany({
      where: { expiresAt: { lte: now } },
    });
    return count;
  }

  onModuleInit(): void {
    // A hybrid app runs init hooks for its HTTP and its NATS side: start one timer only.
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      this.sweep().catch((error: unknown) => {
        this.logger.warn({ err: { type: (error as Error).name } }, 'challenge sweep failed');
      });
    }, SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
