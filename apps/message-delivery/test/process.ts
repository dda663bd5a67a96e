/**
 * message-delivery as its own process, started like the `serve` target starts it (tsx on
 * src/main.ts): for the kill -9 tests and for stress runs that must not share the event loop
 * with the load generator.
 */
import { Rpc } from '@parley/contracts';
import { request } from '@parley/server-kit';
import type { ServiceProcess } from '@parley/testing';
import { spawnServiceProcess } from '@parley/testing';
import type { NatsConnection } from 'nats';

export type DeliveryProcess = ServiceProcess;

/** message-delivery (logging at warn unless `env` says otherwise). */
export function spawnDelivery(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): DeliveryProcess {
  return spawnServiceProcess('message-delivery', { PARLEY_LOG_LEVEL: 'warn', ...env }, nodeArgs);
}

/** Waits until an instance answers in `namespace` (tsx start-up takes a few seconds). */
export async function waitUntilServing(
  nc: NatsConnection,
  namespace: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await request(
        nc,
        Rpc.delivery.fetchMailbox,
        { device: { userId: 'probe', deviceId: 1 }, limit: 1 },
        { namespace, timeoutMs: 1000 },
      );
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
