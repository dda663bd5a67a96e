import { z } from 'zod';
import { ERROR_CODES, httpStatusOf } from './error-codes';
import {
  isSerializedParleyError,
  MAX_VALIDATION_ISSUES,
  parleyErrorFromJSON,
  serializeError,
  validationErrorFromZod,
} from './error-wire';
import type { ParleyError } from './parley-error';
import {
  ConflictError,
  EpochConflictError,
  ForbiddenError,
  hasErrorCode,
  InternalError,
  InvalidSignatureError,
  MismatchedDevicesError,
  MissingDevicesError,
  NotAMemberError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  StaleDevicesError,
  UnauthenticatedError,
  UnavailableError,
  ValidationFailedError,
} from './parley-error';

const one = [{ userId: 'bob', deviceId: 2 }];

const samples: ParleyError[] = [
  new ValidationFailedError([
    { path: 'envelopes.0.content', message: 'expected canonical padded base64' },
  ]),
  new NotFoundError('device'),
  new ConflictError('device-exists'),
  new ForbiddenError(),
  new UnauthenticatedError('bad device signature'),
  new RateLimitedError(1500),
  new PayloadTooLargeError(1024),
  new UnavailableError('no-responders'),
  new InternalError(),
  new InvalidSignatureError('signed prekey'),
  new StaleDevicesError(one),
  new MissingDevicesError(one, [{ userId: 'carol', deviceId: 9 }]),
  new EpochConflictError(7),
  new NotAMemberError('team-1'),
  new MismatchedDevicesError(one, [{ userId: 'carol', deviceId: 9 }]),
];

/** What crossing NATS does to a value: JSON out, JSON in. */
const overTheWire = (e: ParleyError) => parleyErrorFromJSON(JSON.parse(JSON.stringify(e.toJSON())));

describe('ParleyError', () => {
  it('has a sample of every code', () => {
    expect(new Set(samples.map((e) => e.code))).toEqual(new Set(ERROR_CODES));
  });

  it.each(samples.map((e) => [e.code, e] as const))(
    '%s round-trips with class, message and details',
    (_code, error) => {
      const back = overTheWire(error);
      expect(back).toBeInstanceOf(error.constructor);
      expect(back.code).toBe(error.code);
      expect(back.message).toBe(error.message);
      expect(back.details).toEqual(error.details);
      expect(back.name).toBe(error.constructor.name);
    },
  );

  it('keeps typed fields after the trip', () => {
    const back = overTheWire(new MissingDevicesError(one, [{ userId: 'carol', deviceId: 9 }]));
    expect(back).toBeInstanceOf(MissingDevicesError);
    if (!(back instanceof MissingDevicesError)) throw new Error('wrong class');
    expect(back.missing).toEqual(one);
    expect(back.extra).toEqual([{ userId: 'carol', deviceId: 9 }]);
    const limited = overTheWire(new RateLimitedError(250));
    if (!(limited instanceof RateLimitedError)) throw new Error('wrong class');
    expect(limited.retryAfterMs).toBe(250);
    expect(hasErrorCode(back, 'MISSING_DEVICES')).toBe(true);
    expect(hasErrorCode(back, 'NOT_FOUND')).toBe(false);
  });

  it('MISMATCHED_DEVICES keeps its missing and stale lists after the trip', () => {
    const stale = [{ userId: 'carol', deviceId: 9 }];
    const back = overTheWire(new MismatchedDevicesError(one, stale));
    if (!(back instanceof MismatchedDevicesError)) throw new Error('wrong class');
    expect(back.missing).toEqual(one);
    expect(back.stale).toEqual(stale);
    expect(back.details).toEqual({ missing: one, stale });
    expect(httpStatusOf(back.code)).toBe(409);
  });

  it('maps codes to HTTP statuses', () => {
    expect(ERROR_CODES.map((c) => [c, httpStatusOf(c)])).toEqual([
      ['VALIDATION_FAILED', 400],
      ['NOT_FOUND', 404],
      ['CONFLICT', 409],
      ['FORBIDDEN', 403],
      ['UNAUTHENTICATED', 401],
      ['RATE_LIMITED', 429],
      ['PAYLOAD_TOO_LARGE', 413],
      ['UNAVAILABLE', 503],
      ['INTERNAL', 500],
      ['INVALID_SIGNATURE', 400],
      ['STALE_DEVICES', 410],
      ['MISSING_DEVICES', 409],
      ['EPOCH_CONFLICT', 409],
      ['NOT_A_MEMBER', 403],
      ['MISMATCHED_DEVICES', 409],
    ]);
  });

  it('serializes an unknown error as INTERNAL without its message', () => {
    const s = serializeError(new Error('password=hunter2 at db.example'));
    expect(s).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(serializeError('boom')).toEqual({ code: 'INTERNAL', message: 'internal error' });
  });

  it.each([
    ['null', null],
    ['a string', 'There is no matching message handler defined in the remote service.'],
    ['an unknown code', { code: 'TEAPOT', message: 'x' }],
    ['a missing message', { code: 'NOT_FOUND', details: { resource: 'x' } }],
    ['an oversized message', { code: 'FORBIDDEN', message: 'x'.repeat(5000) }],
  ])('turns %s into INTERNAL', (_what, value) => {
    const e = parleyErrorFromJSON(value);
    expect(e).toBeInstanceOf(InternalError);
    expect(isSerializedParleyError(value)).toBe(false);
  });

  it('turns well-formed codes with bad details into INTERNAL', () => {
    const e = parleyErrorFromJSON({
      code: 'STALE_DEVICES',
      message: 'x',
      details: { stale: [{ userId: 'a.b', deviceId: 0 }] },
    });
    expect(e).toBeInstanceOf(InternalError);
    expect(e.message).toMatch(/STALE_DEVICES/);
  });

  it('turns a zod error into VALIDATION_FAILED with paths, without input values', () => {
    const schema = z.object({ a: z.object({ b: z.number() }), c: z.string().max(3) });
    const result = schema.safeParse({ a: { b: 'secret-value' }, c: 'another-secret' });
    if (result.success) throw new Error('expected failure');
    const e = validationErrorFromZod(result.error, 'request');
    expect(e.issues.map((i) => i.path)).toEqual(['a.b', 'c']);
    expect(e.message).toMatch(/^invalid request: a\.b: /);
    expect(JSON.stringify(e.toJSON())).not.toMatch(/secret/);
    expect(overTheWire(e)).toBeInstanceOf(ValidationFailedError);
  });

  it('bounds the number of issues', () => {
    const result = z.array(z.number()).safeParse(new Array(100).fill('x'));
    if (result.success) throw new Error('expected failure');
    expect(validationErrorFromZod(result.error).issues).toHaveLength(MAX_VALIDATION_ISSUES);
  });
});
