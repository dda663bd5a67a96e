/**
 * Our own sender key for a group: a random 32-byte chain key, a fresh Ed25519 signature
 * key pair, a random 16-byte distribution id (kept for the group's lifetime) and a random
 * chain id (new at each rotation). Rotation replaces chain key, signature key and chain
 * id, and wipes the old ones: a member who received the old chain learns nothing about
 * the new one. Rotate when a member leaves (DESIGN.md 5), on demand, or by policy.
 */
import { assertUint32 } from '../bytes';
import { ed25519KeyPair, KEY_BYTES } from '../crypto/primitives';
import { InvalidArgumentError } from '../errors';
import type { RandomSource } from '../random';
import { DISTRIBUTION_ID_BYTES } from './constants';
import { SenderChain } from './sender-chain';
import { randomChainId } from './sender-key-distribution';
import { assertGroupId, SenderKeyState } from './sender-key-state';

function assertTime(nowMs: number): void {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0)
    throw new InvalidArgumentError('time must be a safe integer >= 0');
}

function freshChain(random: RandomSource, nowMs: number, avoidChainId?: number): SenderChain {
  let chainId = randomChainId(random);
  // A new chain id at each rotation, so receivers never confuse the chains.
  while (chainId === avoidChainId) chainId = randomChainId(random);
  const signing = ed25519KeyPair(random);
  return new SenderChain({
    chainId,
    iteration: 0,
    chainKey: random.bytes(KEY_BYTES),
    signingPublicKey: signing.publicKey,
    signingSecretKey: signing.privateKey,
    createdAtMs: nowMs,
  });
}

export function createOwnSenderKey(
  groupId: Uint8Array,
  random: RandomSource,
  nowMs: number,
): SenderKeyState {
  assertGroupId(groupId);
  assertTime(nowMs);
  return new SenderKeyState(groupId.slice(), random.bytes(DISTRIBUTION_ID_BYTES), [
    freshChain(random, nowMs),
  ]);
}

/** Replaces our chain in place; distribute the new one with createSenderKeyDistribution. */
export function rotateOwnSenderKey(own: SenderKeyState, random: RandomSource, nowMs: number): void {
  assertTime(nowMs);
  own.replaceOwnChain(freshChain(random, nowMs, own.current.chainId));
}

/** Periodic rotation for post-compromise security: after N messages and/or T ms. */
export interface SenderKeyRotationPolicy {
  readonly maxMessages?: number;
  readonly maxAgeMs?: number;
}

/** True when our current chain has sent `maxMessages` messages or is `maxAgeMs` old. */
export function senderKeyRotationDue(
  own: SenderKeyState,
  policy: SenderKeyRotationPolicy,
  nowMs: number,
): boolean {
  assertTime(nowMs);
  const c = own.current;
  if (policy.maxMessages !== undefined) {
    assertUint32(policy.maxMessages, 'maxMessages');
    if (c.iteration >= policy.maxMessages) return true;
  }
  if (policy.maxAgeMs !== undefined) {
    assertTime(policy.maxAgeMs);
    if (nowMs - c.createdAtMs >= policy.maxAgeMs) return true;
  }
  return false;
}
