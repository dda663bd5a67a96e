/**
 * Property tests (fast-check): random interleavings of sends, rotations, drops,
 * duplicates, reorders and restarts from the stored record; and single-byte tampering.
 */
import fc from 'fast-check';
import { toHex, utf8 } from '../bytes';
import { initProtocol } from '../crypto/sodium';
import { DuplicateMessageError, ProtocolError } from '../errors';
import { deterministicRandom } from '../random';
import { decryptSenderKeyMessage, encryptSenderKeyMessage } from './group-cipher';
import { createOwnSenderKey, rotateOwnSenderKey } from './own-sender-key';
import {
  createSenderKeyDistribution,
  processSenderKeyDistribution,
} from './sender-key-distribution';
import { deserializeSenderKeyState, serializeSenderKeyState } from './sender-key-record';
import type { SenderKeyState } from './sender-key-state';

beforeAll(initProtocol);

const GROUP = new Uint8Array(32).fill(1);
const record = (s: SenderKeyState) => toHex(serializeSenderKeyState(s));

type Command =
  { kind: 'send' } | { kind: 'deliver'; pick: number } | { kind: 'rotate' } | { kind: 'restart' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'send' as const }) },
  { weight: 8, arbitrary: fc.nat().map((pick) => ({ kind: 'deliver' as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rotate' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

describe('Sender Keys properties', () => {
  it('every delivered message decrypts exactly once to its plaintext, whatever the order, drops and duplicates', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 120 }), fc.string(), (commands, seed) => {
        const random = deterministicRandom(`prop-${seed}`);
        const alice = createOwnSenderKey(GROUP, random, 0);
        let bob = processSenderKeyDistribution(
          undefined,
          GROUP,
          createSenderKeyDistribution(alice),
          0,
        );
        const sent: Array<{ bytes: Uint8Array; text: string }> = [];
        const delivered = new Set<number>();
        let rotations = 0;
        for (const c of commands) {
          if (c.kind === 'send') {
            const text = `message ${sent.length}`;
            sent.push({ bytes: encryptSenderKeyMessage(alice, utf8.encode(text)), text });
          } else if (c.kind === 'rotate' && rotations < 3) {
            // At most 3 rotations: every chain stays within MAX_SENDER_KEY_CHAINS.
            rotations++;
            rotateOwnSenderKey(alice, random, rotations);
            processSenderKeyDistribution(bob, GROUP, createSenderKeyDistribution(alice), rotations);
          } else if (c.kind === 'restart') {
            bob = deserializeSenderKeyState(serializeSenderKeyState(bob));
          } else if (c.kind === 'deliver' && sent.length > 0) {
            const i = c.pick % sent.length;
            if (delivered.has(i)) {
              const before = record(bob);
              expect(() => decryptSenderKeyMessage(bob, sent[i]!.bytes)).toThrow(
                DuplicateMessageError,
              );
              expect(record(bob)).toBe(before);
            } else {
              expect(utf8.decode(decryptSenderKeyMessage(bob, sent[i]!.bytes))).toBe(sent[i]!.text);
              delivered.add(i);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('any single-byte change of a message fails with a typed error and leaves the receiver unchanged', () => {
    const random = deterministicRandom('tamper');
    const alice = createOwnSenderKey(GROUP, random, 0);
    const bob = processSenderKeyDistribution(
      undefined,
      GROUP,
      createSenderKeyDistribution(alice),
      0,
    );
    const messages = Array.from({ length: 4 }, (_, i) =>
      encryptSenderKeyMessage(alice, utf8.encode(`tamper ${i}`)),
    );
    // Deliver one so the receiver holds a skipped seed and an advanced chain.
    decryptSenderKeyMessage(bob, messages[2]!);
    const before = record(bob);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: messages.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (m, pos, xor) => {
          if (m === 2) return;
          const bytes = messages[m]!.slice();
          bytes[pos % bytes.length]! ^= xor;
          let thrown: unknown;
          try {
            decryptSenderKeyMessage(bob, bytes);
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(ProtocolError);
          expect(record(bob)).toBe(before);
        },
      ),
      { numRuns: 3000 },
    );
    // The untouched messages still decrypt: tampering consumed nothing.
    for (const i of [0, 1, 3])
      expect(utf8.decode(decryptSenderKeyMessage(bob, messages[i]!))).toBe(`tamper ${i}`);
  });

  it('every byte position of a message is covered: flipping each one is refused', () => {
    const random = deterministicRandom('every-byte');
    const alice = createOwnSenderKey(GROUP, random, 0);
    const bob = processSenderKeyDistribution(
      undefined,
      GROUP,
      createSenderKeyDistribution(alice),
      0,
    );
    const message = encryptSenderKeyMessage(alice, utf8.encode('each byte matters'));
    const before = record(bob);
    for (let pos = 0; pos < message.length; pos++) {
      for (const xor of [0x01, 0x80, 0xff]) {
        const bytes = message.slice();
        bytes[pos]! ^= xor;
        let thrown: unknown;
        try {
          decryptSenderKeyMessage(bob, bytes);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(ProtocolError);
      }
    }
    expect(record(bob)).toBe(before);
    expect(utf8.decode(decryptSenderKeyMessage(bob, message))).toBe('each byte matters');
  });
});
