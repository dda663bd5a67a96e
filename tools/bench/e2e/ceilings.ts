/**
 * What this machine can do at all with the same payload: raw NATS request/reply and
 * publish (nats client straight to nats-server, the peer in another process), PostgreSQL
 * inserts (single-row and 50-row statements, synchronous commit as the services have it),
 * and the CPU cost of one process-to-process round trip over loopback TCP (the unit every
 * hop of a message between the load generator, gateway, NATS, message-delivery and
 * PostgreSQL pays when nothing shares it). Parley's figures are printed as a fraction of these.
 */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import { Pool } from 'pg';
import { tsxNodeArgs } from './stack';

export interface NatsCeilings {
  readonly requestReplyPerS: number;
  readonly publishPerS: number;
}

export interface LoopbackCeiling {
  /** Wall time of one round trip, one at a time. */
  readonly roundTripUs: number;
  /** CPU (user + system) per round trip on each side: a read, a write and a wake-up. */
  readonly cpuUsPerSide: number;
}

export interface PgCeilings {
  readonly singleRowInsertsPerS: number;
  readonly batchRowsPerS: number;
}

/**
 * One `payloadBytes` message to an echo process and back, one at a time, for `seconds`: the
 * cost of a hop that no batching shares.
 */
export async function measureLoopback(options: {
  seconds: number;
  payloadBytes: number;
}): Promise<LoopbackCeiling> {
  const peer = fork(path.join(__dirname, 'echo-peer.ts'), [], {
    execArgv: tsxNodeArgs(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { port } = await once<{ port: number }>(peer, 'ready');
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const data = randomBytes(options.payloadBytes);
    const cpuOfPeer = async () => {
      peer.send({ type: 'cpu' });
      const { usage } = await once<{ usage: NodeJS.CpuUsage }>(peer, 'cpu');
      return usage.user + usage.system;
    };
    const peerBefore = await cpuOfPeer();
    const selfBefore = process.cpuUsage();
    const start = performance.now();
    const deadline = Date.now() + options.seconds * 1000;
    let roundTrips = 0;
    await new Promise<void>((resolve) => {
      let pending = data.length;
      socket.on('data', (chunk) => {
        pending -= chunk.length;
        if (pending > 0) return;
        roundTrips++;
        if (Date.now() >= deadline) {
          resolve();
          return;
        }
        pending = data.length;
        socket.write(data);
      });
      socket.write(data);
    });
    const wallUs = (performance.now() - start) * 1000;
    const self = process.cpuUsage(selfBefore);
    const peerUs = (await cpuOfPeer()) - peerBefore;
    socket.destroy();
    return {
      roundTripUs: wallUs / roundTrips,
      cpuUsPerSide: (self.user + self.system + peerUs) / 2 / roundTrips,
    };
  } finally {
    await stopPeer(peer);
  }
}

/** Asks a peer process to stop; kills it after 3 s. */
async function stopPeer(peer: ChildProcess): Promise<void> {
  if (peer.exitCode !== null) return;
  const exited = new Promise((resolve) => peer.once('exit', resolve));
  peer.send({ type: 'stop' });
  const timer = setTimeout(() => peer.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

function once<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string } & T) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => {
      reject(new Error(`peer process exited with ${String(code)}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Request/reply with `inFlight` outstanding requests, then publish flat out, `seconds` each. */
export async function measureNats(
  natsUrl: string,
  options: { seconds: number; payloadBytes: number; inFlight?: number },
): Promise<NatsCeilings> {
  const prefix = `bench-ceiling-${process.pid}-${randomBytes(4).toString('hex')}`;
  const peer = fork(path.join(__dirname, 'nats-peer.ts'), [natsUrl, prefix], {
    execArgv: tsxNodeArgs(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const nc = await connect({ servers: natsUrl, noEcho: true });
  try {
    await once(peer, 'ready');
    const data = randomBytes(options.payloadBytes);
    const inFlight = options.inFlight ?? 64;

    let answered = 0;
    const rrDeadline = Date.now() + options.seconds * 1000;
    const rrStart = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (Date.now() < rrDeadline) {
          await nc.request(`${prefix}.echo`, data, { timeout: 5000 });
          answered++;
        }
      }),
    );
    const requestReplyPerS = answered / ((performance.now() - rrStart) / 1000);

    // Publish in bursts with a flush per burst (the client's own back-pressure), then
    // count what the peer received: the rate is delivered messages per second.
    peer.send({ type: 'reset' });
    await once(peer, 'reset');
    const pubStart = performance.now();
    const pubDeadline = Date.now() + options.seconds * 1000;
    let published = 0;
    while (Date.now() < pubDeadline) {
      for (let i = 0; i < 1000; i++) nc.publish(`${prefix}.pub`, data);
      published += 1000;
      await nc.flush();
    }
    let received = 0;
    for (let i = 0; i < 100 && received < published; i++) {
      peer.send({ type: 'count' });
      received = (await once<{ received: number }>(peer, 'count')).received;
      if (received < published) await sleep(50);
    }
    const publishPerS = received / ((performance.now() - pubStart) / 1000);
    return { requestReplyPerS, publishPerS };
  } finally {
    await nc.close();
    await stopPeer(peer);
  }
}

/** Inserts of `payloadBytes` rows: one per statement, then 50 per statement, `seconds` each. */
export async function measurePostgres(
  databaseUrl: string,
  options: { seconds: number; payloadBytes: number; connections?: number },
): Promise<PgCeilings> {
  const connections = options.connections ?? 16;
  const pool = new Pool({ connectionString: databaseUrl, max: connections });
  const table = `bench_ceiling_${process.pid}_${randomBytes(3).toString('hex')}`;
  try {
    await pool.query(
      `CREATE TABLE ${table} (id bigserial PRIMARY KEY, recipient text NOT NULL, content bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    const content = randomBytes(options.payloadBytes);
    const run = async (rowsPerStatement: number) => {
      const values = Array.from(
        { length: rowsPerStatement },
        (_, i) => `($${2 * i + 1}, $${2 * i + 2})`,
      ).join(', ');
      const sql = `INSERT INTO ${table} (recipient, content) VALUES ${values}`;
      const params = Array.from({ length: rowsPerStatement }, (_, i) => [
        `user-${i}/1`,
        content,
      ]).flat();
      let rows = 0;
      const deadline = Date.now() + options.seconds * 1000;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (Date.now() < deadline) {
            await pool.query(sql, params);
            rows += rowsPerStatement;
          }
        }),
      );
      return rows / ((performance.now() - start) / 1000);
    };
    const singleRowInsertsPerS = await run(1);
    const batchRowsPerS = await run(50);
    return { singleRowInsertsPerS, batchRowsPerS };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pool.end();
  }
}
