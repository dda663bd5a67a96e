/**
 * Local fakes of the APNs and FCM HTTP APIs: they record what arrives, check the
 * credentials the way the real services do (signature of the provider token or the
 * service-account assertion), and answer with whatever a test scripts.
 */
import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';
import { createServer as createH2cServer } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';

export interface Scripted {
  readonly status: number;
  /** Answer only after this long (a slow push service). */
  readonly delayMs?: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Decodes a JWT and checks its signature; throws with why when it does not verify. */
export function verifyJwt(
  jwt: string,
  key: KeyObject,
  alg: 'ES256' | 'RS256',
): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, c, s] = jwt.split('.');
  if (!h || !c || !s) throw new Error('not a JWT');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  if (header['alg'] !== alg) throw new Error(`alg is not ${alg}`);
  const data = Buffer.from(`${h}.${c}`);
  const signature = Buffer.from(s, 'base64url');
  const ok =
    alg === 'ES256'
      ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
      : verify('sha256', data, key, signature);
  if (!ok) throw new Error('signature does not verify');
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  return { header, claims };
}

type Script = (req: RecordedRequest) => Scripted;

export interface FakeApns {
  readonly url: string;
  readonly keyPem: string;
  readonly publicKey: KeyObject;
  readonly requests: RecordedRequest[];
  /** How to answer; default 200 with an apns-id. */
  script(fn: Script | undefined): void;
  close(): Promise<void>;
}

/** APNs over cleartext HTTP/2 (h2c): the provider speaks HTTP/2 either way. */
export async function startFakeApns(): Promise<FakeApns> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const requests: RecordedRequest[] = [];
  let scripted: Script | undefined;
  const server: Http2Server = createH2cServer();
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const req: RecordedRequest = {
        path: String(headers[':path']),
        headers: headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(req);
      const answer = scripted?.(req) ?? { status: 200 };
      stream.respond({
        ':status': answer.status,
        'apns-id': randomBytes(16).toString('hex'),
        ...answer.headers,
      });
      stream.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey,
    requests,
    script: (fn) => (scripted = fn),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        // Sessions the provider keeps open would hold close() forever.
        for (const socket of open) socket.destroy();
      }),
  };
}

export interface FakeFcm {
  readonly url: string;
  readonly tokenUrl: string;
  readonly keyPem: string;
  readonly clientEmail: string;
  readonly publicKey: KeyObject;
  readonly tokenRequests: RecordedRequest[];
  readonly sends: RecordedRequest[];
  /** Access tokens handed out, newest last. */
  readonly accessTokens: string[];
  /** The most sends that were open at the same moment. */
  readonly maxConcurrentSends: () => number;
  script(fn: Script | undefined): void;
  close(): Promise<void>;
}

export async function startFakeFcm(projectId: string): Promise<FakeFcm> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `parley-push@${projectId}.iam.gserviceaccount.com`;
  const tokenRequests: RecordedRequest[] = [];
  const sends: RecordedRequest[] = [];
  const accessTokens: string[] = [];
  let scripted: Script | undefined;
  let base = '';
  let openSends = 0;
  let maxOpenSends = 0;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && recorded.path === '/token') {
        tokenRequests.push(recorded);
        const form = new URLSearchParams(recorded.body);
        try {
          if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
            throw new Error('grant_type');
          }
          const { claims } = verifyJwt(form.get('assertion') ?? '', publicKey, 'RS256');
          if (claims['iss'] !== clientEmail) throw new Error('iss');
          if (claims['aud'] !== `${base}/token`) throw new Error('aud');
          if (claims['scope'] !== 'https://www.googleapis.com/auth/firebase.messaging') {
            throw new Error('scope');
          }
        } catch (error) {
          json(400, { error: 'invalid_grant', error_description: (error as Error).message });
          return;
        }
        const token = `ya29.${randomBytes(12).toString('hex')}`;
        accessTokens.push(token);
        json(200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
        return;
      }
      if (req.method === 'POST' && recorded.path === `/v1/projects/${projectId}/messages:send`) {
        sends.push(recorded);
        openSends++;
        maxOpenSends = Math.max(maxOpenSends, openSends);
        res.on('close', () => openSends--);
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!bearer || !accessTokens.includes(bearer)) {
          json(401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
          return;
        }
        const answer = scripted?.(recorded) ?? {
          status: 200,
          body: { name: `projects/${projectId}/messages/${randomBytes(6).toString('hex')}` },
        };
        setTimeout(() => {
          json(answer.status, answer.body ?? {}, answer.headers);
        }, answer.delayMs ?? 0);
        return;
      }
      json(404, { error: { code: 404, status: 'NOT_FOUND', message: 'no such route' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    tokenUrl: `${base}/token`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    clientEmail,
    publicKey,
    tokenRequests,
    sends,
    accessTokens,
    maxConcurrentSends: () => maxOpenSends,
    script: (fn) => (scripted = fn),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** An FCM v1 error body with an `errorCode` detail, as Google sends them. */
export function fcmError(status: number, statusName: string, errorCode: string): Scripted {
  return {
    status,
    body: {
      error: {
        code: status,
        status: statusName,
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }],
      },
    },
  };
}
