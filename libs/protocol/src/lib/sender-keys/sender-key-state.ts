/**
 * SenderKeyState: the live Sender Keys state of one sender device in one group (one
 * distribution id). The current chain comes first, then up to MAX_SENDER_KEY_CHAINS - 1
 * older chains that may still receive delayed messages. On our own state the single
 * chain also holds the signature private key. Its stored form is a SenderKeyRecord
 * (sender-key-record.ts); the state itself never leaves memory.
 */
import { assertBytes } from '../bytes';
import { constantTimeEqual } from '../crypto/primitives';
import { InvalidArgumentError, InvalidStateError } from '../errors';
import { DISTRIBUTION_ID_BYTES, MAX_GROUP_ID_BYTES, MAX_SENDER_KEY_CHAINS } from './constants';
import type { SenderChain } from './sender-chain';

export function assertGroupId(groupId: unknown): asserts groupId is Uint8Array {
  assertBytes(groupId, 'group id');
  if (groupId.length === 0 || groupId.length > MAX_GROUP_ID_BYTES) {
    throw new InvalidArgumentError(`group id must be 1..${MAX_GROUP_ID_BYTES} bytes`);
  }
}

export class SenderKeyState {
  // Never empty: the constructor requires a chain and every change keeps one first.
  private chainList: [SenderChain, ...SenderChain[]];

  constructor(
    readonly groupId: Uint8Array,
    readonly distributionId: Uint8Array,
    chains: readonly SenderChain[],
  ) {
    assertGroupId(groupId);
    assertBytes(distributionId, 'distribution id', DISTRIBUTION_ID_BYTES);
    const [first, ...rest] = chains;
    if (first === undefined || chains.length > MAX_SENDER_KEY_CHAINS) {
      throw new InvalidStateError('a sender key state holds 1..MAX_SENDER_KEY_CHAINS chains');
    }
    this.chainList = [first, ...rest];
  }

  /** Our own sending state (it holds the signature private key). */
  get isOwn(): boolean {
    return this.current.signingSecretKey !== undefined;
  }

  get current(): SenderChain {
    return this.chainList[0];
  }

  get chains(): readonly SenderChain[] {
    return this.chainList;
  }

  chainFor(chainId: number): SenderChain | undefined {
    return this.chainList.find((c) => c.chainId === chainId);
  }

  /**
   * Puts a received chain first (libsignal's rule): a chain we already hold with the
   * same id and signature key is kept as it is (it has advanced and may hold skipped
   * seeds, and a replayed distribution must not rewind it); one with the same id but
   * another key is replaced. The oldest chains beyond the bound are wiped.
   */
  addReceivedChain(chain: SenderChain): void {
    if (this.isOwn) throw new InvalidStateError('cannot receive into our own sender key');
    const same = this.chainList.find(
      (c) =>
        c.chainId === chain.chainId &&
        constantTimeEqual(c.signingPublicKey, chain.signingPublicKey),
    );
    const kept = same ?? chain;
    if (same) chain.wipe();
    const others = this.chainList.filter((c) => c !== same && c.chainId !== chain.chainId);
    for (const c of this.chainList) if (c !== same && c.chainId === chain.chainId) c.wipe();
    this.chainList = [kept, ...others];
    while (this.chainList.length > MAX_SENDER_KEY_CHAINS) this.chainList.pop()?.wipe();
  }

  /** Our own rotation: the new chain replaces the old one, whose secrets are wiped. */
  replaceOwnChain(chain: SenderChain): void {
    if (!this.isOwn || chain.signingSecretKey === undefined) {
      throw new InvalidStateError('only our own sender key rotates');
    }
    for (const c of this.chainList) c.wipe();
    this.chainList = [chain];
  }

  /** Overwrites every secret; the state is unusable afterwards. */
  wipe(): void {
    for (const c of this.chainList) c.wipe();
  }
}
