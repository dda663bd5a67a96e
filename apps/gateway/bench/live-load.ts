/** Load side of live-delivery.bench.ts (a child process): see there. */
import { createSubjects } from '@parley/contracts';
import { connect } from 'nats';
import WebSocket from 'ws';

interface Job {
  url: string;
  natsUrl: string;
  namespace: string;
  devices: { userId: string; deviceId: number; token: string }[];
  seconds: number;
  inflight: number;
  bytes: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

async function run(job: Job): Promise<Record<string, number>> {
  const subjects = createSubjects(job.namespace);
  const nc = await connect({ servers: job.natsUrl });
  const sentAt = new Map<string, number>();
  const frameLatencies: number[] = [];
  let frames = 0;
  await Promise.all(
    job.devices.map(
      (d) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(`${job.url.replace(/^http/, 'ws')}/v1/ws?token=${d.token}`);
          ws.on('message', (data) => {
            const text = (data as Buffer).toString('utf8');
            if (text.startsWith('{"type":"ready"')) {
              resolve();
              return;
            }
            // messageId is the first field of the message: no full parse needed here.
            const at = text.indexOf('"messageId":"') + 13;
            const id = text.slice(at, text.indexOf('"', at));
            const t0 = sentAt.get(id);
            if (t0 !== undefined) {
              frameLatencies.push(performance.now() - t0);
              sentAt.delete(id);
              frames++;
            }
          });
          ws.on('error', reject);
        }),
    ),
  );
  const content = Buffer.alloc(job.bytes, 7).toString('base64');
  const targets = job.devices.map((d) => ({
    ...d,
    live: subjects.live.device(d.userId, d.deviceId),
    plain: createSubjects().live.device(d.userId, d.deviceId),
  }));
  const encoder = new TextEncoder();
  let seq = 0;
  let delivered = 0;
  let failed = 0;
  const replyLatencies: number[] = [];
  const started = performance.now();
  const deadline = started + job.seconds * 1000;
  const sender = { userId: 'bench-sender', deviceId: 1 };

  // One reply subscription for every request (nc.request's per-call promise and timer
  // would make the load generator the bottleneck).
  const inbox = `_INBOX.bench${process.pid}`;
  const replyStarted = new Map<number, number>();
  let inFlight = 0;
  let wake: (() => void) | undefined;
  nc.subscribe(`${inbox}.*`, {
    callback: (_err, msg) => {
      const n = Number(msg.subject.slice(inbox.length + 1));
      const t0 = replyStarted.get(n);
      replyStarted.delete(n);
      if (t0 !== undefined) replyLatencies.push(performance.now() - t0);
      if (msg.data.length < 60 && msg.string().includes('"delivered":true')) delivered++;
      else failed++;
      inFlight--;
      wake?.();
    },
  });
  await nc.flush();
  while (performance.now() < deadline) {
    while (inFlight < job.inflight) {
      const n = ++seq;
      const d = targets[n % targets.length];
      if (!d) break;
      const messageId = `m${n}`;
      // The packet exactly as message-delivery's RPC client writes it.
      const packet = `{"pattern":"${d.plain}","data":{"recipient":{"userId":"${d.userId}","deviceId":${d.deviceId}},"message":{"messageId":"${messageId}","sender":{"userId":"${sender.userId}","deviceId":1},"type":"message","clientMessageId":"c${n}","content":"${content}","storedAt":${Date.now()}}},"id":"r${n}"}`;
      const t0 = performance.now();
      sentAt.set(messageId, t0);
      replyStarted.set(n, t0);
      nc.publish(d.live, encoder.encode(packet), { reply: `${inbox}.${n}` });
      inFlight++;
    }
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 50);
    });
  }
  while (inFlight > 0 && performance.now() < deadline + 5000) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const wall = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 200));
  const f = Float64Array.from(frameLatencies).sort();
  const r = Float64Array.from(replyLatencies).sort();
  await nc.close();
  return {
    seconds: Number(wall.toFixed(2)),
    wallS: wall,
    deliveredPerS: Math.round(delivered / wall),
    framesPerS: Math.round(frames / wall),
    failed,
    frameP50Ms: Number(percentile(f, 50).toFixed(2)),
    frameP99Ms: Number(percentile(f, 99).toFixed(2)),
    replyP50Ms: Number(percentile(r, 50).toFixed(2)),
    replyP99Ms: Number(percentile(r, 99).toFixed(2)),
  };
}

process.once('message', (job: Job) => {
  run(job)
    .then((result) => {
      process.send?.({ type: 'result', result });
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
});
