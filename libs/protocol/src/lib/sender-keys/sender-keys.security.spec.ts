/**
 * Security properties of Sender Keys: a removed member keeps nothing useful after the
 * rotation, and a message is accepted only under the sender's chain signature key.
 */
import { concatBytes, toHex, utf8 } from '../bytes';
import { initProtocol } from '../crypto/sodium';
import { ed25519Sign, wipe } from '../crypto/primitives';
import {
  DecryptionError,
  InvalidSignatureError,
  ProtocolError,
  UnknownSenderKeyError,
} from '../errors';
import { deterministicRandom } from '../random';
import { MAX_SENDER_KEY_SKIP } from './constants';
import { decryptSenderKeyMessage, encryptSenderKeyMessage } from './group-cipher';
import { createOwnSenderKey, rotateOwnSenderKey } from './own-sender-key';
import { messageKeySeed, nextChainKey } from './sender-chain-key';
import {
  createSenderKeyDistribution,
  processSenderKeyDistribution,
} from './sender-key-distribution';
import {
  decodeSenderKeyMessage,
  encodeSenderKeyMessage,
  encodeSenderKeyMessageBody,
  senderKeyAssociatedData,
  senderKeySignedBytes,
} from './sender-key-message';
import { deserializeSenderKeyState, serializeSenderKeyState } from './sender-key-record';
import { openWithSeed, sealWithSeed } from './sender-message-key';

beforeAll(initProtocol);

const GROUP = new Uint8Array(32).fill(2);
const text = (s: string) => utf8.encode(s);

function group() {
  const random = deterministicRandom('security');
  const alice = createOwnSenderKey(GROUP, random, 0);
  const skdm = createSenderKeyDistribution(alice);
  const bob = processSenderKeyDistribution(undefined, GROUP, skdm, 0);
  const carol = processSenderKeyDistribution(undefined, GROUP, skdm, 0);
  return { random, alice, bob, carol };
}

describe('removed member', () => {
  it('keeps every old key yet reads nothing Alice sends after she rotates', () => {
    const { random, alice, bob, carol } = group();
    for (let i = 0; i < 3; i++) {
      const ct = encryptSenderKeyMessage(alice, text(`before ${i}`));
      decryptSenderKeyMessage(bob, ct);
      decryptSenderKeyMessage(carol, ct);
    }
    // Carol is removed. She keeps a copy of everything she ever held.
    const carolsHoard = serializeSenderKeyState(carol);
    const oldChainKey = carol.current.chainKey.slice();
    // Alice rotates and distributes to Bob only.
    rotateOwnSenderKey(alice, random, 1);
    processSenderKeyDistribution(bob, GROUP, createSenderKeyDistribution(alice), 1);
    const after = Array.from({ length: 5 }, (_, i) =>
      encryptSenderKeyMessage(alice, text(`after ${i}`)),
    );
    after.forEach((ct, i) => { expect(utf8.decode(decryptSenderKeyMessage(bob, ct))).toBe(`after ${i}`); },
    );

    // Through the protocol: the new chain is unknown to her.
    const hoard = deserializeSenderKeyState(carolsHoard);
    for (const ct of after)
      expect(() => decryptSenderKeyMessage(hoard, ct)).toThrow(UnknownSenderKeyError);

    // Relabelling a new message with her old chain id breaks the signature.
    const m = decodeSenderKeyMessage(after[0]!);
    const relabelled = encodeSenderKeyMessage(
      encodeSenderKeyMessageBody({ ...m, chainId: hoard.current.chainId }, m.ciphertext),
      m.signature,
    );
    expect(() => decryptSenderKeyMessage(hoard, relabelled)).toThrow(InvalidSignatureError);

    // Below the protocol: no seed her old chain can derive opens any new ciphertext.
    let chainKey: Uint8Array = oldChainKey;
    for (let i = 0; i <= MAX_SENDER_KEY_SKIP; i++) {
      const seed = messageKeySeed(chainKey);
      for (const ct of after) {
        const n = decodeSenderKeyMessage(ct);
        expect(() => openWithSeed(seed, n.ciphertext, senderKeyAssociatedData(n))).toThrow(
          DecryptionError,
        );
      }
      const next = nextChainKey(chainKey);
      wipe(chainKey);
      wipe(seed);
      chainKey = next;
    }
  });
});

describe('signature key forgery', () => {
  it('refuses a message re-signed by another key, even one built with the right chain key', () => {
    const { alice, bob, carol } = group();
    // Carol, a member, holds Alice's chain key and can produce a correct AEAD ciphertext
    // for Alice's chain, but not Alice's signature.
    const iteration = carol.current.iteration;
    const seed = messageKeySeed(carol.current.chainKey);
    const header = {
      distributionId: carol.distributionId,
      chainId: carol.current.chainId,
      iteration,
    };
    const body = encodeSenderKeyMessageBody(
      header,
      sealWithSeed(seed, text('I am Alice'), senderKeyAssociatedData(header)),
    );
    const mallory = createOwnSenderKey(GROUP, deterministicRandom('mallory'), 0);
    const forged = encodeSenderKeyMessage(
      body,
      ed25519Sign(mallory.current.signingSecretKey!, senderKeySignedBytes(body)),
    );
    const before = toHex(serializeSenderKeyState(bob));
    expect(() => decryptSenderKeyMessage(bob, forged)).toThrow(InvalidSignatureError);
    expect(toHex(serializeSenderKeyState(bob))).toBe(before);
    // Alice's genuine message at that iteration still goes through.
    expect(
      utf8.decode(decryptSenderKeyMessage(bob, encryptSenderKeyMessage(alice, text('real')))),
    ).toBe('real');
  });

  it('refuses a valid message carrying the signature of another valid message', () => {
    const { alice, bob } = group();
    const one = decodeSenderKeyMessage(encryptSenderKeyMessage(alice, text('one')));
    const two = decodeSenderKeyMessage(encryptSenderKeyMessage(alice, text('two')));
    const swapped = encodeSenderKeyMessage(two.bodyBytes, one.signature);
    expect(() => decryptSenderKeyMessage(bob, swapped)).toThrow(InvalidSignatureError);
    const unsigned = encodeSenderKeyMessage(two.bodyBytes, new Uint8Array(64));
    expect(() => decryptSenderKeyMessage(bob, unsigned)).toThrow(InvalidSignatureError);
  });

  it('refuses a signature over the body without the version byte (what is signed is pinned)', () => {
    const { alice, bob } = group();
    const m = decodeSenderKeyMessage(encryptSenderKeyMessage(alice, text('x')));
    const own = alice.current.signingSecretKey!;
    // Alice's own key, but over the wrong bytes.
    const wrong = encodeSenderKeyMessage(m.bodyBytes, ed25519Sign(own, m.bodyBytes));
    expect(() => decryptSenderKeyMessage(bob, wrong)).toThrow(InvalidSignatureError);
    const right = encodeSenderKeyMessage(
      m.bodyBytes,
      ed25519Sign(own, concatBytes(new Uint8Array([1]), m.bodyBytes)),
    );
    expect(utf8.decode(decryptSenderKeyMessage(bob, right))).toBe('x');
  });

  it('checks the signature before any key derivation: a forged far-future iteration costs nothing', () => {
    const { bob } = group();
    const mallory = createOwnSenderKey(GROUP, deterministicRandom('mallory2'), 0);
    const header = {
      distributionId: bob.distributionId,
      chainId: bob.current.chainId,
      iteration: 0xfffffff0,
    };
    const body = encodeSenderKeyMessageBody(header, new Uint8Array(32));
    const forged = encodeSenderKeyMessage(
      body,
      ed25519Sign(mallory.current.signingSecretKey!, senderKeySignedBytes(body)),
    );
    // A TooManySkippedError would mean we looked at the iteration before the signature.
    let thrown: unknown;
    try {
      decryptSenderKeyMessage(bob, forged);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidSignatureError);
    expect(thrown).toBeInstanceOf(ProtocolError);
  });
});
