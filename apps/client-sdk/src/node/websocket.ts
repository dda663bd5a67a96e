/** The `ws` package as the SDK's WebSocket in Node (it implements the browser surface). */
import WebSocket from 'ws';
import type { WebSocketFactory, WebSocketLike } from '../lib/transport/live-connection';

export const nodeWebSocketFactory: WebSocketFactory = (url: string) =>
  new WebSocket(url) as unknown as WebSocketLike;
