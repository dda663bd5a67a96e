// Public surface of the protocol library: what an SDK needs, nothing else.

// Setup, errors, randomness
export { initProtocol } from './lib/crypto/sodium';
export * from './lib/errors';
export type { RandomSource } from './lib/random';
export { secureRandom, deterministicRandom } from './lib/random';
export { toHex, fromHex, utf8 } from './lib/bytes';
export type { KeyPair } from './lib/crypto/primitives';

// Identity and prekeys
export type { IdentityKeyPair } from './lib/identity/identity-key';
export { generateIdentityKeyPair, identityKeyPairFrom } from './lib/identity/identity-key';
export type {
  SignedPreKeyPair,
  OneTimePreKeyPair,
  SignedPreKeyPublic,
  OneTimePreKeyPublic,
} from './lib/identity/prekeys';
export {
  generateSignedPreKey,
  generateOneTimePreKeys,
  verifySignedPreKey,
  publicSignedPreKey,
  publicOneTimePreKey,
} from './lib/identity/prekeys';
export type { PreKeyBundle } from './lib/identity/prekey-bundle';
export { verifyPreKeyBundle, encodePreKeyBundle, decodePreKeyBundle } from './lib/identity/prekey-bundle';
export type { SafetyNumberParty, SafetyNumber } from './lib/identity/safety-number';
export { computeSafetyNumber, compareScannableSafetyNumbers } from './lib/identity/safety-number';

// 1:1 sessions (X3DH + Double Ratchet)
export { SessionRecord, MAX_ARCHIVED_SESSIONS } from './lib/session/session-record';
export type { DecryptResult } from './lib/session/session-record';
export type { PreKeyLookup } from './lib/session/session-cipher';
export type { CiphertextMessage } from './lib/session/session-state';
export { MAX_SKIP, MAX_SKIPPED_KEYS_TOTAL, MAX_PLAINTEXT_BYTES } from './lib/ratchet/constants';

// Group mode B: Sender Keys
export type { SenderKeyState } from './lib/sender-keys/sender-key-state';
export type { SenderKeyRecord } from './lib/sender-keys/sender-key-record';
export type { SenderKeyRotationPolicy } from './lib/sender-keys/own-sender-key';
export { createOwnSenderKey, rotateOwnSenderKey, senderKeyRotationDue } from './lib/sender-keys/own-sender-key';
export {
  createSenderKeyDistribution,
  processSenderKeyDistribution,
} from './lib/sender-keys/sender-key-distribution';
export { encryptSenderKeyMessage, decryptSenderKeyMessage } from './lib/sender-keys/group-cipher';
export { decodeSenderKeyMessage } from './lib/sender-keys/sender-key-message';
export { serializeSenderKeyState, deserializeSenderKeyState } from './lib/sender-keys/sender-key-record';

// Authenticated membership and group mode A: pairwise fan-out
export type { GroupMembershipState } from './lib/group/membership-state';
export type { MemberDevice } from './lib/group/member-device';
export type { MembershipAction } from './lib/group/membership-change';
export type { BuiltMembershipChange } from './lib/group/membership-builder';
export { createGroup, buildMembershipChange, devicesOfUser } from './lib/group/membership-builder';
export { applyMembershipChange, verifyMembershipChain } from './lib/group/membership-chain';
export { decodeSignedMembershipChange } from './lib/group/membership-change';
export type { GroupMembershipRecord } from './lib/group/membership-record';
export { serializeMembershipState, deserializeMembershipState } from './lib/group/membership-record';
export type { SessionEncrypt, PairwiseGroupPayload, PairwiseCiphertext } from './lib/group/pairwise-fanout';
export { encryptPairwiseGroupMessage, openPairwiseGroupPayload } from './lib/group/pairwise-fanout';
export * from './lib/device'; // SDK device helpers: at-rest sealing, gateway auth signatures
