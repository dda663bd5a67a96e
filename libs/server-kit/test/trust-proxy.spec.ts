/** PARLEY_TRUST_PROXY: parsing, and client addresses from X-Forwarded-For behind one proxy. */
import { Controller, Get, Module, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { bootstrapService } from '../src/lib/bootstrap/bootstrap-service';
import { BaseServiceEnvSchema, ConfigError, loadConfig } from '../src/lib/config/service-config';
import { createLogger } from '../src/lib/logging/logger';
import { demoConfig, LogCapture, uniqueNamespace } from './helpers';

@Controller('whoami')
class WhoAmIController {
  @Get()
  whoami(@Req() req: FastifyRequest): { ip: string } {
    return { ip: req.ip };
  }
}

@Module({ controllers: [WhoAmIController] })
class WhoAmIModule {}

describe('PARLEY_TRUST_PROXY', () => {
  it('takes a hop count or addresses, and names itself when bad', () => {
    expect(loadConfig(BaseServiceEnvSchema, { PARLEY_TRUST_PROXY: '1' }).PARLEY_TRUST_PROXY).toBe(
      1,
    );
    expect(
      loadConfig(BaseServiceEnvSchema, { PARLEY_TRUST_PROXY: '10.0.0.0/8, 172.16.0.0/12' })
        .PARLEY_TRUST_PROXY,
    ).toBe('10.0.0.0/8, 172.16.0.0/12');
    expect(loadConfig(BaseServiceEnvSchema, {}).PARLEY_TRUST_PROXY).toBeUndefined();
    expect(() => loadConfig(BaseServiceEnvSchema, { PARLEY_TRUST_PROXY: 'yes please' })).toThrow(
      ConfigError,
    );
  });

  it.each([
    [undefined, '127.0.0.1'],
    ['1', '203.0.113.9'],
  ])('with %s, the client address is %s', async (trust, expected) => {
    const service = await bootstrapService({
      service: 'demo',
      module: WhoAmIModule,
      config: demoConfig(uniqueNamespace('proxy'), {
        PARLEY_HTTP_PORT: '0',
        ...(trust ? { PARLEY_TRUST_PROXY: trust } : {}),
      }),
      http: true,
      logger: createLogger({ service: 'demo', instanceId: 'p', destination: new LogCapture() }),
      shutdownHooks: false,
    });
    try {
      const res = await fetch(`${service.httpUrl ?? ''}/whoami`, {
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      expect(await res.json()).toEqual({ ip: expected });
    } finally {
      await service.close();
    }
  });
});
