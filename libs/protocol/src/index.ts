// Public surface of the protocol library: what an SDK needs, nothing else.
export { initProtocol } from './lib/crypto/sodium';
export * from './lib/errors';
export type { RandomSource } from './lib/random';
export { secureRandom, deterministicRandom } from './lib/random';
