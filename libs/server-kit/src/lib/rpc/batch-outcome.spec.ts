import { ConflictError } from '@parley/contracts';
import pino from 'pino';
import { batchOutcome } from './batch-outcome';

describe('batchOutcome', () => {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });

  it('passes the value through', async () => {
    expect(await batchOutcome(() => Promise.resolve({ deleted: 2 }), logger, 's')).toEqual({
      ok: { deleted: 2 },
    });
  });

  it('serializes a ParleyError as its own RPC would', async () => {
    const outcome = await batchOutcome(
      () => Promise.reject(new ConflictError('mailbox-full', 'full')),
      logger,
      's',
    );
    expect(outcome).toEqual({
      err: expect.objectContaining({ code: 'CONFLICT', message: 'full' }),
    });
  });

  it('maps an unreachable database to UNAVAILABLE', async () => {
    const down = Object.assign(new Error("Can't reach database server"), { code: 'P1001' });
    const outcome = await batchOutcome(() => Promise.reject(down), logger, 's');
    expect(outcome).toEqual({ err: expect.objectContaining({ code: 'UNAVAILABLE' }) });
  });

  it('answers an unexpected error with a bare INTERNAL and keeps its text in the log only', async () => {
    lines.length = 0;
    const outcome = await batchOutcome(
      () => Promise.reject(new TypeError('secret detail')),
      logger,
      's',
    );
    expect(outcome).toEqual({ err: expect.objectContaining({ code: 'INTERNAL' }) });
    expect(JSON.stringify(outcome)).not.toContain('secret detail');
    expect(lines.join('')).toContain('TypeError');
  });
});
