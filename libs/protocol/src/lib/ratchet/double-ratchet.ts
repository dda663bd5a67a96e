/**
 * The Double Ratchet state machine (Perrin & Marlinspike, "The Double Ratchet
 * Algorithm", 2016, section 3). Knows nothing of X3DH or storage: it starts from a
 * shared secret and the peer's first ratchet key, and is driven by encrypt/decrypt.
 *
 * Decryption is transactional: every new value is computed into locals and committed
 * only after the AEAD tag verified, so a failed decryption leaves the state unchanged.
 */
import type { KeyPair } from '../crypto/primitives';
import { constantTimeEqual, wipe, x25519, x25519KeyPair } from '../crypto/primitives';
import { DuplicateMessageError, InvalidStateError, TooManySkippedError } from '../errors';
import type { RandomSource } from '../random';
import { MAX_PREVIOUS_RATCHET_KEYS, MAX_SKIP } from './constants';
import { kdfChainKey, kdfRootKey } from './kdf';
import { decryptWithMessageKey, encryptWithMessageKey } from './message-cipher';
import type { RatchetMessage } from './ratchet-message';
import { encodeRatchetHeader } from './ratchet-message';
import type { SkippedKey } from './skipped-keys';
import { SkippedMessageKeys } from './skipped-keys';

export interface RatchetState {
  rootKey: Uint8Array;
  /** DHs */
  sendingRatchetKey: KeyPair;
  /** CKs; undefined for the responder until its first DH ratchet step. */
  sendingChainKey: Uint8Array | undefined;
  /** Ns */
  sendingCounter: number;
  /** PN */
  previousSendingCounter: number;
  /** DHr */
  receivingRatchetKey: Uint8Array | undefined;
  /** CKr */
  receivingChainKey: Uint8Array | undefined;
  /** Nr */
  receivingCounter: number;
  /** Ratchet keys of finished receiving chains, newest last (for duplicate reports). */
  previousReceivingRatchetKeys: Uint8Array[];
  /** MKSKIPPED */
  skipped: SkippedMessageKeys;
}

/** RatchetInitAlice: the initiator knows the responder's ratchet key (its signed prekey). */
export function initInitiatorRatchet(
  sharedSecret: Uint8Array,
  theirRatchetKey: Uint8Array,
  random: RandomSource,
): RatchetState {
  const sendingRatchetKey = x25519KeyPair(random);
  const dh = x25519(sendingRatchetKey.privateKey, theirRatchetKey);
  const step = kdfRootKey(sharedSecret, dh);
  wipe(dh);
  return {
    rootKey: step.rootKey,
    sendingRatchetKey,
    sendingChainKey: step.chainKey,
    sendingCounter: 0,
    previousSendingCounter: 0,
    receivingRatchetKey: theirRatchetKey,
    receivingChainKey: undefined,
    receivingCounter: 0,
    previousReceivingRatchetKeys: [],
    skipped: new SkippedMessageKeys(),
  };
}

/** RatchetInitBob: the responder's first ratchet key pair is its signed prekey. */
export function initResponderRatchet(sharedSecret: Uint8Array, ourRatchetKeyPair: KeyPair): RatchetState {
  return {
    rootKey: sharedSecret.slice(),
    sendingRatchetKey: { publicKey: ourRatchetKeyPair.publicKey.slice(), privateKey: ourRatchetKeyPair.privateKey.slice() },
    sendingChainKey: undefined,
    sendingCounter: 0,
    previousSendingCounter: 0,
    receivingRatchetKey: undefined,
    receivingChainKey: undefined,
    receivingCounter: 0,
    previousReceivingRatchetKeys: [],
    skipped: new SkippedMessageKeys(),
  };
}

export interface EncryptedRatchetMessage {
  readonly headerBytes: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** RatchetEncrypt. Mutates `state`. */
export function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): EncryptedRatchetMessage {
  if (!state.sendingChainKey) {
    throw new InvalidStateError('no sending chain yet: the responder must receive first');
  }
  const step = kdfChainKey(state.sendingChainKey);
  const headerBytes = encodeRatchetHeader({
    ratchetKey: state.sendingRatchetKey.publicKey,
    previousChainLength: state.previousSendingCounter,
    counter: state.sendingCounter,
  });
  const ciphertext = encryptWithMessageKey(step.messageKey, plaintext, associatedData, headerBytes);
  wipe(step.messageKey);
  wipe(state.sendingChainKey);
  state.sendingChainKey = step.chainKey;
  state.sendingCounter += 1;
  return { headerBytes, ciphertext };
}

/** Keys from `counter` up to (not including) `until` in a chain, for MKSKIPPED. */
function skipKeys(
  ratchetKey: Uint8Array,
  chainKey: Uint8Array,
  counter: number,
  until: number,
  into: SkippedKey[],
): { chainKey: Uint8Array; counter: number } {
  if (until - counter > MAX_SKIP) throw new TooManySkippedError(until - counter, MAX_SKIP);
  let ck = chainKey;
  let n = counter;
  while (n < until) {
    const step = kdfChainKey(ck);
    if (ck !== chainKey) wipe(ck);
    into.push({ ratchetKey, counter: n, messageKey: step.messageKey });
    ck = step.chainKey;
    n += 1;
  }
  return { chainKey: ck, counter: n };
}

/**
 * RatchetDecrypt. Mutates `state` only when the message authenticates; throws
 * DecryptionError, DuplicateMessageError, TooManySkippedError or InvalidKeyError otherwise.
 */
export function ratchetDecrypt(
  state: RatchetState,
  message: RatchetMessage,
  associatedData: Uint8Array,
  random: RandomSource,
): Uint8Array {
  const { header } = message;

  // 1. A key we skipped earlier.
  const skipped = state.skipped.find(header.ratchetKey, header.counter);
  if (skipped) {
    const plaintext = decryptWithMessageKey(skipped.messageKey, message.ciphertext, associatedData, message.headerBytes);
    state.skipped.consume(skipped);
    return plaintext;
  }

  const sameChain =
    state.receivingRatchetKey !== undefined && constantTimeEqual(header.ratchetKey, state.receivingRatchetKey);
  if (sameChain && header.counter < state.receivingCounter) throw new DuplicateMessageError(header.counter);
  if (!sameChain && state.previousReceivingRatchetKeys.some((k) => constantTimeEqual(k, header.ratchetKey))) {
    throw new DuplicateMessageError(header.counter);
  }

  // 2. Compute everything into locals.
  const newSkipped: SkippedKey[] = [];
  let rootKey = state.rootKey;
  let receivingChainKey = state.receivingChainKey;
  let receivingCounter = state.receivingCounter;
  let sendingRatchetKey = state.sendingRatchetKey;
  let sendingChainKey = state.sendingChainKey;
  let previousSendingCounter = state.previousSendingCounter;
  let sendingCounter = state.sendingCounter;
  const fresh: Uint8Array[] = []; // secrets created here, wiped if we do not commit

  try {
    if (!sameChain) {
      // Skip what is left of the current receiving chain (up to PN), then DH-ratchet.
      if (state.receivingRatchetKey && receivingChainKey) {
        const end = skipKeys(state.receivingRatchetKey, receivingChainKey, receivingCounter, header.previousChainLength, newSkipped);
        if (end.chainKey !== receivingChainKey) fresh.push(end.chainKey);
      }
      // Bound the new chain's skip before spending two DHs on it.
      if (header.counter > MAX_SKIP) throw new TooManySkippedError(header.counter, MAX_SKIP);
      const dhReceive = x25519(sendingRatchetKey.privateKey, header.ratchetKey);
      const receiveStep = kdfRootKey(rootKey, dhReceive);
      wipe(dhReceive);
      fresh.push(receiveStep.rootKey, receiveStep.chainKey);
      sendingRatchetKey = x25519KeyPair(random);
      fresh.push(sendingRatchetKey.privateKey);
      const dhSend = x25519(sendingRatchetKey.privateKey, header.ratchetKey);
      const sendStep = kdfRootKey(receiveStep.rootKey, dhSend);
      wipe(dhSend);
      fresh.push(sendStep.rootKey, sendStep.chainKey);
      rootKey = sendStep.rootKey;
      sendingChainKey = sendStep.chainKey;
      previousSendingCounter = sendingCounter;
      sendingCounter = 0;
      receivingChainKey = receiveStep.chainKey;
      receivingCounter = 0;
    }
    if (!receivingChainKey) throw new InvalidStateError('no receiving chain');

    const end = skipKeys(header.ratchetKey, receivingChainKey, receivingCounter, header.counter, newSkipped);
    const step = kdfChainKey(end.chainKey);
    if (end.chainKey !== receivingChainKey) wipe(end.chainKey);
    fresh.push(step.chainKey);
    const plaintext = decryptWithMessageKey(step.messageKey, message.ciphertext, associatedData, message.headerBytes);
    wipe(step.messageKey);

    // 3. Commit.
    if (!sameChain) {
      if (state.receivingRatchetKey) {
        state.previousReceivingRatchetKeys.push(state.receivingRatchetKey);
        if (state.previousReceivingRatchetKeys.length > MAX_PREVIOUS_RATCHET_KEYS) {
          state.previousReceivingRatchetKeys.shift();
        }
      }
      wipe(state.rootKey);
      wipe(state.sendingChainKey);
      if (state.sendingRatchetKey !== sendingRatchetKey) wipe(state.sendingRatchetKey.privateKey);
      state.rootKey = rootKey;
      state.sendingRatchetKey = sendingRatchetKey;
      state.sendingChainKey = sendingChainKey;
      state.sendingCounter = sendingCounter;
      state.previousSendingCounter = previousSendingCounter;
      state.receivingRatchetKey = header.ratchetKey.slice();
    }
    wipe(state.receivingChainKey);
    state.receivingChainKey = step.chainKey;
    state.receivingCounter = header.counter + 1;
    state.skipped.addAll(newSkipped);
    // Intermediate secrets that did not make it into the state.
    const kept = new Set([state.rootKey, state.sendingRatchetKey.privateKey, state.sendingChainKey, state.receivingChainKey]);
    for (const secret of fresh) if (!kept.has(secret)) wipe(secret);
    fresh.length = 0;
    return plaintext;
  } catch (error) {
    for (const secret of fresh) wipe(secret);
    for (const k of newSkipped) wipe(k.messageKey);
    throw error;
  }
}
