import { toHex, utf8 } from '../bytes';
import { initProtocol } from '../crypto/sodium';
import {
  DecodeError,
  DuplicateMessageError,
  InvalidArgumentError,
  InvalidSignatureError,
  InvalidStateError,
  TooManySkippedError,
  UnknownSenderKeyError,
} from '../errors';
import { deterministicRandom } from '../random';
import {
  MAX_SENDER_KEY_CHAINS,
  MAX_SENDER_KEY_ITERATION,
  MAX_SENDER_KEY_PLAINTEXT_BYTES,
  MAX_SENDER_KEY_SKIP,
  MAX_SKIPPED_SENDER_KEYS,
} from './constants';
import { decryptSenderKeyMessage, encryptSenderKeyMessage } from './group-cipher';
import { createOwnSenderKey, rotateOwnSenderKey, senderKeyRotationDue } from './own-sender-key';
import { SenderChain } from './sender-chain';
import { messageKeySeed, nextChainKey, senderChainStep } from './sender-chain-key';
import {
  createSenderKeyDistribution,
  decodeSenderKeyDistribution,
  encodeSenderKeyDistribution,
  processSenderKeyDistribution,
} from './sender-key-distribution';
import {
  decodeSenderKeyMessage,
  senderKeyAssociatedData,
  senderKeyAssociatedDataForAead,
} from './sender-key-message';
import { deserializeSenderKeyState, serializeSenderKeyState } from './sender-key-record';
import type { SenderKeyState } from './sender-key-state';

beforeAll(initProtocol);

const GROUP = new Uint8Array(32).fill(7);
const text = (s: string) => utf8.encode(s);
const record = (s: SenderKeyState) => toHex(serializeSenderKeyState(s));

function setup(seed = 'sk') {
  const random = deterministicRandom(seed);
  const alice = createOwnSenderKey(GROUP, random, 1_000);
  const bob = processSenderKeyDistribution(
    undefined,
    GROUP,
    createSenderKeyDistribution(alice),
    1_000,
  );
  return { random, alice, bob };
}

describe('sender chain KDF', () => {
  it('is HMAC-SHA256 with 0x01 for the seed and 0x02 for the next chain key', () => {
    const ck = new Uint8Array(32).fill(0x11);
    // Python: hmac.new(b'\x11' * 32, b'\x01' (resp. b'\x02'), hashlib.sha256).hexdigest()
    expect(toHex(messageKeySeed(ck))).toBe(
      'c4ede064b5f2a51225b2175e5b84fb73f9cec689ac3d912ac4878f7ebeab0149',
    );
    expect(toHex(nextChainKey(ck))).toBe(
      'ed50b271f4852277c8218e209858d8bd32a3228a9e4fb6b5a16fb9b4755c53bc',
    );
    // The step the chain uses keys the HMAC once for both and gives the same two values.
    const step = senderChainStep(ck);
    expect(toHex(step.seed)).toBe('c4ede064b5f2a51225b2175e5b84fb73f9cec689ac3d912ac4878f7ebeab0149');
    expect(toHex(step.nextChainKey)).toBe(
      'ed50b271f4852277c8218e209858d8bd32a3228a9e4fb6b5a16fb9b4755c53bc',
    );
  });
});

describe('sender-key associated data', () => {
  it('gives the same bytes in its reused buffer, up to the largest header', () => {
    const distributionId = new Uint8Array(16).fill(0xee);
    for (const [chainId, iteration] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [127, 128],
      [0xffff_ffff, MAX_SENDER_KEY_ITERATION],
    ] as const) {
      const header = { distributionId, chainId, iteration };
      const view = senderKeyAssociatedDataForAead(header);
      expect(toHex(view)).toBe(toHex(senderKeyAssociatedData(header)));
    }
    const a = senderKeyAssociatedDataForAead({ distributionId, chainId: 5, iteration: 6 });
    const aBytes = toHex(a);
    senderKeyAssociatedDataForAead({ distributionId, chainId: 7, iteration: 8 });
    // One buffer: a view is valid only until the next call (used for one AEAD call).
    expect(toHex(a)).not.toBe(aBytes);
  });
});

describe('Sender Keys', () => {
  it('round-trips messages in order and carries the iteration', () => {
    const { alice, bob } = setup();
    for (let i = 0; i < 5; i++) {
      const ct = encryptSenderKeyMessage(alice, text(`hello ${i}`));
      expect(decodeSenderKeyMessage(ct).iteration).toBe(i);
      expect(utf8.decode(decryptSenderKeyMessage(bob, ct))).toBe(`hello ${i}`);
    }
  });

  it('decrypts out of order within the bound, each message exactly once', () => {
    const { alice, bob } = setup();
    const cts = Array.from({ length: 10 }, (_, i) => encryptSenderKeyMessage(alice, text(`m${i}`)));
    for (const i of [9, 3, 0, 5, 1, 2, 8, 4, 7, 6]) {
      expect(utf8.decode(decryptSenderKeyMessage(bob, cts[i]!))).toBe(`m${i}`);
    }
    for (const ct of cts)
      expect(() => decryptSenderKeyMessage(bob, ct)).toThrow(DuplicateMessageError);
    expect(bob.current.skipped.size).toBe(0);
  });

  it('refuses a replay and leaves the state unchanged', () => {
    const { alice, bob } = setup();
    const ct = encryptSenderKeyMessage(alice, text('once'));
    decryptSenderKeyMessage(bob, ct);
    const before = record(bob);
    expect(() => decryptSenderKeyMessage(bob, ct)).toThrow(DuplicateMessageError);
    expect(record(bob)).toBe(before);
  });

  it('accepts a jump of exactly MAX_SENDER_KEY_SKIP and refuses one more', () => {
    const { alice, bob } = setup();
    const cts: Uint8Array[] = [];
    for (let i = 0; i <= MAX_SENDER_KEY_SKIP + 1; i++)
      cts.push(encryptSenderKeyMessage(alice, text(`${i}`)));
    const before = record(bob);
    const err = (() => {
      try {
        decryptSenderKeyMessage(bob, cts[MAX_SENDER_KEY_SKIP + 1]!);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TooManySkippedError);
    expect((err as TooManySkippedError).gap).toBe(MAX_SENDER_KEY_SKIP + 1);
    expect(record(bob)).toBe(before);
    expect(utf8.decode(decryptSenderKeyMessage(bob, cts[MAX_SENDER_KEY_SKIP]!))).toBe(
      `${MAX_SENDER_KEY_SKIP}`,
    );
    expect(bob.current.skipped.size).toBe(Math.min(MAX_SENDER_KEY_SKIP, MAX_SKIPPED_SENDER_KEYS));
    expect(utf8.decode(decryptSenderKeyMessage(bob, cts[0]!))).toBe('0');
  });

  it('evicts the oldest skipped seeds past the cap (the oldest message is then lost)', () => {
    const { alice, bob } = setup();
    const cts: Uint8Array[] = [];
    const n = MAX_SKIPPED_SENDER_KEYS + 10;
    for (let i = 0; i <= n; i++) cts.push(encryptSenderKeyMessage(alice, text(`${i}`)));
    decryptSenderKeyMessage(bob, cts[1000]!);
    decryptSenderKeyMessage(bob, cts[n]!);
    expect(bob.current.skipped.size).toBe(MAX_SKIPPED_SENDER_KEYS);
    expect(() => decryptSenderKeyMessage(bob, cts[0]!)).toThrow(DuplicateMessageError);
    expect(utf8.decode(decryptSenderKeyMessage(bob, cts[n - 1]!))).toBe(`${n - 1}`);
  });

  it('starts a late joiner at the current iteration: earlier messages stay unreadable', () => {
    const { alice } = setup();
    const early = encryptSenderKeyMessage(alice, text('before carol'));
    const carol = processSenderKeyDistribution(
      undefined,
      GROUP,
      createSenderKeyDistribution(alice),
      2_000,
    );
    expect(() => decryptSenderKeyMessage(carol, early)).toThrow(DuplicateMessageError);
    expect(
      utf8.decode(decryptSenderKeyMessage(carol, encryptSenderKeyMessage(alice, text('after')))),
    ).toBe('after');
  });

  it('rotation changes chain id, chain key and signature key; old chains keep working for in-flight messages', () => {
    const { alice, bob, random } = setup();
    const inFlight = encryptSenderKeyMessage(alice, text('old chain'));
    const oldChain = alice.current.chainId;
    const oldSigning = toHex(alice.current.signingPublicKey);
    rotateOwnSenderKey(alice, random, 5_000);
    expect(alice.current.chainId).not.toBe(oldChain);
    expect(toHex(alice.current.signingPublicKey)).not.toBe(oldSigning);
    expect(alice.current.iteration).toBe(0);
    processSenderKeyDistribution(bob, GROUP, createSenderKeyDistribution(alice), 5_000);
    expect(bob.chains.length).toBe(2);
    expect(
      utf8.decode(decryptSenderKeyMessage(bob, encryptSenderKeyMessage(alice, text('new')))),
    ).toBe('new');
    expect(utf8.decode(decryptSenderKeyMessage(bob, inFlight))).toBe('old chain');
  });

  it(`keeps at most ${MAX_SENDER_KEY_CHAINS} chains, dropping the oldest`, () => {
    const { alice, bob, random } = setup();
    const first = encryptSenderKeyMessage(alice, text('first chain'));
    for (let i = 0; i < MAX_SENDER_KEY_CHAINS; i++) {
      rotateOwnSenderKey(alice, random, 10_000 + i);
      processSenderKeyDistribution(bob, GROUP, createSenderKeyDistribution(alice), 10_000 + i);
    }
    expect(bob.chains.length).toBe(MAX_SENDER_KEY_CHAINS);
    expect(() => decryptSenderKeyMessage(bob, first)).toThrow(UnknownSenderKeyError);
  });

  it('a repeated distribution does not rewind a chain (no replay through re-distribution)', () => {
    const { alice, bob } = setup();
    const skdm = createSenderKeyDistribution(alice);
    const ct = encryptSenderKeyMessage(alice, text('x'));
    decryptSenderKeyMessage(bob, ct);
    const before = record(bob);
    processSenderKeyDistribution(bob, GROUP, skdm, 9_999);
    expect(record(bob)).toBe(before);
    expect(() => decryptSenderKeyMessage(bob, ct)).toThrow(DuplicateMessageError);
  });

  it('a distribution with a known chain id but another signature key replaces that chain', () => {
    const { alice, bob } = setup();
    const d = decodeSenderKeyDistribution(createSenderKeyDistribution(alice));
    const other = createOwnSenderKey(GROUP, deterministicRandom('other'), 0);
    const forged = encodeSenderKeyDistribution({
      ...d,
      signingKey: other.current.signingPublicKey,
    });
    processSenderKeyDistribution(bob, GROUP, forged, 0);
    expect(bob.chains.length).toBe(1);
    expect(toHex(bob.current.signingPublicKey)).toBe(toHex(other.current.signingPublicKey));
  });

  it('refuses a distribution for another group or distribution id, or into our own key; state unchanged', () => {
    const { alice, bob } = setup();
    const before = record(bob);
    const skdm = createSenderKeyDistribution(alice);
    expect(() => processSenderKeyDistribution(bob, new Uint8Array(32).fill(8), skdm, 0)).toThrow(
      InvalidStateError,
    );
    const stranger = createSenderKeyDistribution(
      createOwnSenderKey(GROUP, deterministicRandom('s'), 0),
    );
    expect(() => processSenderKeyDistribution(bob, GROUP, stranger, 0)).toThrow(
      InvalidArgumentError,
    );
    expect(record(bob)).toBe(before);
    expect(() => processSenderKeyDistribution(alice, GROUP, skdm, 0)).toThrow(InvalidStateError);
    expect(() => processSenderKeyDistribution(undefined, new Uint8Array(0), skdm, 0)).toThrow(
      InvalidArgumentError,
    );
  });

  it('refuses a message for another distribution id or an unknown chain', () => {
    const { bob } = setup();
    const stranger = createOwnSenderKey(GROUP, deterministicRandom('stranger'), 0);
    expect(() =>
      decryptSenderKeyMessage(bob, encryptSenderKeyMessage(stranger, text('x'))),
    ).toThrow(UnknownSenderKeyError);
  });

  it('only our own key encrypts or distributes', () => {
    const { bob } = setup();
    expect(() => encryptSenderKeyMessage(bob, text('x'))).toThrow(InvalidStateError);
    expect(() => createSenderKeyDistribution(bob)).toThrow(InvalidStateError);
    expect(() => { rotateOwnSenderKey(bob, deterministicRandom('r'), 0); }).toThrow(InvalidStateError);
  });

  it('bounds the plaintext', () => {
    const { alice, bob } = setup();
    const max = new Uint8Array(MAX_SENDER_KEY_PLAINTEXT_BYTES).fill(1);
    expect(decryptSenderKeyMessage(bob, encryptSenderKeyMessage(alice, max)).length).toBe(
      max.length,
    );
    expect(() => encryptSenderKeyMessage(alice, new Uint8Array(max.length + 1))).toThrow(
      InvalidArgumentError,
    );
    expect(
      decryptSenderKeyMessage(bob, encryptSenderKeyMessage(alice, new Uint8Array(0))).length,
    ).toBe(0);
  });

  it('verifies messages past the reused verify buffer and after it, and refuses a forged large one', () => {
    const { alice, bob } = setup();
    const large = new Uint8Array(3000).fill(5);
    const small = text('after a large one');
    const m1 = encryptSenderKeyMessage(alice, large);
    const m2 = encryptSenderKeyMessage(alice, small);
    const forged = encryptSenderKeyMessage(alice, large);
    forged[forged.length - 1]! ^= 1; // the signature's last byte
    expect(() => decryptSenderKeyMessage(bob, forged)).toThrow(InvalidSignatureError);
    expect(decryptSenderKeyMessage(bob, m1)).toEqual(large);
    expect(decryptSenderKeyMessage(bob, m2)).toEqual(small);
    // A small message whose signature covered other bytes still fails after a valid one.
    const m3 = encryptSenderKeyMessage(alice, text('third'));
    m3[m3.length - 1]! ^= 1;
    expect(() => decryptSenderKeyMessage(bob, m3)).toThrow(InvalidSignatureError);
  });

  it('refuses to send past the last iteration (the chain must rotate)', () => {
    const chain = new SenderChain({
      chainId: 1,
      iteration: MAX_SENDER_KEY_ITERATION,
      chainKey: new Uint8Array(32).fill(3),
      signingPublicKey: new Uint8Array(32),
      signingSecretKey: new Uint8Array(64),
      createdAtMs: 0,
    });
    expect(chain.nextSendStep().iteration).toBe(MAX_SENDER_KEY_ITERATION);
    expect(() => chain.nextSendStep()).toThrow(InvalidStateError);
  });

  it('rotation policy: due after N messages or T ms, with time injected', () => {
    const { alice, random } = setup();
    expect(senderKeyRotationDue(alice, {}, 1_000_000)).toBe(false);
    expect(senderKeyRotationDue(alice, { maxMessages: 3 }, 1_000)).toBe(false);
    for (let i = 0; i < 3; i++) encryptSenderKeyMessage(alice, text('x'));
    expect(senderKeyRotationDue(alice, { maxMessages: 3 }, 1_000)).toBe(true);
    expect(senderKeyRotationDue(alice, { maxAgeMs: 60_000 }, 60_999)).toBe(false);
    expect(senderKeyRotationDue(alice, { maxAgeMs: 60_000 }, 61_000)).toBe(true);
    rotateOwnSenderKey(alice, random, 61_000);
    expect(senderKeyRotationDue(alice, { maxMessages: 3, maxAgeMs: 60_000 }, 61_000)).toBe(false);
    expect(() => senderKeyRotationDue(alice, { maxAgeMs: -1 }, 0)).toThrow(InvalidArgumentError);
  });

  it('is deterministic under a seeded random source', () => {
    const a = setup('transcript');
    const b = setup('transcript');
    const ca = encryptSenderKeyMessage(a.alice, text('same'));
    const cb = encryptSenderKeyMessage(b.alice, text('same'));
    expect(toHex(ca)).toBe(toHex(cb));
  });
});

describe('SenderKeyRecord', () => {
  it('round-trips own and received states byte for byte, skipped seeds included', () => {
    const { alice, bob } = setup();
    const cts = Array.from({ length: 6 }, (_, i) => encryptSenderKeyMessage(alice, text(`${i}`)));
    decryptSenderKeyMessage(bob, cts[5]!);
    for (const s of [alice, bob]) {
      const bytes = serializeSenderKeyState(s);
      const again = deserializeSenderKeyState(bytes);
      expect(toHex(serializeSenderKeyState(again))).toBe(toHex(bytes));
    }
    const restored = deserializeSenderKeyState(serializeSenderKeyState(bob));
    expect(utf8.decode(decryptSenderKeyMessage(restored, cts[2]!))).toBe('2');
    const aliceRestored = deserializeSenderKeyState(serializeSenderKeyState(alice));
    expect(aliceRestored.isOwn).toBe(true);
    expect(
      utf8.decode(
        decryptSenderKeyMessage(restored, encryptSenderKeyMessage(aliceRestored, text('z'))),
      ),
    ).toBe('z');
  });

  it('copies secrets out of the record: wiping the state leaves the record bytes intact', () => {
    const { bob } = setup();
    const bytes = serializeSenderKeyState(bob);
    const copy = bytes.slice();
    deserializeSenderKeyState(bytes).wipe();
    expect(toHex(bytes)).toBe(toHex(copy));
  });

  it('refuses malformed records with DecodeError', () => {
    const { alice } = setup();
    const bytes = serializeSenderKeyState(alice);
    expect(() => deserializeSenderKeyState(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => deserializeSenderKeyState(bytes.subarray(0, bytes.length - 1))).toThrow(
      DecodeError,
    );
    const wrongVersion = bytes.slice();
    wrongVersion[0] = 2;
    expect(() => deserializeSenderKeyState(wrongVersion)).toThrow(DecodeError);
  });
});
