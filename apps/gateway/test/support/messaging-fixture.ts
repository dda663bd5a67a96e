/**
 * The messaging suites' shared set-up: a gateway stack with the real services behind it
 * (started before the suite, closed after it with every socket still open), devices that
 * register through it, their live sockets, and the ids and envelopes the tests send.
 */
import { randomBytes } from 'node:crypto';
import { bytesToBase64 } from '@parley/contracts';
import { TestDevice } from './device';
import type { HttpResult, Stack } from './harness';
import { http, startStack } from './harness';
import type { LiveClient } from './live';
import { connectLive } from './live';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies the tests inspect
type JsonBody = any;

export interface MessagingFixture {
  /** The running stack (inside tests and hooks). */
  readonly stack: Stack;
  /** Sockets closed after the suite; a test that closes one itself takes it out. */
  readonly open: LiveClient[];
  readonly device: (
    label: string,
    deviceId?: number,
    oneTimePreKeys?: number,
  ) => Promise<TestDevice>;
  readonly live: (device: TestDevice) => Promise<LiveClient>;
  readonly post: (from: TestDevice, path: string, body: unknown) => Promise<HttpResult<JsonBody>>;
  readonly get: (from: TestDevice, path: string) => Promise<HttpResult<JsonBody>>;
}

/** Registers the suite's beforeAll/afterAll; `env` on top of a rate limit tests never hit. */
export function useMessagingStack(label: string, env: Record<string, string>): MessagingFixture {
  let running: Stack | undefined;
  const open: LiveClient[] = [];
  beforeAll(async () => {
    running = await startStack(
      label,
      { GATEWAY_RATE_LIMIT: '100000', ...env },
      { messaging: true },
    );
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await running?.close();
  });
  const stack = (): Stack => {
    if (!running) throw new Error('the messaging stack is not running (use it inside tests)');
    return running;
  };
  return {
    get stack() {
      return stack();
    },
    open,
    device: async (name, deviceId = 1, oneTimePreKeys = 0) => {
      const d = new TestDevice(name, deviceId);
      await d.register(stack().url, oneTimePreKeys);
      return d;
    },
    live: async (d) => {
      const client = await connectLive(stack().url, d.token!);
      open.push(client);
      return client;
    },
    post: (from, path, body) => http(stack().url, 'POST', path, { token: from.token!, body }),
    get: (from, path) => http(stack().url, 'GET', path, { token: from.token! }),
  };
}

let seq = 0;
/** A user id no other test of this process uses. */
export const uid = (label: string) => `${label}-${process.pid}-${++seq}`;
export const cmid = () => `c-${++seq}-${randomBytes(4).toString('hex')}`;
export const b64 = (bytes: Uint8Array) => bytesToBase64(bytes);
export const addr = (d: TestDevice) => ({ userId: d.userId, deviceId: d.deviceId });
export const envelope = (to: TestDevice, content: Uint8Array = randomBytes(48)) => ({
  recipient: addr(to),
  type: 'message',
  content: b64(content),
});
