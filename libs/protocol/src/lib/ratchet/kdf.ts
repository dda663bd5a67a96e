/**
 * The Double Ratchet's KDFs (spec section 5.2):
 *   KDF_RK(rk, dh_out) = HKDF-SHA256(salt = rk, ikm = dh_out, info) -> (rk', ck)
 *   KDF_CK(ck)         = (HMAC-SHA256(ck, 0x02) -> ck', HMAC-SHA256(ck, 0x01) -> mk)
 */
import { utf8 } from '../bytes';
import { hkdfSha256, hmacSha256Pair } from '../crypto/primitives';

const ROOT_INFO = utf8.encode('Parley_Ratchet_Root_v1');
const MESSAGE_KEY_CONSTANT = new Uint8Array([0x01]);
const CHAIN_KEY_CONSTANT = new Uint8Array([0x02]);

export interface RootStep {
  readonly rootKey: Uint8Array;
  readonly chainKey: Uint8Array;
}

export function kdfRootKey(rootKey: Uint8Array, dhOutput: Uint8Array): RootStep {
  const out = hkdfSha256(dhOutput, rootKey, ROOT_INFO, 64);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32, 64) };
}

export interface ChainStep {
  readonly chainKey: Uint8Array;
  readonly messageKey: Uint8Array;
}

export function kdfChainKey(chainKey: Uint8Array): ChainStep {
  // One keying of the HMAC for both outputs (hmac-sha256.ts).
  const [messageKey, nextChainKey] = hmacSha256Pair(
    chainKey,
    MESSAGE_KEY_CONSTANT,
    CHAIN_KEY_CONSTANT,
  );
  return { chainKey: nextChainKey, messageKey };
}
