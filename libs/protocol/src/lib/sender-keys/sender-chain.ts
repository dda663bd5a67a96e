/**
 * One sender chain: the chain key at the next iteration, the chain's signature key, and
 * the seeds kept for messages that have not arrived yet. Receiving is two-phase: a
 * `ReceivePlan` derives what a message needs without touching the chain, and only
 * `commit()` (after the AEAD tag verified) changes it, so a failed message leaves the
 * chain exactly as it was.
 */
import { wipe } from '../crypto/primitives';
import { DuplicateMessageError, InvalidStateError, TooManySkippedError } from '../errors';
import {
  MAX_SENDER_KEY_ITERATION,
  MAX_SENDER_KEY_SKIP,
  MAX_SKIPPED_SENDER_KEYS,
} from './constants';
import { senderChainStep } from './sender-chain-key';

export interface SenderChainParams {
  readonly chainId: number;
  /** The next iteration `chainKey` derives. */
  readonly iteration: number;
  readonly chainKey: Uint8Array;
  readonly signingPublicKey: Uint8Array;
  /** Only on our own chain. */
  readonly signingSecretKey?: Uint8Array | undefined;
  readonly createdAtMs: number;
  /** Ascending iteration -> message key seed. */
  readonly skipped?: ReadonlyMap<number, Uint8Array>;
}

export interface ReceivePlan {
  /** The message key seed for the message's iteration. */
  readonly seed: Uint8Array;
  /** Applies the step to the chain (after the message authenticated). */
  commit(): void;
  /** Wipes what the plan derived; the chain stays as it was. */
  discard(): void;
}

export interface SendStep {
  readonly iteration: number;
  readonly seed: Uint8Array;
}

export class SenderChain {
  readonly chainId: number;
  readonly signingPublicKey: Uint8Array;
  readonly signingSecretKey: Uint8Array | undefined;
  readonly createdAtMs: number;
  private chainKeyValue: Uint8Array;
  private iterationValue: number;
  // A Map keeps insertion order; seeds are inserted in ascending iteration, so the first
  // entry is always the oldest (the one to evict).
  private readonly skippedSeeds: Map<number, Uint8Array>;

  constructor(p: SenderChainParams) {
    this.chainId = p.chainId;
    this.iterationValue = p.iteration;
    this.chainKeyValue = p.chainKey;
    this.signingPublicKey = p.signingPublicKey;
    this.signingSecretKey = p.signingSecretKey;
    this.createdAtMs = p.createdAtMs;
    this.skippedSeeds = new Map(p.skipped ?? []);
  }

  get iteration(): number {
    return this.iterationValue;
  }

  get chainKey(): Uint8Array {
    return this.chainKeyValue;
  }

  get skipped(): ReadonlyMap<number, Uint8Array> {
    return this.skippedSeeds;
  }

  /** Sending: the seed for the next iteration, and the chain moves one step. */
  nextSendStep(): SendStep {
    const iteration = this.iterationValue;
    if (iteration > MAX_SENDER_KEY_ITERATION) {
      throw new InvalidStateError('sender chain exhausted: rotate the sender key');
    }
    const { seed, nextChainKey } = senderChainStep(this.chainKeyValue);
    wipe(this.chainKeyValue);
    this.chainKeyValue = nextChainKey;
    this.iterationValue = iteration + 1;
    return { iteration, seed };
  }

  /**
   * Receiving: the seed for `iteration` without changing the chain. Throws
   * DuplicateMessageError for an iteration already used (or whose seed was evicted) and
   * TooManySkippedError past MAX_SENDER_KEY_SKIP.
   */
  planReceive(iteration: number): ReceivePlan {
    if (iteration < this.iterationValue) {
      const seed = this.skippedSeeds.get(iteration);
      if (!seed) throw new DuplicateMessageError(iteration);
      return new SkippedSeedReceive(this, iteration, seed);
    }
    const gap = iteration - this.iterationValue;
    if (gap > MAX_SENDER_KEY_SKIP) throw new TooManySkippedError(gap, MAX_SENDER_KEY_SKIP);

    const derived: Array<[number, Uint8Array]> = [];
    let chainKey = this.chainKeyValue;
    for (let i = this.iterationValue; i < iteration; i++) {
      const step = senderChainStep(chainKey);
      derived.push([i, step.seed]);
      if (chainKey !== this.chainKeyValue) wipe(chainKey);
      chainKey = step.nextChainKey;
    }
    const { seed, nextChainKey } = senderChainStep(chainKey);
    if (chainKey !== this.chainKeyValue) wipe(chainKey);
    return new ForwardReceive(this, iteration, seed, nextChainKey, derived);
  }

  /** ForwardReceive.commit: the chain moves past `iteration`, keeping the seeds it skipped. */
  commitForward(
    iteration: number,
    nextChainKey: Uint8Array,
    skipped: ReadonlyArray<readonly [number, Uint8Array]>,
  ): void {
    for (const [i, s] of skipped) this.skippedSeeds.set(i, s);
    this.evictOverflow();
    wipe(this.chainKeyValue);
    this.chainKeyValue = nextChainKey;
    this.iterationValue = iteration + 1;
  }

  /** SkippedSeedReceive.commit: the kept seed for `iteration` is used up. */
  commitSkipped(iteration: number): void {
    wipe(this.skippedSeeds.get(iteration));
    this.skippedSeeds.delete(iteration);
  }

  private evictOverflow(): void {
    while (this.skippedSeeds.size > MAX_SKIPPED_SENDER_KEYS) {
      const [oldest, seed] = this.skippedSeeds.entries().next().value as [number, Uint8Array];
      wipe(seed);
      this.skippedSeeds.delete(oldest);
    }
  }

  wipe(): void {
    wipe(this.chainKeyValue);
    wipe(this.signingSecretKey);
    for (const s of this.skippedSeeds.values()) wipe(s);
    this.skippedSeeds.clear();
  }
}

/** A message past the chain's position: the chain steps forward only on commit. */
class ForwardReceive implements ReceivePlan {
  constructor(
    private readonly chain: SenderChain,
    private readonly iteration: number,
    readonly seed: Uint8Array,
    private readonly nextChainKey: Uint8Array,
    private readonly skipped: ReadonlyArray<readonly [number, Uint8Array]>,
  ) {}

  commit(): void {
    this.chain.commitForward(this.iteration, this.nextChainKey, this.skipped);
    wipe(this.seed);
  }

  discard(): void {
    for (const [, s] of this.skipped) wipe(s);
    wipe(this.nextChainKey);
    wipe(this.seed);
  }
}

/** A delayed message whose seed the chain kept: the seed is dropped only on commit. */
class SkippedSeedReceive implements ReceivePlan {
  constructor(
    private readonly chain: SenderChain,
    private readonly iteration: number,
    readonly seed: Uint8Array,
  ) {}

  commit(): void {
    this.chain.commitSkipped(this.iteration);
  }

  discard(): void {
    // The seed stays in the chain for a genuine copy of the message.
  }
}
