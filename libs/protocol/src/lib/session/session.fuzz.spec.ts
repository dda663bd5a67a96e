/**
 * Decoder fuzzing: FUZZ_RUNS arbitrary and mutated inputs to every 1:1 wire and storage
 * decoder give only typed ProtocolErrors; the full decrypt path is fuzzed with fewer
 * runs (each may cost X3DH's four Diffie-Hellmans) and must leave the record unchanged.
 */
import fc from 'fast-check';
import { toHex } from '../bytes';
import { initProtocol } from '../crypto/sodium';
import { ProtocolError } from '../errors';
import { decodePreKeyBundle, encodePreKeyBundle } from '../identity/prekey-bundle';
import { decodeRatchetMessage } from '../ratchet/ratchet-message';
import { deterministicRandom } from '../random';
import { FUZZ_RUNS, fuzzInput, withoutStackTraces } from '../../test/fuzz-inputs';
import { makeDevice, Pair } from '../../test/fixtures';
import { decodePreKeyMessage } from './prekey-message';
import { SessionRecord } from './session-record';

beforeAll(initProtocol);
withoutStackTraces();

function onlyTypedErrors(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof ProtocolError) return true;
    throw e;
  }
}

function fixtures() {
  const random = deterministicRandom('session-fuzz');
  const p = new Pair(makeDevice('alice', random), makeDevice('bob', random), random);
  const prekey = p.send('alice', 'hello');
  p.receive('bob', prekey);
  p.receive('alice', p.send('bob', 'hi'));
  const ratchet = p.send('alice', 'a ratchet message');
  return { p, prekey, ratchet, random };
}

describe('1:1 decoders under fuzzing', () => {
  let f: ReturnType<typeof fixtures>;
  beforeAll(() => {
    f = fixtures();
  });

  it('RatchetMessage', () => {
    fc.assert(fc.property(fuzzInput([f.ratchet.body]), (b) => onlyTypedErrors(() => decodeRatchetMessage(b))), {
      numRuns: FUZZ_RUNS,
    });
  });

  it('PreKeyMessage', () => {
    fc.assert(fc.property(fuzzInput([f.prekey.body]), (b) => onlyTypedErrors(() => decodePreKeyMessage(b))), {
      numRuns: FUZZ_RUNS,
    });
  });

  it('PreKeyBundle', () => {
    const seed = encodePreKeyBundle(f.p.bob.bundle());
    fc.assert(fc.property(fuzzInput([seed]), (b) => onlyTypedErrors(() => decodePreKeyBundle(b))), {
      numRuns: FUZZ_RUNS,
    });
  });

  it('SessionRecord', () => {
    const seed = f.p.aliceRecord.serialize();
    fc.assert(fc.property(fuzzInput([seed], 4096), (b) => onlyTypedErrors(() => SessionRecord.deserialize(b))), {
      numRuns: FUZZ_RUNS,
    });
  });

  it('full decrypt path: typed errors only, record unchanged on failure', () => {
    const before = toHex(f.p.bobRecord.serialize());
    fc.assert(
      fc.property(fuzzInput([f.ratchet.body, f.prekey.body]), fc.constantFrom('message' as const, 'prekey' as const), (body, type) => {
        const copy = SessionRecord.deserialize(f.p.bobRecord.serialize());
        try {
          copy.decrypt({ type, body }, f.p.bob.identity, f.p.bob.preKeys, f.random);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          expect(toHex(copy.serialize())).toBe(before);
        }
      }),
      { numRuns: 10_000 },
    );
  });
});
