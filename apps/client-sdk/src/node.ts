// Node entry of @parley/client-sdk: everything of the core, plus the encrypted file store
// and the `ws` WebSocket adapter (Node 20 has a global fetch).
import { ParleyClient } from './lib/client';
import type { ParleyClientOptions } from './lib/client';
import { nodeWebSocketFactory } from './node/websocket';

export * from './index';
export { FileStore } from './node/file-store';
export { nodeWebSocketFactory } from './node/websocket';

/** ParleyClient.create with Node's transport defaults (global fetch, `ws`). */
export function createNodeClient(options: ParleyClientOptions): Promise<ParleyClient> {
  return ParleyClient.create({ webSocket: nodeWebSocketFactory, ...options });
}
