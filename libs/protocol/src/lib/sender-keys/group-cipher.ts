/**
 * Encrypting and decrypting sender-key messages (group mode B). One ciphertext per
 * message, whatever the group size; the server fans it out.
 *
 * Decryption order matters: decode strictly, find the chain, verify the signature FIRST
 * (a forgery costs us one signature check and nothing else), then derive the message key
 * without touching the chain, open the AEAD, and only then commit the chain step. Any
 * failure leaves the state exactly as it was.
 */
import { assertBytes } from '../bytes';
import { constantTimeEqual, ed25519Sign, ed25519Verify } from '../crypto/primitives';
import {
  InvalidArgumentError,
  InvalidSignatureError,
  InvalidStateError,
  UnknownSenderKeyError,
} from '../errors';
import { MAX_SENDER_KEY_PLAINTEXT_BYTES } from './constants';
import type { SenderKeyState } from './sender-key-state';
import { sealWithSeed, openWithSeed } from './sender-message-key';
import {
  decodeSenderKeyMessage,
  encodeSenderKeyMessage,
  encodeSenderKeySignedBody,
  senderKeyAssociatedDataForAead,
  senderKeySignedBytesForVerify,
} from './sender-key-message';
import { wipe } from '../crypto/primitives';

/** Encrypts with our own current chain and advances it. */
export function encryptSenderKeyMessage(own: SenderKeyState, plaintext: Uint8Array): Uint8Array {
  assertBytes(plaintext, 'plaintext');
  if (plaintext.length > MAX_SENDER_KEY_PLAINTEXT_BYTES) {
    throw new InvalidArgumentError(`plaintext exceeds ${MAX_SENDER_KEY_PLAINTEXT_BYTES} bytes`);
  }
  const chain = own.current;
  const signingSecretKey = chain.signingSecretKey;
  if (!signingSecretKey) throw new InvalidStateError('only our own sender key encrypts');
  const step = chain.nextSendStep();
  try {
    const header = {
      distributionId: own.distributionId,
      chainId: chain.chainId,
      iteration: step.iteration,
    };
    const ciphertext = sealWithSeed(step.seed, plaintext, senderKeyAssociatedDataForAead(header));
    const signed = encodeSenderKeySignedBody(header, ciphertext);
    const signature = ed25519Sign(signingSecretKey, signed);
    return encodeSenderKeyMessage(signed.subarray(1), signature);
  } finally {
    wipe(step.seed);
  }
}

/**
 * Decrypts a sender-key message with the state kept for its (authenticated-by-signature)
 * sender. Throws DecodeError, UnknownSenderKeyError (other distribution id, or a chain we
 * do not hold, e.g. one started after we were removed), InvalidSignatureError,
 * DuplicateMessageError, TooManySkippedError or DecryptionError; on any throw the state
 * is unchanged.
 */
export function decryptSenderKeyMessage(
  state: SenderKeyState,
  messageBytes: Uint8Array,
): Uint8Array {
  const m = decodeSenderKeyMessage(messageBytes);
  if (!constantTimeEqual(m.distributionId, state.distributionId)) {
    throw new UnknownSenderKeyError('message is for another distribution id');
  }
  const chain = state.chainFor(m.chainId);
  if (!chain) throw new UnknownSenderKeyError(`no sender chain ${m.chainId}`);
  if (
    !ed25519Verify(chain.signingPublicKey, senderKeySignedBytesForVerify(m.bodyBytes), m.signature)
  ) {
    throw new InvalidSignatureError('sender-key message: signature does not verify');
  }
  const plan = chain.planReceive(m.iteration);
  let plaintext: Uint8Array;
  try {
    plaintext = openWithSeed(plan.seed, m.ciphertext, senderKeyAssociatedDataForAead(m));
  } catch (e) {
    plan.discard();
    throw e;
  }
  plan.commit();
  return plaintext;
}
