/** Hybrid HTTP + NATS bootstrap, and serveRpc on a per-device live-delivery subject. */
import { Controller, Get, Module } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import { liveDeliveryRpc, UnavailableError, ValidationFailedError } from '@parley/contracts';
import { bootstrapService } from '../src/lib/bootstrap/bootstrap-service';
import { createLogger } from '../src/lib/logging/logger';
import { request } from '../src/lib/rpc/rpc-request';
import { serveRpc } from '../src/lib/rpc/serve-rpc';
import { DemoRpc } from './demo/demo.contracts';
import { DemoModule } from './demo/demo.module';
import { bytes, demoConfig, LogCapture, NATS_URL, uniqueNamespace } from './helpers';

@Controller('health')
class HealthController {
  @Get()
  health(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ imports: [DemoModule], controllers: [HealthController] })
class HybridModule {}

describe('hybrid HTTP + NATS', () => {
  it('serves HTTP and NATS from one app', async () => {
    const namespace = uniqueNamespace('hybrid');
    const service = await bootstrapService({
      service: 'demo',
      module: HybridModule,
      config: demoConfig(namespace, { PARLEY_HTTP_PORT: '0' }),
      http: true,
      logger: createLogger({ service: 'demo', instanceId: 'h', destination: new LogCapture() }),
      shutdownHooks: false,
    });
    const nc = await connect({ servers: NATS_URL });
    try {
      expect(service.httpUrl).toMatch(/^http:\/\//);
      const res = await fetch(`${service.httpUrl ?? ''}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
      const reply = await request(
        nc,
        DemoRpc.echo,
        { text: 'hi', bytes: bytes(1, 2) },
        { namespace },
      );
      expect(reply.bytes).toEqual(bytes(2, 1));
      // Typed errors of NATS handlers keep their code in hybrid mode too.
      await expect(
        request(nc, DemoRpc.fail, { kind: 'not-found' }, { namespace }),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      // And HTTP errors stay HTTP errors, not RPC-filtered 500s.
      expect((await fetch(`${service.httpUrl ?? ''}/no-such-route`)).status).toBe(404);
    } finally {
      await service.close();
      await nc.close();
    }
  });
});

describe('serveRpc on a live-delivery subject', () => {
  const namespace = uniqueNamespace('live');
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await nc.close();
  });

  it('the holding gateway answers; an offline device is UNAVAILABLE (no responders)', async () => {
    const logger = createLogger({
      service: 'gateway',
      instanceId: 'g1',
      destination: new LogCapture(),
    });
    const received: string[] = [];
    const sub = serveRpc(
      nc,
      liveDeliveryRpc('bob', 2),
      (req) => {
        received.push(req.message.messageId);
        return Promise.resolve({ delivered: true });
      },
      { namespace, logger },
    );
    const message = {
      messageId: 'm-1',
      sender: { userId: 'alice', deviceId: 1 },
      type: 'message' as const,
      clientMessageId: 'c-1',
      content: bytes(1, 2, 3),
      storedAt: Date.now(),
    };
    try {
      const ok = await request(
        nc,
        liveDeliveryRpc('bob', 2),
        { recipient: { userId: 'bob', deviceId: 2 }, message },
        { namespace, timeoutMs: 1000 },
      );
      expect(ok).toEqual({ delivered: true });
      expect(received).toEqual(['m-1']);
      await expect(
        request(
          nc,
          liveDeliveryRpc('bob', 3),
          { recipient: { userId: 'bob', deviceId: 3 }, message },
          { namespace, timeoutMs: 1000 },
        ),
      ).rejects.toBeInstanceOf(UnavailableError);
      // A malformed delivery is refused with VALIDATION_FAILED.
      const raw = await nc.request(
        `${namespace}.parley.live.bob.2`,
        new TextEncoder().encode(
          JSON.stringify({ id: 'x', pattern: 'p', data: { recipient: {} } }),
        ),
        { timeout: 1000 },
      );
      const { decodeReply } = await import('../src/lib/rpc/rpc-request');
      expect(() => decodeReply(liveDeliveryRpc('bob', 2), raw.data)).toThrow(ValidationFailedError);
    } finally {
      sub.unsubscribe();
    }
  });
});
