/**
 * The one place that loads libsodium (the -sumo build: it has HMAC-SHA256 and the
 * Ed25519 <-> X25519 conversions). Everything else reaches primitives through
 * `primitives.ts`, never through libsodium directly.
 */
import sodiumModule from 'libsodium-wrappers-sumo';
import { NotInitializedError } from '../errors';

type Sodium = typeof sodiumModule;
let ready: Sodium | undefined;

/** Loads the WASM module. Await once before any other protocol call. */
export async function initProtocol(): Promise<void> {
  if (ready) return;
  await sodiumModule.ready;
  ready = sodiumModule;
}

export function sodium(): Sodium {
  if (!ready) throw new NotInitializedError();
  return ready;
}
