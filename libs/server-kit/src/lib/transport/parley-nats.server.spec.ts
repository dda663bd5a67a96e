import type { MessageHandler } from '@nestjs/microservices';
import pino from 'pino';
import { ParleyNatsServer } from './parley-nats.server';

function server(): ParleyNatsServer {
  return new ParleyNatsServer({
    queue: 'q',
    logger: pino({ level: 'silent' }),
    shutdownTimeoutMs: 100,
  });
}

const handler = (): MessageHandler =>
  Object.assign(() => Promise.resolve('ok'), { isEventHandler: false });

describe('ParleyNatsServer handler lookup', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('finds a subject pattern without trying it as JSON', () => {
    const s = server();
    const h = handler();
    s.addHandler('parley.delivery.batch', h);
    const parse = jest.spyOn(JSON, 'parse');
    expect(s.getHandlerByPattern('parley.delivery.batch')).toBe(h);
    expect(parse).not.toHaveBeenCalled();
  });

  it('still resolves object patterns and answers null for an unknown subject', () => {
    const s = server();
    const h = handler();
    s.addHandler({ cmd: 'sum', v: 1 }, h);
    expect(s.getHandlerByPattern(JSON.stringify({ v: 1, cmd: 'sum' }))).toBe(h);
    expect(s.getHandlerByPattern('parley.nothing.here')).toBeNull();
  });
});
