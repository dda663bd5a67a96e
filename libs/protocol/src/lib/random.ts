/**
 * Randomness is a parameter: every function that needs it takes a RandomSource, so tests
 * can replay deterministic transcripts.
 */
import { uint32le } from './bytes';
import { hmacSha256, secureRandomBytes } from './crypto/primitives';
import { sodium } from './crypto/sodium';

export interface RandomSource {
  bytes(n: number): Uint8Array;
}

/** The operating system's CSPRNG (through libsodium). */
export const secureRandom: RandomSource = { bytes: secureRandomBytes };

/**
 * FOR TESTS ONLY: a reproducible stream from a seed. Each call takes the next block
 * from libsodium's deterministic generator keyed by HMAC(seed, counter).
 */
export function deterministicRandom(seed: Uint8Array | string): RandomSource {
  const key = typeof seed === 'string' ? new TextEncoder().encode(seed.padEnd(32, '.')) : seed;
  let counter = 0;
  return {
    bytes(n: number): Uint8Array {
      const blockSeed = hmacSha256(key, uint32le(counter++));
      return sodium().randombytes_buf_deterministic(n, blockSeed);
    },
  };
}
