/** A demo device: an SDK client plus what it received, to print and to check. */
import type {
  GroupInfo,
  IncomingMessage,
  ParleyClient,
  UndecryptableMessage,
} from '@parley/client-sdk/node';
import { createNodeClient, MemoryStore, nodeWebSocketFactory } from '@parley/client-sdk/node';
import { transcript } from './transcript';
import { Wiretap } from './wiretap';

/** An expected delivery that did not happen in time: the demo fails (exit 1). */
export class DeliveryTimeoutError extends Error {
  override readonly name = 'DeliveryTimeoutError';
}

export const DELIVERY_TIMEOUT_MS = Number(process.env['DEMO_TIMEOUT_MS'] || 20_000);

export async function waitFor(
  what: string,
  done: () => boolean,
  timeoutMs = DELIVERY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline)
      throw new DeliveryTimeoutError(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class DemoDevice {
  readonly messages: IncomingMessage[] = [];
  readonly undecryptable: UndecryptableMessage[] = [];
  readonly errors: unknown[] = [];
  /** The latest verified view of each group this device heard of. */
  readonly groups = new Map<string, GroupInfo>();
  readonly wiretap = new Wiretap();
  /** Kept across reconnects: the device's keys and sessions (an app would use FileStore). */
  private readonly store = new MemoryStore();
  private current: ParleyClient | undefined;
  /** Print deliveries as they arrive. */
  verbose = true;

  constructor(
    private readonly url: string,
    readonly userId: string,
    readonly deviceId: number,
  ) {}

  get label(): string {
    return `${this.userId}#${this.deviceId}`;
  }

  get client(): ParleyClient {
    if (!this.current) throw new Error(`${this.label} is offline`);
    return this.current;
  }

  get online(): boolean {
    return this.current !== undefined;
  }

  /** Loads the device from its store, registering it the first time, and connects. */
  async goOnline(): Promise<void> {
    const client = await createNodeClient({
      serverUrl: this.url,
      store: this.store,
      userId: this.userId,
      deviceId: this.deviceId,
      fetch: this.wiretap.wrap((url, init) => fetch(url, init)),
      webSocket: this.wiretap.wrapSocket(nodeWebSocketFactory),
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
      senderKeyWaitMs: 5_000,
    });
    client.on('message', (m) => {
      this.messages.push(m);
      if (this.verbose) {
        const where = m.groupId
          ? `group ${m.groupId.slice(0, 8)}`
          : m.to
            ? `copy, to ${m.to}`
            : '1:1';
        transcript.detail(
          `${this.label} <- ${m.from.userId}#${m.from.deviceId} (${where}): "${m.text}"`,
        );
      }
    });
    client.on('undecryptable', (u) => {
      this.undecryptable.push(u);
      transcript.detail(
        `${this.label} got an UNDECRYPTABLE message from ${u.from.userId}#${u.from.deviceId}: ${u.reason}`,
      );
    });
    client.on('group', (g: GroupInfo) => {
      const before = this.groups.get(g.groupId);
      this.groups.set(g.groupId, g);
      const changed =
        !before || before.name !== g.name || before.epoch !== g.epoch || before.active !== g.active;
      if (this.verbose && changed) {
        transcript.detail(
          `${this.label} sees group "${g.name}" epoch ${g.epoch}: members ${g.members.join(', ')}${g.active ? '' : ' (no longer a member)'}`,
        );
      }
    });
    client.on('error', (e) => this.errors.push(e));
    if (!client.isRegistered) await client.register();
    await client.connect();
    this.current = client;
  }

  /** A real offline period: the socket closes and nothing runs until goOnline. */
  async goOffline(): Promise<void> {
    await this.current?.close();
    this.current = undefined;
  }

  texts(filter: (m: IncomingMessage) => boolean = () => true): string[] {
    return this.messages.filter(filter).map((m) => m.text);
  }

  /** Waits until it has received `text` (in `groupId`, when given). */
  async expect(text: string, groupId?: string, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<void> {
    await waitFor(
      `${this.label} to receive "${text}"`,
      () =>
        this.messages.some(
          (m) => m.text === text && (groupId === undefined || m.groupId === groupId),
        ),
      timeoutMs,
    );
  }
}
