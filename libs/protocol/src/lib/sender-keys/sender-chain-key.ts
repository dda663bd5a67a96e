/**
 * The sender chain KDF (Signal Sender Keys, like the Double Ratchet's KDF_CK):
 *   message key seed = HMAC-SHA256(chain key, 0x01)
 *   next chain key   = HMAC-SHA256(chain key, 0x02)
 * The chain only moves forward: holding chain key i reveals nothing before i.
 */
import { hmacSha256, hmacSha256Pair } from '../crypto/primitives';

const MESSAGE_KEY_SEED_CONSTANT = new Uint8Array([0x01]);
const CHAIN_KEY_CONSTANT = new Uint8Array([0x02]);

export function messageKeySeed(chainKey: Uint8Array): Uint8Array {
  return hmacSha256(chainKey, MESSAGE_KEY_SEED_CONSTANT);
}

export function nextChainKey(chainKey: Uint8Array): Uint8Array {
  return hmacSha256(chainKey, CHAIN_KEY_CONSTANT);
}

export interface SenderChainStep {
  readonly seed: Uint8Array;
  readonly nextChainKey: Uint8Array;
}

/** Both of the above, keying the HMAC with the chain key once. */
export function senderChainStep(chainKey: Uint8Array): SenderChainStep {
  const [seed, next] = hmacSha256Pair(chainKey, MESSAGE_KEY_SEED_CONSTANT, CHAIN_KEY_CONSTANT);
  return { seed, nextChainKey: next };
}
