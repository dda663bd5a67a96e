import { isValidNamespace } from '@parley/contracts';
import { connect, Events, StringCodec } from 'nats';
import type { NatsConnection } from 'nats';
import { existsSync } from 'node:fs';
import type { NatsServer } from './nats-server';
import { startNatsServer } from './nats-server';
import { uniqueName, uniqueSubjectPrefix } from './unique-names';

const sc = StringCodec();

/** Resolves when the client has reconnected to the server. */
async function nextReconnect(nc: NatsConnection): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === Events.Reconnect) return;
  }
}

describe('startNatsServer', () => {
  let server: NatsServer;
  let nc: NatsConnection | undefined;

  beforeEach(async () => {
    server = await startNatsServer();
  });
  afterEach(async () => {
    await nc?.close();
    nc = undefined;
    await server.dispose();
  });

  it('runs a private server with JetStream on a port of its own', async () => {
    expect(server.port).not.toBe(4222);
    nc = await connect({ servers: server.url });
    const jsm = await nc.jetstreamManager();
    const info = await jsm.getAccountInfo();
    expect(info.limits).toBeDefined();
  });

  it('keeps JetStream messages across a stop and start, and clients reconnect', async () => {
    nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    const stream = uniqueName('events');
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    const js = nc.jetstream();
    await js.publish(`${stream}.a`, sc.encode('before'));

    const reconnected = nextReconnect(nc);
    await server.restart();
    expect(server.running).toBe(true);
    await reconnected;
    await js.publish(`${stream}.a`, sc.encode('after'));

    await server.kill();
    expect(server.running).toBe(false);
    const again = nextReconnect(nc);
    await server.start();
    await again;
    const stored = await jsm.streams.info(stream);
    expect(stored.state.messages).toBe(2);
    const first = await jsm.streams.getMessage(stream, { seq: 1 });
    expect(sc.decode(first.data)).toBe('before');
  });

  it('removes its store directory on dispose', async () => {
    const other = await startNatsServer();
    expect(existsSync(other.storeDir)).toBe(true);
    await other.dispose();
    expect(existsSync(other.storeDir)).toBe(false);
    expect(other.running).toBe(false);
  });
});

describe('unique names', () => {
  it('gives NATS namespaces the contracts accept, never the same twice', () => {
    const a = uniqueSubjectPrefix('delivery spec');
    const b = uniqueSubjectPrefix('delivery spec');
    expect(a).not.toBe(b);
    expect(isValidNamespace(a)).toBe(true);
    expect(uniqueName('x.y')).toMatch(/^x-y_\d+_[0-9a-f]{8}$/);
  });
});
