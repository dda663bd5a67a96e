/**
 * Decoder fuzzing (fast-check, FUZZ_RUNS inputs each): arbitrary and mutated input to
 * every Sender Keys decoder, and to the full decrypt and process paths, fails only with
 * a typed ProtocolError, never another exception; and a failed decrypt leaves the state
 * as it was.
 */
import fc from 'fast-check';
import { toHex, utf8 } from '../bytes';
import { initProtocol } from '../crypto/sodium';
import { ProtocolError } from '../errors';
import { deterministicRandom } from '../random';
import { FUZZ_RUNS, fuzzInput, withoutStackTraces } from '../../test/fuzz-inputs';
import { decryptSenderKeyMessage, encryptSenderKeyMessage } from './group-cipher';
import { createOwnSenderKey } from './own-sender-key';
import {
  createSenderKeyDistribution,
  decodeSenderKeyDistribution,
  processSenderKeyDistribution,
} from './sender-key-distribution';
import { decodeSenderKeyMessage } from './sender-key-message';
import { deserializeSenderKeyState, serializeSenderKeyState } from './sender-key-record';

beforeAll(initProtocol);

withoutStackTraces();

const GROUP = new Uint8Array(32).fill(3);

/** Runs `f`; true if it returned or threw a ProtocolError. */
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
  const random = deterministicRandom('fuzz');
  const alice = createOwnSenderKey(GROUP, random, 0);
  const skdm = createSenderKeyDistribution(alice);
  const bob = processSenderKeyDistribution(undefined, GROUP, skdm, 0);
  const messages = [
    encryptSenderKeyMessage(alice, new Uint8Array(0)),
    encryptSenderKeyMessage(alice, utf8.encode('a short group message')),
    encryptSenderKeyMessage(alice, new Uint8Array(90).fill(0x41)),
  ];
  decryptSenderKeyMessage(bob, messages[1]!); // leaves a skipped seed for messages[0]
  return { alice, bob, skdm, messages };
}

describe('Sender Keys decoders under fuzzing', () => {
  it('SenderKeyMessage: decode and decrypt throw only typed errors and never change the state on failure', () => {
    const { bob, messages } = fixtures();
    const valid = new Set(messages.map(toHex));
    const before = toHex(serializeSenderKeyState(bob));
    fc.assert(
      fc.property(fuzzInput(messages, 200), (bytes) => {
        // An edit may restore the original (e.g. a byte set to its own value): skip those.
        if (valid.has(toHex(bytes))) return true;
        try {
          decryptSenderKeyMessage(bob, bytes);
        } catch (e) {
          if (e instanceof ProtocolError)
            return onlyTypedErrors(() => decodeSenderKeyMessage(bytes));
          throw e;
        }
        throw new Error('a tampered message decrypted');
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(toHex(serializeSenderKeyState(bob))).toBe(before);
  });

  it('SenderKeyMessage: every single-bit flip is refused with a typed error, changing nothing', () => {
    const { bob, messages } = fixtures();
    const message = messages[2]!;
    const before = toHex(serializeSenderKeyState(bob));
    const accepted: string[] = [];
    for (let bit = 0; bit < message.length * 8; bit++) {
      const bad = message.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      try {
        decryptSenderKeyMessage(bob, bad);
        accepted.push(`bit ${bit}`);
      } catch (e) {
        if (!(e instanceof ProtocolError)) accepted.push(`bit ${bit}: ${String(e)}`);
      }
    }
    expect(accepted).toEqual([]);
    expect(toHex(serializeSenderKeyState(bob))).toBe(before);
    expect(utf8.decode(decryptSenderKeyMessage(bob, message))).toBe('A'.repeat(90));
  });

  it('SenderKeyDistributionMessage: decode and process throw only typed errors', () => {
    const { skdm, bob } = fixtures();
    fc.assert(
      fc.property(fuzzInput([skdm], 120), (bytes) => {
        // Into an existing state too (valid variants may add a chain: that is allowed).
        return (
          onlyTypedErrors(() => decodeSenderKeyDistribution(bytes)) &&
          onlyTypedErrors(() => processSenderKeyDistribution(bob, GROUP, bytes, 0))
        );
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('SenderKeyRecord: deserialize throws only typed errors; what it accepts re-serializes identically', () => {
    const { alice, bob } = fixtures();
    const records = [serializeSenderKeyState(alice), serializeSenderKeyState(bob)];
    fc.assert(
      fc.property(fuzzInput(records, 400), (bytes) => {
        try {
          return toHex(serializeSenderKeyState(deserializeSenderKeyState(bytes))) === toHex(bytes);
        } catch (e) {
          if (e instanceof ProtocolError) return true;
          throw e;
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
