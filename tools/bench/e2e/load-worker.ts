/**
 * One load process: a share of the simulated devices, each with its own WebSocket and
 * bearer token, sending 1:1 and offline messages as `send` frames over that socket (or, with
 * `--send-over http`, as POST /v1/messages) and receiving live frames. Every received message
 * is acked over the socket, as a client would. Driven over IPC by the orchestrator (see
 * protocol.ts); measures latency from send start to frame receipt.
 */
import { bytesToBase64 } from '@parley/contracts';
import type { PreKeyLookup } from '@parley/protocol';
import {
  initProtocol,
  publicOneTimePreKey,
  publicSignedPreKey,
  secureRandom,
  SessionRecord,
} from '@parley/protocol';
import WebSocket from 'ws';
import { BenchDevice, forEachLimit } from './device';
import type { LatencyHistogram } from './histogram';
import { encodeHistogram, newHistogram, recordMs } from './histogram';
import { HttpStatusError, JsonClient } from './http-client';
import { decodePayload, encodePayload, nowMs } from './payload';
import type { Address, SendOver, StepResult, WorkerCommand, WorkerReply } from './protocol';

const ACK_FLUSH_MS = 50;
const MAX_ACK_IDS = 100;
const RECONNECT_PAUSE_MS = 100;
/** Outstanding sends per process before the generator sheds load (the knee is passed). */
const MAX_OUTSTANDING = 4000;

interface SimDevice {
  readonly device: BenchDevice;
  ws?: WebSocket;
  pendingAcks: string[];
  partner?: SimDevice;
  /** Real-encryption sessions by peer address. */
  readonly sessions: Map<string, SessionRecord>;
  /** `send` frames awaiting their `sent` or `error`, by frame id. */
  readonly pendingSends: Map<string, (outcome: SendOutcome) => void>;
  /** A connection attempt under way after the socket was lost. */
  reconnecting?: Promise<void> | undefined;
}

/** A send's outcome: stored, or why not (HTTP status and body, or the error frame). */
type SendOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };
const STORED: SendOutcome = { ok: true };

interface SendBody {
  readonly clientMessageId: string;
  readonly envelopes: readonly { recipient: Address; type: 'prekey' | 'message'; content: string }[];
}

interface StepState {
  readonly tag: number;
  windowEnd: number;
  deliveredInWindow: number;
  delivered: number;
  readonly latency: LatencyHistogram;
}

const key = (a: Address) => `${a.userId}/${a.deviceId}`;

let http: JsonClient;
let wsUrl = '';
let index = 0;
let payloadBytes = 256;
let sendOver: SendOver = 'ws';
let nextFrameId = 0;
const devices = new Map<string, SimDevice>();
const byUser = new Map<string, SimDevice>();
const withAcks = new Set<SimDevice>();
let step: StepState | undefined;
const tracked = new Map<number, { count: number; firstAt: number; lastAt: number }>();
const handshakeWaiters = new Map<string, () => void>();
let decryptErrors = 0;
let filler = encodePayload(payloadBytes, { tag: 0, seq: 0, sentAt: 0 });

function reply(m: WorkerReply): void {
  process.send?.(m);
}

function preKeyLookup(d: BenchDevice): PreKeyLookup {
  return {
    signedPreKey: (id) => (id === d.signedPreKey.id ? d.signedPreKey.keyPair : undefined),
    oneTimePreKey: (id) => d.oneTimePreKeys.find((k) => k.id === id)?.keyPair,
  };
}

interface WireMessage {
  messageId: string;
  sender: Address;
  type: 'prekey' | 'message' | 'sender-key';
  content: string;
}

/** POST /v1/messages, or the same body as a `send` frame on the sender's socket. */
function sendMessage(from: SimDevice, body: SendBody): Promise<SendOutcome> {
  if (sendOver === 'http') {
    return http.send('POST', '/v1/messages', body, from.device.token).then(
      (res) => (res.status >= 200 && res.status < 300 ? STORED : { ok: false, error: `${res.status} ${JSON.stringify(res.body).slice(0, 200)}` }),
      (e: unknown) => ({ ok: false, error: String(e) }),
    );
  }
  const ws = from.ws;
  if (ws?.readyState !== WebSocket.OPEN) return Promise.resolve({ ok: false, error: `no open socket for ${key(from.device)}` });
  const id = String(++nextFrameId);
  return new Promise((resolve) => {
    from.pendingSends.set(id, resolve);
    ws.send(JSON.stringify({ type: 'send', id, ...body }));
  });
}

/** A `sent` or `error` frame answering one of the device's sends. */
function onSendReply(sim: SimDevice, frame: { type: string; id?: string; code?: string; message?: unknown }): void {
  const settle = frame.id === undefined ? undefined : sim.pendingSends.get(frame.id);
  if (!settle || frame.id === undefined) {
    if (frame.type === 'error') console.error(`[load ${index}] error frame: ${frame.code ?? ''} ${String(frame.message)}`);
    return;
  }
  sim.pendingSends.delete(frame.id);
  settle(frame.type === 'sent' ? STORED : { ok: false, error: `${frame.code ?? ''} ${String(frame.message)}` });
}

function onFrame(sim: SimDevice, data: WebSocket.RawData): void {
  const at = nowMs();
  const frame = JSON.parse((data as Buffer).toString()) as { type: string; id?: string; code?: string; message?: WireMessage };
  if (frame.type === 'sent' || frame.type === 'error') {
    onSendReply(sim, frame);
    return;
  }
  if (frame.type !== 'message' || !frame.message) return;
  const m = frame.message;
  let bytes: Uint8Array = Buffer.from(m.content, 'base64');
  const session = m.type === 'sender-key' ? undefined : sim.sessions.get(key(m.sender));
  if (session || (m.type === 'prekey' && decodePayload(bytes) === undefined)) {
    // A real ciphertext: decrypt it (and persist the session, as a client must).
    const record = session ?? SessionRecord.empty();
    try {
      bytes = record.decrypt({ type: m.type as 'prekey' | 'message', body: bytes }, sim.device.identity, preKeyLookup(sim.device), secureRandom).plaintext;
    } catch (error) {
      decryptErrors++;
      console.error(`[load ${index}] decrypt failed: ${String(error)}`);
      return;
    }
    record.serialize();
    sim.sessions.set(key(m.sender), record);
    handshakeWaiters.get(`${key(sim.device)}<-${key(m.sender)}`)?.();
  }
  const header = decodePayload(bytes);
  if (header) {
    if (step && header.tag === step.tag) {
      step.delivered++;
      if (at <= step.windowEnd) step.deliveredInWindow++;
      recordMs(step.latency, at - header.sentAt);
    }
    const t = tracked.get(header.tag);
    if (t) {
      t.count++;
      if (t.count === 1) t.firstAt = at;
      t.lastAt = Math.max(t.lastAt, at);
    }
  }
  sim.pendingAcks.push(m.messageId);
  if (sim.pendingAcks.length >= MAX_ACK_IDS) flushAcks(sim);
  else withAcks.add(sim);
}

function flushAcks(sim: SimDevice): void {
  withAcks.delete(sim);
  if (sim.pendingAcks.length === 0 || sim.ws?.readyState !== WebSocket.OPEN) return;
  sim.ws.send(JSON.stringify({ type: 'ack', messageIds: sim.pendingAcks }));
  sim.pendingAcks = [];
}

setInterval(() => {
  for (const sim of [...withAcks]) flushAcks(sim);
}, ACK_FLUSH_MS).unref();

function connect(sim: SimDevice): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${sim.device.token}` }, perMessageDeflate: false });
    const timer = setTimeout(() => { reject(new Error(`no ready frame for ${key(sim.device)}`)); }, 30_000);
    ws.on('message', (data) => {
      if (sim.ws !== ws) {
        const frame = JSON.parse((data as Buffer).toString()) as { type: string; message?: string };
        if (frame.type === 'ready') {
          clearTimeout(timer);
          sim.ws = ws;
          resolve();
        } else if (frame.type === 'error') {
          reject(new Error(`ws error frame: ${frame.message ?? ''}`));
        }
        return;
      }
      onFrame(sim, data);
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.on('close', () => {
      if (sim.ws !== ws) return;
      sim.ws = undefined;
      for (const settle of sim.pendingSends.values()) settle({ ok: false, error: 'socket closed' });
      sim.pendingSends.clear();
    });
  });
}

/** One 1:1 message from `from` to its partner (pre-encrypted bytes, or a real ciphertext). */
function envelopeFor(from: SimDevice, to: SimDevice, tag: number, seq: number, real: boolean) {
  const plain = encodePayload(payloadBytes, { tag, seq, sentAt: nowMs() }, filler.subarray(24));
  if (!real) return { recipient: to.device.address, type: 'message' as const, content: plain.toString('base64') };
  const record = from.sessions.get(key(to.device));
  if (!record) throw new Error(`no session ${key(from.device)} -> ${key(to.device)}`);
  const ct = record.encrypt(plain);
  record.serialize();
  return { recipient: to.device.address, type: ct.type, content: bytesToBase64(ct.body) };
}

async function handshake(a: SimDevice, b: SimDevice): Promise<void> {
  const record = SessionRecord.empty();
  const otpk = b.device.oneTimePreKeys[0];
  record.initiate(
    a.device.identity,
    {
      identityKey: b.device.identity.publicKey,
      signedPreKey: publicSignedPreKey(b.device.signedPreKey),
      ...(otpk ? { oneTimePreKey: publicOneTimePreKey(otpk) } : {}),
    },
    secureRandom,
  );
  a.sessions.set(key(b.device), record);
  const arrived = (to: SimDevice, from: SimDevice) =>
    new Promise<void>((resolve, reject) => {
      const k = `${key(to.device)}<-${key(from.device)}`;
      const t = setTimeout(() => { reject(new Error(`handshake ${k} timed out`)); }, 20_000);
      handshakeWaiters.set(k, () => {
        clearTimeout(t);
        handshakeWaiters.delete(k);
        resolve();
      });
    });
  const hello = async (from: SimDevice, to: SimDevice) => {
    const outcome = await sendMessage(from, { clientMessageId: `hs-${index}-${key(from.device).replace('/', '-')}`, envelopes: [envelopeFor(from, to, 0, 0, true)] });
    if (!outcome.ok) throw new Error(`handshake send ${key(from.device)} -> ${key(to.device)}: ${outcome.error}`);
  };
  const atB = arrived(b, a);
  await hello(a, b);
  await atB;
  const atA = arrived(a, b);
  await hello(b, a);
  await atA;
}

async function run1to1(c: Extract<WorkerCommand, { type: 'run1to1' }>): Promise<StepResult> {
  const senders = [...devices.values()].filter((d) => d.partner && (!c.real || d.sessions.size > 0));
  if (senders.length === 0) throw new Error('no paired devices in this process');
  const state: StepState = { tag: c.tag, windowEnd: Infinity, deliveredInWindow: 0, delivered: 0, latency: newHistogram() };
  step = state;
  const ackLatency = newHistogram();
  let offered = 0;
  let accepted = 0;
  let errors = 0;
  let shed = 0;
  let outstanding = 0;
  let firstError: string | undefined;
  const eluStart = performance.eventLoopUtilization();
  const decryptErrorsBefore = decryptErrors;
  const start = nowMs();
  const end = start + c.seconds * 1000;
  state.windowEnd = end;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = nowMs();
      const due = Math.min(c.ratePerS * c.seconds, Math.floor(((now - start) / 1000) * c.ratePerS)) - offered - shed;
      for (let i = 0; i < due; i++) {
        if (outstanding >= MAX_OUTSTANDING) {
          shed++;
          continue;
        }
        const from = senders[next++ % senders.length] as SimDevice;
        const to = from.partner as SimDevice;
        const seq = offered++;
        outstanding++;
        const sentAt = nowMs();
        void sendMessage(from, { clientMessageId: `m${index}-${c.tag}-${seq}`, envelopes: [envelopeFor(from, to, c.tag, seq, c.real)] }).then((outcome) => {
          outstanding--;
          if (outcome.ok) {
            accepted++;
            recordMs(ackLatency, nowMs() - sentAt);
          } else {
            errors++;
            firstError ??= outcome.error;
          }
        });
      }
      if (now >= end) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  const elu = performance.eventLoopUtilization(eluStart).utilization;
  // Grace: let what is in flight arrive (counted in `delivered`, not in the window rate).
  const graceEnd = Date.now() + c.graceMs;
  while (Date.now() < graceEnd && (outstanding > 0 || state.delivered < accepted)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  step = undefined;
  return {
    offered,
    accepted,
    errors,
    shed,
    deliveredInWindow: state.deliveredInWindow,
    delivered: state.delivered,
    histogram: encodeHistogram(state.latency),
    ackHistogram: encodeHistogram(ackLatency),
    elu,
    decryptErrors: decryptErrors - decryptErrorsBefore,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

async function store(c: Extract<WorkerCommand, { type: 'store' }>): Promise<WorkerReply> {
  // Offline devices never send here (and a device may not send to itself). Over the socket,
  // only connected devices send: connecting another could make a later target of this run
  // (durability's) online, and its live frames would be acked out of its mailbox.
  const offline = new Set(c.targets.map(key));
  const senders = [...devices.values()].filter((d) => !offline.has(key(d.device)) && (sendOver === 'http' || d.ws !== undefined));
  if (senders.length === 0) throw new Error('no sending devices in this process');
  const ackedSeqs = c.collect ? ([] as number[]) : undefined;
  let stored = 0;
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const start = performance.now();
  const stopAt = start + c.maxSeconds * 1000;
  await Promise.all(
    Array.from({ length: c.concurrency }, async () => {
      for (let i = next++; i < c.count && performance.now() < stopAt; i = next++) {
        const from = senders[i % senders.length] as SimDevice;
        if (c.reconnect && sendOver === 'ws') await reconnected(from, stopAt);
        const to = c.targets[i % c.targets.length] as Address;
        const seq = (c.seqBase ?? 0) + i;
        const content = encodePayload(payloadBytes, { tag: c.tag, seq, sentAt: nowMs() }, filler.subarray(24));
        const outcome = await sendMessage(from, { clientMessageId: `o${index}-${c.tag}-${i}`, envelopes: [{ recipient: to, type: 'message', content: content.toString('base64') }] });
        if (outcome.ok) {
          stored++;
          ackedSeqs?.push(seq);
        } else {
          errors++;
          firstError ??= outcome.error;
        }
      }
    }),
  );
  return {
    type: 'stored',
    stored,
    errors,
    seconds: (performance.now() - start) / 1000,
    ...(firstError ? { firstError } : {}),
    ...(ackedSeqs ? { ackedSeqs } : {}),
  };
}

/**
 * The device's socket, connected again if it was lost (the gateway went away), as a client
 * does: one attempt at a time per device, RECONNECT_PAUSE_MS after a failed one.
 */
async function reconnected(sim: SimDevice, until: number): Promise<void> {
  while (sim.ws?.readyState !== WebSocket.OPEN && performance.now() < until) {
    sim.reconnecting ??= connect(sim)
      .catch(() => new Promise<void>((r) => setTimeout(r, RECONNECT_PAUSE_MS)))
      .finally(() => {
        sim.reconnecting = undefined;
      });
    await sim.reconnecting;
  }
}

/** Transient answers (503 UNAVAILABLE, 429): a client waits a moment and asks again. */
const DRAIN_RETRIES = 10;
const DRAIN_RETRY_DELAY_MS = 200;

async function drain(c: Extract<WorkerCommand, { type: 'drain' }>): Promise<WorkerReply> {
  let drained = 0;
  let retries = 0;
  /** The answer, and whether it took more than one attempt. */
  const retrying = async <T>(call: () => Promise<T>): Promise<[T, boolean]> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return [await call(), attempt > 0];
      } catch (e) {
        const transient = e instanceof HttpStatusError && (e.status === 503 || e.status === 429);
        if (!transient || attempt >= DRAIN_RETRIES) throw e;
        retries++;
        await new Promise((r) => setTimeout(r, DRAIN_RETRY_DELAY_MS));
      }
    }
  };
  let ackedShort = 0;
  const seen = new Set<string>();
  const seqs = c.collectTag === undefined ? undefined : ([] as number[]);
  let firstError: string | undefined;
  const start = performance.now();
  await Promise.all(
    c.userIds.map(async (userId) => {
      const sim = byUser.get(userId);
      if (!sim) throw new Error(`unknown device ${userId}`);
      try {
        await connect(sim);
        for (;;) {
          const [page] = await retrying(() =>
            http.json<{ messages: { messageId: string; content: string }[]; more: boolean }>(
              'GET',
              `/v1/mailbox?limit=${c.pageSize}`,
              undefined,
              sim.device.token,
            ),
          );
          if (page.messages.length === 0) break;
          const fresh = page.messages.filter((m) => !seen.has(m.messageId));
          for (const m of fresh) {
            seen.add(m.messageId);
            if (seqs) {
              const h = decodePayload(Buffer.from(m.content, 'base64'));
              if (h && h.tag === c.collectTag) seqs.push(h.seq);
            }
          }
          drained += fresh.length;
          const [{ deleted }, retried] = await retrying(() =>
            http.json<{ deleted: number }>('POST', '/v1/mailbox/ack', { messageIds: page.messages.map((m) => m.messageId) }, sim.device.token),
          );
          // A retried ack may have deleted them on its first, timed-out attempt.
          if (!retried) ackedShort += page.messages.length - deleted;
          if (!page.more) break;
        }
      } catch (e) {
        firstError ??= String(e);
      }
    }),
  );
  if (ackedShort > 0) firstError ??= `${ackedShort} acked messages were not deleted`;
  return {
    type: 'drained',
    drained,
    retries,
    seconds: (performance.now() - start) / 1000,
    ...(firstError ? { firstError } : {}),
    ...(seqs ? { seqs } : {}),
  };
}

async function handle(c: WorkerCommand): Promise<WorkerReply | undefined> {
  switch (c.type) {
    case 'init':
      await initProtocol();
      http = new JsonClient(c.baseUrl, 256);
      wsUrl = c.wsUrl;
      index = c.index;
      payloadBytes = c.payloadBytes;
      sendOver = c.sendOver;
      filler = encodePayload(payloadBytes, { tag: 0, seq: 0, sentAt: 0 });
      return { type: 'ready' };
    case 'register': {
      const out: (Address & { identityKey: string })[] = [];
      await forEachLimit(c.devices, 16, async (d) => {
        const device = new BenchDevice(d.userId, d.deviceId, d.preKeys);
        await device.register(http);
        const sim: SimDevice = { device, pendingAcks: [], sessions: new Map(), pendingSends: new Map() };
        devices.set(key(device), sim);
        byUser.set(device.userId, sim);
        out.push({ userId: d.userId, deviceId: d.deviceId, identityKey: bytesToBase64(device.identity.publicKey) });
      });
      return { type: 'registered', devices: out };
    }
    case 'connect': {
      await forEachLimit(c.userIds, 32, async (u) => {
        const sim = byUser.get(u);
        if (!sim) throw new Error(`unknown device ${u}`);
        if (!sim.ws) await connect(sim);
      });
      return { type: 'connected', count: c.userIds.length };
    }
    case 'pair': {
      const sims = c.userIds.map((u) => byUser.get(u)).filter((s): s is SimDevice => s !== undefined);
      let pairs = 0;
      const todo: [SimDevice, SimDevice][] = [];
      for (let i = 0; i + 1 < sims.length; i += 2) {
        const a = sims[i] as SimDevice;
        const b = sims[i + 1] as SimDevice;
        a.partner = b;
        b.partner = a;
        pairs++;
        if (c.real) todo.push([a, b]);
      }
      await forEachLimit(todo, 16, ([a, b]) => handshake(a, b));
      return { type: 'paired', pairs };
    }
    case 'run1to1':
      return { type: 'step', ...(await run1to1(c)) };
    case 'store':
      return store(c);
    case 'drain':
      return drain(c);
    case 'track':
      tracked.set(c.tag, { count: 0, firstAt: 0, lastAt: 0 });
      return { type: 'tracking' };
    case 'trackReport': {
      const t = tracked.get(c.tag) ?? { count: 0, firstAt: 0, lastAt: 0 };
      return { type: 'trackReport', ...t };
    }
    case 'stop':
      for (const sim of devices.values()) sim.ws?.close();
      http.close();
      setTimeout(() => process.exit(0), 200);
      return undefined;
  }
}

process.on('message', (c: WorkerCommand) => {
  handle(c).then(
    (r) => {
      if (r) reply(r);
    },
    (e: unknown) => { reply({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }); },
  );
});
process.on('disconnect', () => process.exit(0));
