/**
 * The gateway's live-delivery path alone: LiveDelivery requests (as message-delivery sends
 * them) on the devices' live subjects -> `message` frames on their WebSockets -> replies.
 * The gateway (with the prekey directory, for registration) runs in this process; the load
 * (NATS requester + WebSocket clients) runs in a child process, so each has a core.
 *
 *   npx tsx --tsconfig apps/gateway/bench/tsconfig.json apps/gateway/bench/live-delivery.bench.ts \
 *     [--devices 200] [--seconds 10] [--inflight 256] [--bytes 256]
 */
import { fork } from 'node:child_process';
import { testNatsUrl } from '@parley/testing';
import { TestDevice } from '../test/support/device';
import { startStack } from '../test/support/harness';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const devices = arg('devices', 200);
  const seconds = arg('seconds', 10);
  const inflight = arg('inflight', 256);
  const bytes = arg('bytes', 256);
  const stack = await startStack('bench-live', { GATEWAY_RATE_LIMIT: '10000000' });
  try {
    const registered: { userId: string; deviceId: number; token: string }[] = [];
    for (let i = 0; i < devices; i += 20) {
      const batch = Array.from(
        { length: Math.min(20, devices - i) },
        (_, j) => new TestDevice(`bench-${process.pid}-${i + j}`, 1),
      );
      await Promise.all(batch.map((d) => d.register(stack.url)));
      for (const d of batch)
        registered.push({ userId: d.userId, deviceId: 1, token: d.token ?? '' });
    }
    const cpuBefore = process.cpuUsage();
    const child = fork(`${__dirname}/live-load.ts`, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, TSX_TSCONFIG_PATH: `${__dirname}/tsconfig.json` },
    });
    const result = await new Promise<Record<string, number>>((resolve, reject) => {
      child.on(
        'message',
        (m: { type: string; result?: Record<string, number>; phase?: string }) => {
          if (m.type === 'result' && m.result) resolve(m.result);
        },
      );
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`load exited ${code}`));
      });
      child.send({
        url: stack.url,
        natsUrl: testNatsUrl(),
        namespace: stack.namespace,
        devices: registered,
        seconds,
        inflight,
        bytes,
      });
    });
    const cpu = process.cpuUsage(cpuBefore);
    console.log(
      JSON.stringify({
        devices,
        inflight,
        bytes,
        ...result,
        // Gateway + directory process CPU over the whole run (connects included), in cores.
        gatewayCpuCores: Number(
          ((cpu.user + cpu.system) / 1e6 / (result['wallS'] ?? NaN)).toFixed(2),
        ),
      }),
    );
    child.kill();
  } finally {
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
