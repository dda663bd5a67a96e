/**
 * Properties of 1:1 sessions under a hostile network (fast-check): random interleavings
 * of sends in both directions, drops, duplicates and reorders; and single-byte changes
 * of any message.
 */
import fc from 'fast-check';
import { toHex } from '../bytes';
import { initProtocol } from '../crypto/sodium';
import { DuplicateMessageError, ProtocolError } from '../errors';
import { deterministicRandom } from '../random';
import { makeDevice, Pair } from '../../test/fixtures';
import type { CiphertextMessage } from './session-state';

beforeAll(initProtocol);

type Side = 'alice' | 'bob';
const other = (s: Side): Side => (s === 'alice' ? 'bob' : 'alice');

interface InFlight {
  readonly to: Side;
  readonly text: string;
  readonly message: CiphertextMessage;
  delivered: boolean;
}

type Op =
  | { kind: 'send'; from: Side }
  | { kind: 'deliver'; pick: number; keepCopy: boolean }
  | { kind: 'drop'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('send' as const), from: fc.constantFrom<Side>('alice', 'bob') }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(), keepCopy: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }) },
);

describe('session properties', () => {
  it('every delivered message decrypts exactly once, to its plaintext, whatever the network does', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), (ops) => {
        const random = deterministicRandom(`prop-${run++}`);
        const p = new Pair(makeDevice('alice', random), makeDevice('bob', random), random);
        const network: InFlight[] = [];
        const received = { alice: 0, bob: 0 };
        let counter = 0;
        for (const o of ops) {
          if (o.kind === 'send') {
            // The responder has no sending chain until it has received once.
            if (o.from === 'bob' && received.bob === 0) continue;
            const text = `${o.from}-${counter++}`;
            network.push({ to: other(o.from), text, message: p.send(o.from, text), delivered: false });
          } else if (network.length > 0) {
            const i = o.pick % network.length;
            const m = network[i]!;
            if (o.kind === 'drop') {
              network.splice(i, 1);
              continue;
            }
            if (!o.keepCopy) network.splice(i, 1);
            if (m.delivered) {
              expect(() => p.receive(m.to, m.message)).toThrow(DuplicateMessageError);
            } else {
              expect(p.receive(m.to, m.message)).toBe(m.text);
              m.delivered = true;
              received[m.to] += 1;
            }
          }
        }
        // Whatever is still in flight and undelivered decrypts too.
        for (const m of network.filter((x) => !x.delivered)) {
          expect(p.receive(m.to, m.message)).toBe(m.text);
          m.delivered = true;
        }
      }),
      { numRuns: 120 },
    );
  });

  it('any single-byte change fails with a typed error and leaves the receiver unchanged', () => {
    const random = deterministicRandom('byte-change');
    const p = new Pair(makeDevice('alice', random), makeDevice('bob', random), random);
    const first = p.send('alice', 'prekey message');
    p.receive('bob', first);
    p.receive('alice', p.send('bob', 'reply'));
    const messages = { prekey: p.send('alice', 'x'), ratchet: p.send('alice', 'y') };
    // A second conversation still in its PreKeyMessage phase, for changes to those.
    const q = new Pair(makeDevice('alice2', random), makeDevice('bob2', random), random);
    const prekey = q.send('alice', 'first contact');
    fc.assert(
      fc.property(
        fc.constantFrom('ratchet', 'prekey'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (which, at, xor) => {
          const [pair, m] = which === 'ratchet' ? [p, messages.ratchet] : [q, prekey];
          const bad = m.body.slice();
          bad[at % bad.length]! ^= xor;
          const before = toHex(pair.bobRecord.serialize());
          let threw: unknown;
          try {
            pair.receive('bob', { type: m.type, body: bad });
          } catch (e) {
            threw = e;
          }
          expect(threw).toBeInstanceOf(ProtocolError);
          expect(toHex(pair.bobRecord.serialize())).toBe(before);
        },
      ),
      { numRuns: 1500 },
    );
    expect(p.receive('bob', messages.prekey)).toBe('x');
    expect(p.receive('bob', messages.ratchet)).toBe('y');
    expect(q.receive('bob', prekey)).toBe('first contact');
  });
});
