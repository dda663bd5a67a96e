/** Test clients: real SDK devices against the stack, with helpers to wait for events. */
import type {
  FetchLike,
  IncomingMessage,
  ParleyClient,
  ParleyClientOptions,
  ParleyStore,
  UndecryptableMessage,
} from '../../src/node';
import type { GatewayApi } from '../../src/lib/transport/gateway-api';
import { createNodeClient, MemoryStore } from '../../src/node';

let counter = 0;

/** A unique user id per test run (the stack's database is fresh, but names help debugging). */
export function uniqueUser(name: string): string {
  counter++;
  return `${name}_${process.pid}_${counter}`;
}

export interface TestClient {
  readonly client: ParleyClient;
  readonly messages: IncomingMessage[];
  readonly undecryptable: UndecryptableMessage[];
  readonly errors: unknown[];
}

export async function newClient(
  url: string,
  userId: string,
  options: Partial<ParleyClientOptions> = {},
): Promise<TestClient> {
  const client = await createNodeClient({
    serverUrl: url,
    store: options.store ?? new MemoryStore(),
    userId,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    senderKeyWaitMs: 3000,
    ...options,
  });
  const t: TestClient = { client, messages: [], undecryptable: [], errors: [] };
  client.on('message', (m) => t.messages.push(m));
  client.on('undecryptable', (u) => t.undecryptable.push(u));
  client.on('error', (e) => t.errors.push(e));
  return t;
}

/** A registered and connected client. */
export async function onlineClient(
  url: string,
  userId: string,
  options: Partial<ParleyClientOptions> = {},
): Promise<TestClient> {
  const t = await newClient(url, userId, options);
  if (!t.client.isRegistered) await t.client.register();
  await t.client.connect();
  return t;
}

export async function waitFor(
  what: string,
  predicate: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function texts(
  t: TestClient,
  filter: (m: IncomingMessage) => boolean = () => true,
): string[] {
  return t.messages.filter(filter).map((m) => m.text);
}

export const realFetch: FetchLike = (url, init) => fetch(url, init);

/** The client's own HTTP API object: tests play a raw (or hostile) party with it. */
export function apiOf(client: ParleyClient): GatewayApi {
  return (client as unknown as { api: GatewayApi }).api;
}

/** The store the client was created with. */
export function storeOf(client: ParleyClient): ParleyStore {
  return (client as unknown as { options: { store: ParleyStore } }).options.store;
}
