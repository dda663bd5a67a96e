/**
 * A local push service for Web Push tests: HTTPS with a throw-away self-signed certificate
 * (openssl), one URL per subscription. It does what a browser's push service and the
 * browser together do: checks the VAPID JWT (RFC 8292: ES256 signature with the `k` key,
 * audience, expiry) and decrypts the payload with the subscription's private key and auth
 * secret (RFC 8291, aes128gcm, RFC 8188), so a test sees exactly what a device would.
 */
import { execFileSync } from 'node:child_process';
import type { ECDH } from 'node:crypto';
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestSubscription {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
  /** The browser's side: private key and auth secret. */
  readonly ecdh: ECDH;
  readonly authSecret: Buffer;
}

export interface ReceivedPush {
  readonly subscription: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The decrypted payload (UTF-8). */
  readonly plaintext: string;
  readonly vapid: { readonly claims: Record<string, unknown>; readonly publicKey: string };
}

export interface WebPushEndpoint {
  readonly origin: string;
  /** PEM of the self-signed certificate, for WEB_PUSH_CA_CERTS. */
  readonly caCert: string;
  readonly received: ReceivedPush[];
  /** Requests that failed a check (bad JWT, undecryptable body), with why. */
  readonly refused: string[];
  subscribe(): TestSubscription;
  /** The status the next pushes to this subscription get (default 201). */
  answer(subscription: TestSubscription, status: number, headers?: Record<string, string>): void;
  pushesTo(subscription: TestSubscription): ReceivedPush[];
  close(): Promise<void>;
}

function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-push-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startWebPushEndpoint(
  expectedVapidPublicKey: string,
): Promise<WebPushEndpoint> {
  const tls = selfSignedCertificate();
  const subscriptions = new Map<string, TestSubscription>();
  const answers = new Map<string, { status: number; headers: Record<string, string> }>();
  const received: ReceivedPush[] = [];
  const refused: string[] = [];
  let origin = '';

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const id = (req.url ?? '').replace(/^\/push\//, '');
    const sub = subscriptions.get(id);
    if (req.method !== 'POST' || !sub) {
      res.writeHead(404).end();
      return;
    }
    try {
      const vapid = checkVapid(req.headers, origin, expectedVapidPublicKey);
      if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('not aes128gcm');
      const plaintext = decryptAes128gcm(body, sub).toString('utf8');
      const answer = answers.get(id) ?? { status: 201, headers: {} };
      if (answer.status < 300) {
        received.push({ subscription: id, headers: req.headers, body, plaintext, vapid });
      }
      res.writeHead(answer.status, answer.headers).end();
    } catch (error) {
      refused.push((error as Error).message);
      res.writeHead(400).end();
    }
  };

  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    caCert: tls.cert,
    received,
    refused,
    subscribe() {
      const id = randomBytes(8).toString('hex');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const authSecret = randomBytes(16);
      const sub: TestSubscription = {
        endpoint: `${origin}/push/${id}`,
        keys: {
          p256dh: ecdh.getPublicKey().toString('base64url'),
          auth: authSecret.toString('base64url'),
        },
        ecdh,
        authSecret,
      };
      subscriptions.set(id, sub);
      return sub;
    },
    answer(subscription, status, headers = {}) {
      answers.set(idOf(subscription), { status, headers });
    },
    pushesTo(subscription) {
      return received.filter((p) => p.subscription === idOf(subscription));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function idOf(subscription: TestSubscription): string {
  return subscription.endpoint.slice(subscription.endpoint.lastIndexOf('/') + 1);
}

/** RFC 8292: `Authorization: vapid t=<JWT>, k=<public key>`, ES256 over the JWT. */
function checkVapid(
  headers: IncomingHttpHeaders,
  origin: string,
  expectedKey: string,
): ReceivedPush['vapid'] {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(headers.authorization ?? '');
  if (!match) throw new Error('no vapid authorization');
  const [, jwt, k] = match as unknown as [string, string, string];
  if (k !== expectedKey) throw new Error('vapid key is not the configured one');
  const [h, c, s] = jwt.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
  if (header.alg !== 'ES256') throw new Error('vapid alg is not ES256');
  const raw = Buffer.from(k, 'base64url');
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${c}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  if (!ok) throw new Error('vapid signature does not verify');
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  if (claims['aud'] !== origin) throw new Error('vapid audience is not this push service');
  const exp = Number(claims['exp']);
  const now = Date.now() / 1000;
  if (!(exp > now && exp <= now + 24 * 3600)) throw new Error('vapid expiry out of range');
  return { claims, publicKey: k };
}

/** RFC 8291 section 3.4 key derivation and RFC 8188 aes128gcm (one record). */
export function decryptAes128gcm(body: Buffer, sub: TestSubscription): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const asPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (idLength !== 65) throw new Error('keyid is not an uncompressed P-256 key');
  if (ciphertext.length > recordSize) throw new Error('more than one record');
  const uaPublic = sub.ecdh.getPublicKey();
  const ecdhSecret = sub.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, sub.authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: aes128gcm\0', 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: nonce\0', 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
    decipher.final(),
  ]);
  // Plaintext, then the last-record delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end);
}
