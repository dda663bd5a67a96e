import { isDatabaseUnreachable } from './database-errors';

describe('isDatabaseUnreachable', () => {
  it('recognises Prisma connection codes and driver adapter kinds', () => {
    expect(isDatabaseUnreachable({ code: 'P1001' })).toBe(true);
    expect(isDatabaseUnreachable({ code: 'P2024' })).toBe(true);
    expect(
      isDatabaseUnreachable({
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } },
      }),
    ).toBe(true);
  });

  it('leaves everything else alone (it stays INTERNAL)', () => {
    expect(isDatabaseUnreachable({ code: 'P2002' })).toBe(false);
    expect(
      isDatabaseUnreachable({
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'UniqueConstraintViolation' } } },
      }),
    ).toBe(false);
    expect(isDatabaseUnreachable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnreachable(undefined)).toBe(false);
  });
});
