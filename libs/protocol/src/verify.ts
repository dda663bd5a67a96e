// The slice of the protocol a server may use: checking public keys and signatures.
// Servers import `@parley/protocol/verify`, never the session or ratchet code.
export { initProtocol } from './lib/crypto/sodium';
export { verifySignedPreKey } from './lib/identity/prekeys';
export type { SignedPreKeyPublic } from './lib/identity/prekeys';
export { applyMembershipChange, verifyMembershipChain } from './lib/group/membership-chain';
export type { GroupMembershipState } from './lib/group/membership-state';
export { InvalidSignatureError, InvalidArgumentError, MembershipError, DecodeError, ProtocolError } from './lib/errors';
