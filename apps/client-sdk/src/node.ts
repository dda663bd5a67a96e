// Node entry of @parley/client-sdk: everything of the core, plus the encrypted file store
// and the `ws` WebSocket adapter (Node 20 has a global fetch).
import { ParleyClient } from './lib/client';
import type { ParleyClientOptions } from './lib/client';
import { nodeWebSocketFactory } from './node/websocket';
import { useNativeCrypto } from '@parley/protocol/node';

export * from './index';
export { FileStore } from './node/file-store';
export { nodeWebSocketFactory } from './node/websocket';

/**
 * ParleyClient.create with Node's defaults: global fetch, `ws`, and native libsodium for
 * X25519/Ed25519/AEAD (byte-identical to the portable WASM backend, 2-3x faster; stays on
 * WASM when the addon cannot load).
 */
export function createNodeClient(
  options: ParleyClientOptions,
  { nativeCrypto = true }: { nativeCrypto?: boolean } = {},
): Promise<ParleyClient> {
  if (nativeCrypto) useNativeCrypto();
  return ParleyClient.create({ webSocket: nodeWebSocketFactory, ...options });
}
