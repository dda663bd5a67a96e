/**
 * What the test page runs: the browser build of the SDK (src/index.ts, no Node entry),
 * with a small handle the test drives through page.evaluate. The page talks to the gateway
 * through its own origin (the test server proxies /v1 and the WebSocket).
 */
import type { IncomingMessage, ParleyClient } from '../../src/index';
import { MemoryStore, ParleyClient as Client } from '../../src/index';

interface PageDevice {
  client: ParleyClient;
  messages: IncomingMessage[];
  errors: string[];
}

const devices = new Map<string, PageDevice>();

function device(userId: string): PageDevice {
  const d = devices.get(userId);
  if (!d) throw new Error(`no device ${userId} in the page`);
  return d;
}

const harness = {
  /** Registers and connects a device with the browser's fetch, WebSocket and Web Crypto. */
  async online(userId: string): Promise<string> {
    const client = await Client.create({
      serverUrl: (globalThis as unknown as { location: { origin: string } }).location.origin,
      store: new MemoryStore(),
      userId,
    });
    const d: PageDevice = { client, messages: [], errors: [] };
    client.on('message', (m) => d.messages.push(m));
    client.on('error', (e) => d.errors.push(String(e)));
    await client.register();
    await client.connect();
    devices.set(userId, d);
    return Array.from(client.identityKey, (b) => b.toString(16).padStart(2, '0')).join('');
  },
  async send(userId: string, to: string, text: string): Promise<void> {
    await device(userId).client.send(to, text);
  },
  messages(userId: string): { from: string; text: string }[] {
    return device(userId).messages.map((m) => ({
      from: `${m.from.userId}#${m.from.deviceId}`,
      text: m.text,
    }));
  },
  errors(userId: string): string[] {
    return device(userId).errors;
  },
  async safetyNumber(userId: string, other: string): Promise<string> {
    return (await device(userId).client.safetyNumber(other)).digits;
  },
  async close(): Promise<void> {
    for (const d of devices.values()) await d.client.close();
  },
};

export type Harness = typeof harness;
(globalThis as unknown as { parley: Harness }).parley = harness;
