/**
 * The test page's origin: serves the page and the bundle, and passes /v1 (HTTP and the
 * WebSocket upgrade) through to the gateway, so the page talks to the real gateway without
 * the gateway having to allow cross-origin requests.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>parley sdk</title></head>
<body><script src="/sdk.js"></script></body></html>`;

export async function startPageServer(gatewayUrl: string, bundle: string): Promise<PageServer> {
  const gateway = new URL(gatewayUrl);
  const port = Number(gateway.port);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (req.url === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    } else if (req.url?.startsWith('/v1/')) {
      const upstream = request(
        {
          host: gateway.hostname,
          port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: gateway.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    } else {
      res.writeHead(404).end();
    }
  });
  // The WebSocket: replay the upgrade request to the gateway, then splice the two sockets.
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    const upstream = connect(port, gateway.hostname, () => {
      const headers = Object.entries({ ...req.headers, host: gateway.host })
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)
        .join('\r\n');
      upstream.write(`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n${headers}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${own}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
